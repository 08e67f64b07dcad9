/** rdap_ip against the emulated RDAP: netblocks from cidr0 or from the range, the registrant, unknown addresses. */
import { describe, expect, it } from "@effect/vitest"
import { makeModuleContext } from "@mirage/modules/Module"
import { rangeToCidrs, rdapIp } from "@mirage/modules/modules/rdap_ip"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const open = Effect.gen(function*() {
  const intel = yield* IntelWorld.make
  const ctx = yield* makeModuleContext({
    module: "rdap_ip",
    endpoints: { dnsServers: [], ...intel.endpoints },
    timeoutMs: 5_000,
    log: () => Effect.void
  })
  return { intel, session: yield* rdapIp.open({}, ctx) }
})

const target = (value: string) => ({ target: { type: "IP" as const, value } })

const pairs = (findings: ReadonlyArray<{ readonly type: string; readonly value: string }>) =>
  findings.map((finding) => [finding.type, finding.value])

describe("rdap_ip", () => {
  it.scoped("the sandbox's network from cidr0_cidrs, and its holder", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open
      const findings = yield* session.collect(target("192.0.2.10"))
      expect(pairs(findings)).toEqual([["NETBLOCK", "192.0.2.0/24"], ["ORGANIZATION", "Mirage Sandbox Ltd"]])
      expect(findings[0]?.metadata).toMatchObject({ handle: "NET-192-0-2-0-1", name: "MIRAGE-SANDBOX-NET" })
      expect(intel.rdap.requestLog()).toEqual(["/ip/192.0.2.10", "/registry/ip/192.0.2.10"])
    }))

  it.scoped("without cidr0 the netblocks come from the start and end addresses", () =>
    Effect.gen(function*() {
      const { session } = yield* open
      expect(pairs(yield* session.collect(target("198.51.100.25")))).toEqual([
        ["NETBLOCK", "198.51.100.0/24"],
        ["ORGANIZATION", "Example Hosting GmbH"]
      ])
      // 203.0.113.0 - 203.0.113.95 is two blocks.
      expect(pairs(yield* session.collect(target("203.0.113.5")))).toEqual([
        ["NETBLOCK", "203.0.113.0/26"],
        ["NETBLOCK", "203.0.113.64/27"],
        ["ORGANIZATION", "Edge Transit Networks"]
      ])
    }))

  it.scoped("IPv6 networks too", () =>
    Effect.gen(function*() {
      const { session } = yield* open
      expect(pairs(yield* session.collect(target("2001:db8::11")))).toEqual([
        ["NETBLOCK", "2001:db8::/48"],
        ["ORGANIZATION", "Mirage Sandbox Ltd"]
      ])
    }))

  it("rangeToCidrs covers exactly the range", () => {
    expect(rangeToCidrs("10.0.0.0", "10.0.0.255")).toEqual(["10.0.0.0/24"])
    expect(rangeToCidrs("10.0.0.1", "10.0.0.6")).toEqual(["10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"])
    expect(rangeToCidrs("0.0.0.0", "255.255.255.255")).toEqual(["0.0.0.0/0"])
    expect(rangeToCidrs("2001:db8::", "2001:db8::ffff")).toEqual(["2001:db8:0:0:0:0:0:0/112"])
    expect(rangeToCidrs("10.0.0.9", "10.0.0.1")).toEqual([])
  })

  it.scoped("an address no registry holds is a 404: no findings", () =>
    Effect.gen(function*() {
      const { session } = yield* open
      expect(yield* session.collect(target("100.64.0.1"))).toEqual([])
    }))

  it.scoped("a wrong shape is BadResponse; 429 RateLimited with retryAfterMs; 503 SourceUnavailable", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open
      yield* intel.rdap.failNext(1, {
        status: 200,
        body: "{\"objectClassName\":\"ip network\",\"startAddress\":1}",
        contentType: "application/rdap+json"
      })
      expect(yield* Effect.flip(session.collect(target("192.0.2.10")))).toMatchObject({ _tag: "BadResponse" })
      yield* intel.rdap.failNext(1, { status: 429, retryAfter: "5" })
      expect(yield* Effect.flip(session.collect(target("192.0.2.10")))).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 5_000
      })
      yield* intel.rdap.failNext(1, { status: 503 })
      expect(yield* Effect.flip(session.collect(target("192.0.2.10")))).toMatchObject({ _tag: "SourceUnavailable" })
    }))

  it.scoped("odd CIDRs and entities are skipped and counted; a length sent as text and a structured org are read", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(rdapIp, [{
        request: { path: "/ip/192.0.2.77" },
        response: {
          json: {
            objectClassName: "ip network",
            handle: 4711,
            startAddress: "192.0.2.0",
            endAddress: "192.0.2.255",
            cidr0_cidrs: [{ v4prefix: "192.0.2.0", length: "24" }, { v4prefix: "192.0.2.0" }],
            entities: [
              null,
              {
                roles: "registrant",
                vcardArray: ["vcard", [["kind", {}, "text", "org"], ["org", {}, "text", ["Example Hosting", "NOC"]]]]
              }
            ]
          }
        }
      }], { target: { type: "IP", value: "192.0.2.77" } })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(pairs(findings)).toEqual([["NETBLOCK", "192.0.2.0/24"], ["ORGANIZATION", "Example Hosting"]])
      expect(findings[0]?.metadata).toMatchObject({ handle: "4711" })
      expect(notes.rows_skipped).toBe(2)
    }))
})
