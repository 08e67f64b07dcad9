/** threatfox against a declared ThreatFox: the JSON POST with its Auth-Key, IOCs as entities, refusals in the body, odd IOCs. */
import { describe, expect, it } from "@effect/vitest"
import { threatfox } from "@mirage/modules/modules/threatfox"
import { Effect, Either } from "effect"
import { expectHidden, headersCarrying } from "./keyedSource.js"
import { collectAgainst } from "./support.js"
import { checkRejected, found, ip } from "./threatSupport.js"

const key = "threatfox-key-8d8d"
const search = (term: string) => ({
  method: "POST",
  path: "/api/v1/",
  body: JSON.stringify({ query: "search_ioc", search_term: term }),
  headers: { "auth-key": key, "content-type": "application/json" }
})
const ioc = (value: string, type: string, extra: Record<string, unknown> = {}) => ({
  id: "1234567",
  ioc: value,
  threat_type: "botnet_cc",
  threat_type_desc: "Indicator that identifies a botnet command&control server (C&C)",
  ioc_type: type,
  ioc_type_desc: "ip:port combination that is used for botnet Command&control (C&C)",
  malware: "win.cobalt_strike",
  malware_printable: "Cobalt Strike",
  malware_alias: "Agentemis,BEACON,CobaltStrike",
  malware_malpedia: "https://malpedia.caad.fkie.fraunhofer.de/details/win.cobalt_strike",
  confidence_level: 100,
  first_seen: "2026-11-28 10:11:12 UTC",
  last_seen: null,
  reference: "https://reports.example.test/cs",
  reporter: "someone",
  tags: ["c2", "CobaltStrike"],
  ...extra
})

describe("threatfox", () => {
  it.scoped("an address's IOCs: the address marked with the malware, each ip:port an OPEN_PORT; key in Auth-Key", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(threatfox, [{
        request: search("192.0.2.66"),
        response: {
          json: {
            query_status: "ok",
            data: [ioc("192.0.2.66:443", "ip:port"), ioc("192.0.2.66:8080", "ip:port", { confidence_level: 75 })]
          }
        }
      }], { target: ip("192.0.2.66"), key })
      yield* run.server.verify
      expect(found(run.outcome)).toEqual(["IP 192.0.2.66", "OPEN_PORT 192.0.2.66:443", "OPEN_PORT 192.0.2.66:8080"])
      const [address, port] = Either.getOrThrow(run.outcome)
      expect(address?.metadata).toEqual({ threatfox: { iocs: 2, malware: ["Cobalt Strike"] }, malicious: true })
      expect(port?.metadata).toMatchObject({
        threat_type: "botnet_cc",
        malware: "Cobalt Strike",
        confidence_level: 100,
        tags: ["c2", "CobaltStrike"]
      })
      expect(headersCarrying(run.server, key)).toEqual(["auth-key"])
      expectHidden(run, key)
    }))

  it.scoped("a domain's URL IOCs; no_result is nothing; illegal_search_term is BadResponse; unknown_auth_key AuthFailed", () =>
    Effect.gen(function*() {
      const domain = { type: "DOMAIN" as const, value: "evil.example" }
      const run = yield* collectAgainst(threatfox, [{
        request: search("evil.example"),
        response: {
          json: {
            query_status: "ok",
            data: [ioc("evil.example", "domain"), ioc("https://evil.example/gate.php", "url")]
          }
        }
      }], { target: domain, key })
      expect(found(run.outcome)).toEqual(["DOMAIN evil.example", "URL https://evil.example/gate.php"])
      const none = yield* collectAgainst(threatfox, [{
        request: search("evil.example"),
        response: { json: { query_status: "no_result", data: "Your search did not yield any results" } }
      }], { target: domain, key })
      expect(found(none.outcome)).toEqual([])
      const illegal = yield* collectAgainst(threatfox, [{
        request: search("evil.example"),
        response: { json: { query_status: "illegal_search_term", data: "Illegal search term" } }
      }], { target: domain, key })
      expect(illegal.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      const refused = yield* collectAgainst(threatfox, [{
        request: search("evil.example"),
        response: { json: { query_status: "unknown_auth_key" } }
      }], { target: domain, key })
      expect(refused.outcome).toMatchObject({ left: { _tag: "AuthFailed" } })
      expectHidden(refused, key)
    }))

  it.scoped("an odd IOC is skipped and counted; an ok without data is BadResponse; 401 and no key AuthFailed", () =>
    Effect.gen(function*() {
      const partial = yield* collectAgainst(threatfox, [{
        request: search("192.0.2.66"),
        response: { json: { query_status: "ok", data: [ioc("192.0.2.66:443", "ip:port"), { ioc: 5 }] } }
      }], { target: ip("192.0.2.66"), key })
      expect(found(partial.outcome)).toEqual(["IP 192.0.2.66", "OPEN_PORT 192.0.2.66:443"])
      expect(partial.notes.rows_skipped).toBe(1)
      const odd = yield* collectAgainst(threatfox, [{
        request: search("192.0.2.66"),
        response: { json: { query_status: "ok" } }
      }], {
        target: ip("192.0.2.66"),
        key
      })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      yield* checkRejected(threatfox, search("192.0.2.66"), key, ip("192.0.2.66"), [401])
    }))
})
