/** virustotal_ip against a declared VirusTotal: a flagged address with its network and certificate, unknown, odd answers. */
import { describe, expect, it } from "@effect/vitest"
import { virustotalIp } from "@mirage/modules/modules/virustotal_ip"
import { Effect, Either } from "effect"
import { expectHidden, headersCarrying } from "./keyedSource.js"
import { collectAgainst } from "./support.js"
import { checkRejected, found, ip } from "./threatSupport.js"

const key = "vt-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
const sha = "3f".repeat(32)
const request = { path: "/api/v3/ip_addresses/203.0.113.50", headers: { "x-apikey": key } }
const report = (attributes: Record<string, unknown>) => ({
  json: {
    data: {
      id: "203.0.113.50",
      type: "ip_address",
      links: { self: "https://www.virustotal.com/api/v3/ip_addresses/203.0.113.50" },
      attributes: {
        asn: 64530,
        as_owner: "Shady Hosting LLC",
        network: "203.0.113.0/24",
        country: "US",
        reputation: -12,
        tags: [],
        last_analysis_date: 1764892800,
        last_analysis_stats: { malicious: 6, suspicious: 1, harmless: 60, undetected: 27, timeout: 0 },
        last_https_certificate: {
          thumbprint_sha256: sha,
          extensions: { subject_alternative_name: ["*.shady.example", "shady.example"] }
        },
        ...attributes
      }
    }
  }
})

describe("virustotal_ip", () => {
  it.scoped("the engines' verdicts on the address, its AS, network, holder, certificate and the certificate's names", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(virustotalIp, [{ request, response: report({}) }], {
        target: ip("203.0.113.50"),
        key
      })
      yield* run.server.verify
      expect(found(run.outcome)).toEqual([
        "IP 203.0.113.50",
        "ASN AS64530",
        "NETBLOCK 203.0.113.0/24",
        "ORGANIZATION Shady Hosting LLC",
        `CERTIFICATE ${sha}`,
        "DOMAIN shady.example"
      ])
      expect(Either.getOrThrow(run.outcome)[0]?.metadata).toEqual({
        virustotal: {
          malicious: 6,
          suspicious: 1,
          harmless: 60,
          undetected: 27,
          reputation: -12,
          analysed: 1764892800
        },
        malicious: true
      })
      expect(headersCarrying(run.server, key)).toEqual(["x-apikey"])
      expectHidden(run, key)
    }))

  it.scoped("no engine flags it: the address is not reported; unknown (404) is nothing; a rejected or missing key AuthFailed", () =>
    Effect.gen(function*() {
      const clean = yield* collectAgainst(virustotalIp, [{
        request,
        response: report({ last_analysis_stats: { malicious: 0, suspicious: 0 }, last_https_certificate: null })
      }], { target: ip("203.0.113.50"), key })
      expect(found(clean.outcome)).toEqual(["ASN AS64530", "NETBLOCK 203.0.113.0/24", "ORGANIZATION Shady Hosting LLC"])
      const unknown = yield* collectAgainst(virustotalIp, [{
        request,
        response: { status: 404, json: { error: { code: "NotFoundError", message: "not found" } } }
      }], { target: ip("203.0.113.50"), key })
      expect(found(unknown.outcome)).toEqual([])
      yield* checkRejected(virustotalIp, request, key, ip("203.0.113.50"))
    }))

  it.scoped("an item of another type is BadResponse, the row counted; no data is BadResponse", () =>
    Effect.gen(function*() {
      const odd = yield* collectAgainst(virustotalIp, [{
        request,
        response: { json: { data: { id: "x", type: "domain", attributes: {} } } }
      }], { target: ip("203.0.113.50"), key })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      expect(odd.notes.rows_skipped).toBe(1)
      const none = yield* collectAgainst(virustotalIp, [{ request, response: { json: { error: {} } } }], {
        target: ip("203.0.113.50"),
        key
      })
      expect(none.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
    }))
})
