/** onyphe against a declared ONYPHE: the summary's mixed categories, a threat list, refusals in the body, odd rows. */
import { describe, expect, it } from "@effect/vitest"
import { onyphe } from "@mirage/modules/modules/onyphe"
import { Effect, Either } from "effect"
import { expectHidden, headersCarrying } from "./keyedSource.js"
import { collectAgainst } from "./support.js"
import { checkRejected, found, ip } from "./threatSupport.js"

const key = "onyphe-key-3c3c"
const request = { path: "/api/v2/summary/ip/203.0.113.90", headers: { authorization: `bearer ${key}` } }
const summary = (results: ReadonlyArray<unknown>) => ({
  json: { count: results.length, error: 0, myip: "192.0.2.1", page: 1, results, status: "ok", total: results.length }
})
const rows = [
  {
    "@category": "geoloc",
    ip: "203.0.113.90",
    asn: "AS64560",
    organization: "Onyx Hosting",
    subnet: "203.0.113.0/24",
    country: "FR"
  },
  {
    "@category": "datascan",
    ip: "203.0.113.90",
    port: 443,
    protocol: "http",
    transport: "tcp",
    product: "Microsoft IIS",
    productversion: "10.0",
    hostname: ["mail.onyx.example"],
    seen_date: "2026-11-30"
  },
  { "@category": "resolver", ip: "203.0.113.90", reverse: "host-90.onyx.example", domain: "onyx.example" },
  { "@category": "threatlist", ip: "203.0.113.90", threatlist: "abuse.ch feodotracker" },
  { "@category": "vulnscan", ip: "203.0.113.90", port: 443, cve: ["CVE-2023-21709"] }
]

describe("onyphe", () => {
  it.scoped("every category's facts: threat list, AS, holder, subnet, ports, product, names, CVEs; bearer key", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(onyphe, [{ request, response: summary(rows) }], {
        target: ip("203.0.113.90"),
        key
      })
      yield* run.server.verify
      expect(found(run.outcome)).toEqual([
        "IP 203.0.113.90",
        "ASN AS64560",
        "ORGANIZATION Onyx Hosting",
        "NETBLOCK 203.0.113.0/24",
        "OPEN_PORT 203.0.113.90:443",
        "TECHNOLOGY Microsoft IIS",
        "DOMAIN mail.onyx.example",
        "DOMAIN host-90.onyx.example",
        "VULNERABILITY CVE-2023-21709"
      ])
      expect(Either.getOrThrow(run.outcome)[0]?.metadata).toEqual({
        onyphe: { threatlists: ["abuse.ch feodotracker"] },
        malicious: true
      })
      expect(headersCarrying(run.server, key)).toEqual(["authorization"])
      expectHidden(run, key)
    }))

  it.scoped("an error in the body is a refusal (a bad key AuthFailed); an odd row is skipped and counted", () =>
    Effect.gen(function*() {
      const refused = yield* collectAgainst(onyphe, [{
        request,
        response: { json: { error: 3, text: "Invalid API key", status: "nok" } }
      }], { target: ip("203.0.113.90"), key })
      expect(refused.outcome).toMatchObject({ left: { _tag: "AuthFailed" } })
      const partial = yield* collectAgainst(onyphe, [{ request, response: summary([rows[0], { port: 80 }]) }], {
        target: ip("203.0.113.90"),
        key
      })
      expect(found(partial.outcome)).toEqual(["ASN AS64560", "ORGANIZATION Onyx Hosting", "NETBLOCK 203.0.113.0/24"])
      expect(partial.notes.rows_skipped).toBe(1)
      const odd = yield* collectAgainst(onyphe, [{ request, response: { json: { error: 0, status: "ok" } } }], {
        target: ip("203.0.113.90"),
        key
      })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      yield* checkRejected(onyphe, request, key, ip("203.0.113.90"))
    }))
})
