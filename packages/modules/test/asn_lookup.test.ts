/** asn_lookup against the emulated RIPEstat: the announcing AS, its prefix and holder, cached per session. */
import { describe, expect, it } from "@effect/vitest"
import { makeModuleContext } from "@mirage/modules/Module"
import { asnLookup, organizationOf } from "@mirage/modules/modules/asn_lookup"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const open = (config: unknown = {}) =>
  Effect.gen(function*() {
    const intel = yield* IntelWorld.make
    const ctx = yield* makeModuleContext({
      module: "asn_lookup",
      endpoints: { dnsServers: [], ...intel.endpoints },
      timeoutMs: 5_000,
      log: () => Effect.void
    })
    return { intel, session: yield* asnLookup.open(config, ctx) }
  })

const target = (value: string) => ({ target: { type: "IP" as const, value } })

const pairs = (findings: ReadonlyArray<{ readonly type: string; readonly value: string }>) =>
  findings.map((finding) => [finding.type, finding.value])

describe("asn_lookup", () => {
  it.scoped("finds the AS, the routed prefix and the AS's holder", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      const findings = yield* session.collect(target("192.0.2.10"))
      expect(pairs(findings)).toEqual([
        ["ASN", "AS64500"],
        ["ORGANIZATION", "Mirage Sandbox Ltd"],
        ["NETBLOCK", "192.0.2.0/24"]
      ])
      expect(findings[1]?.metadata).toEqual({ asn: "AS64500", holder: "MIRAGE-SANDBOX-AS - Mirage Sandbox Ltd" })
      expect(intel.ripestat.requestLog()).toEqual([
        "/data/network-info/data.json?resource=192.0.2.10&sourceapp=mirage-osint",
        "/data/as-overview/data.json?resource=AS64500&sourceapp=mirage-osint"
      ])
    }))

  it.scoped("the holder of an AS is asked for once per session", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* session.collect(target("192.0.2.10"))
      const v6 = yield* session.collect(target("2001:db8::11"))
      expect(pairs(v6)).toEqual([
        ["ASN", "AS64500"],
        ["ORGANIZATION", "Mirage Sandbox Ltd"],
        ["NETBLOCK", "2001:db8::/32"]
      ])
      expect(intel.ripestat.requestLog().filter((path) => path.includes("as-overview"))).toHaveLength(1)
    }))

  it.scoped("config: no holder lookups", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open({ holder: false })
      expect(pairs(yield* session.collect(target("203.0.113.5")))).toEqual([
        ["ASN", "AS64502"],
        ["NETBLOCK", "203.0.113.0/24"]
      ])
      expect(intel.ripestat.requests()).toBe(1)
    }))

  it.scoped("an unannounced address is no findings", () =>
    Effect.gen(function*() {
      const { session } = yield* open()
      expect(yield* session.collect(target("100.64.0.1"))).toEqual([])
    }))

  it("takes the organization out of RIPEstat's holder", () => {
    expect(organizationOf("GOOGLE - Google LLC")).toBe("Google LLC")
    expect(organizationOf("Cloudflare, Inc.")).toBe("Cloudflare, Inc.")
  })

  it.scoped("status error, a wrong shape or HTML is BadResponse; 429 RateLimited; 500 SourceUnavailable", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* intel.ripestat.failNext(1, {
        status: 200,
        body: "{\"status\":\"error\",\"data\":{\"asns\":[]}}",
        contentType: "application/json"
      })
      expect(yield* Effect.flip(session.collect(target("192.0.2.10")))).toMatchObject({ _tag: "BadResponse" })
      yield* intel.ripestat.failNext(1, { status: 200, body: "<html/>", contentType: "text/html" })
      expect(yield* Effect.flip(session.collect(target("192.0.2.10")))).toMatchObject({ _tag: "BadResponse" })
      yield* intel.ripestat.failNext(1, { status: 429, retryAfter: "2" })
      expect(yield* Effect.flip(session.collect(target("192.0.2.10")))).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 2_000
      })
      yield* intel.ripestat.failNext(1, { status: 500 })
      expect(yield* Effect.flip(session.collect(target("192.0.2.10")))).toMatchObject({ _tag: "SourceUnavailable" })
    }))

  it.scoped("a DOMAIN target is refused", () =>
    Effect.gen(function*() {
      const { session } = yield* open()
      const error = yield* Effect.flip(session.collect({ target: { type: "DOMAIN", value: IntelWorld.domain } }))
      expect(error._tag).toBe("ModuleConfigError")
    }))

  it.scoped("a failing holder lookup keeps the ASN and prefix of the first call, with a warning; numeric ASNs read", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(asnLookup, [
        {
          request: {
            path: "/data/network-info/data.json",
            query: { resource: "192.0.2.10", sourceapp: "mirage-osint" }
          },
          response: { json: { status: "ok", data: { asns: [64500, "64501", { as: 1 }], prefix: "192.0.2.0/24" } } }
        },
        {
          request: { path: "/data/as-overview/data.json", query: { resource: "AS64500", sourceapp: "mirage-osint" } },
          response: { status: 503, body: "maintenance" }
        },
        {
          request: { path: "/data/as-overview/data.json", query: { resource: "AS64501", sourceapp: "mirage-osint" } },
          response: { json: { status: "ok", data: { holder: "EXAMPLE-AS - Example Networks", announced: "yes" } } }
        }
      ], { target: { type: "IP", value: "192.0.2.10" } })
      yield* server.verify
      expect(pairs(Either.getOrThrow(outcome))).toEqual([
        ["ASN", "AS64500"],
        ["ASN", "AS64501"],
        ["ORGANIZATION", "Example Networks"],
        ["NETBLOCK", "192.0.2.0/24"]
      ])
      expect(notes.warnings).toEqual([expect.stringContaining("the holder of AS64500 could not be looked up")])
      expect(notes.rows_skipped).toBe(1)
    }))
})
