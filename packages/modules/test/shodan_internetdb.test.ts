/** shodan_internetdb against the emulated InternetDB: ports, host names, CPEs, and its 404 for unseen addresses. */
import { describe, expect, it } from "@effect/vitest"
import { makeModuleContext } from "@mirage/modules/Module"
import { parseCpe, shodanInternetdb } from "@mirage/modules/modules/shodan_internetdb"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const open = Effect.gen(function*() {
  const intel = yield* IntelWorld.make
  const ctx = yield* makeModuleContext({
    module: "shodan_internetdb",
    endpoints: { dnsServers: [], ...intel.endpoints },
    timeoutMs: 5_000,
    log: () => Effect.void
  })
  return { intel, session: yield* shodanInternetdb.open({}, ctx) }
})

const target = (value: string) => ({ target: { type: "IP" as const, value } })

describe("shodan_internetdb", () => {
  it.scoped("finds ports, host names and technologies from CPEs, keyless", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open
      const findings = yield* session.collect(target("192.0.2.20"))
      expect(findings.map((finding) => [finding.type, finding.value])).toEqual([
        ["DOMAIN", "staging.mirage-sandbox.test"],
        ["OPEN_PORT", "192.0.2.20:22"],
        ["OPEN_PORT", "192.0.2.20:8080"],
        ["TECHNOLOGY", "cpe:/a:jenkins:jenkins:2.440"],
        ["TECHNOLOGY", "cpe:/a:openbsd:openssh"],
        ["VULNERABILITY", "CVE-2024-23897"]
      ])
      expect(findings.find((finding) => finding.type === "VULNERABILITY")?.metadata).toEqual({
        ip: "192.0.2.20",
        verified: false,
        basis: "version"
      })
      const jenkins = findings.find((finding) => finding.value === "cpe:/a:jenkins:jenkins:2.440")
      expect(jenkins?.metadata).toEqual({ part: "a", vendor: "jenkins", product: "jenkins", version: "2.440" })
      expect(jenkins?.source_data).toEqual({ ip: "192.0.2.20", tags: ["devops"], vulns: ["CVE-2024-23897"] })
      expect(intel.internetdb.requestLog()).toEqual(["/192.0.2.20"])
      expect(intel.internetdb.received()[0]?.headers).not.toHaveProperty("authorization")
    }))

  it.scoped("404 {\"detail\":\"No information available\"} is no findings", () =>
    Effect.gen(function*() {
      const { session } = yield* open
      expect(yield* session.collect(target("198.51.100.30"))).toEqual([])
    }))

  it("parses CPE URIs", () => {
    expect(parseCpe("cpe:/a:openbsd:openssh")).toEqual({
      part: "a",
      vendor: "openbsd",
      product: "openssh",
      version: null
    })
  })

  it.scoped("a wrong shape is BadResponse; 429 RateLimited with retryAfterMs; 502 SourceUnavailable", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open
      yield* intel.internetdb.failNext(1, {
        status: 200,
        body: "{\"ip\":\"192.0.2.10\",\"ports\":\"80\"}",
        contentType: "application/json"
      })
      expect(yield* Effect.flip(session.collect(target("192.0.2.10")))).toMatchObject({ _tag: "BadResponse" })
      yield* intel.internetdb.failNext(1, { status: 429, retryAfter: "3" })
      expect(yield* Effect.flip(session.collect(target("192.0.2.10")))).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 3_000
      })
      yield* intel.internetdb.failNext(1, { status: 502 })
      expect(yield* Effect.flip(session.collect(target("192.0.2.10")))).toMatchObject({ _tag: "SourceUnavailable" })
    }))

  it.scoped("an odd item of a list is skipped and counted; a missing list is empty; the rest is kept", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(shodanInternetdb, [
        {
          request: { path: "/192.0.2.30", headers: { authorization: null } },
          response: {
            json: {
              ip: "192.0.2.30",
              ports: [443, "80", 70000],
              cpes: ["cpe:/a:nginx:nginx"],
              vulns: ["CVE-2021-23017"]
            }
          }
        }
      ], { target: { type: "IP", value: "192.0.2.30" } })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((finding) => `${finding.type} ${finding.value}`)).toEqual([
        "OPEN_PORT 192.0.2.30:443",
        "TECHNOLOGY cpe:/a:nginx:nginx",
        "VULNERABILITY CVE-2021-23017"
      ])
      expect(notes.rows_skipped).toBe(2)
      expect(notes.skip_reason).toContain("ports")
    }))
})
