/** abuseipdb against a declared AbuseIPDB: the check's request, a reported address, a clean one, errors, odd answers. */
import { describe, expect, it } from "@effect/vitest"
import { abuseipdb } from "@mirage/modules/modules/abuseipdb"
import { Effect, Either } from "effect"
import { expectHidden, headersCarrying } from "./keyedSource.js"
import { collectAgainst } from "./support.js"
import { checkRejected, found, ip } from "./threatSupport.js"

const key = "abuseipdb-key-9f8e7d6c5b4a"
const request = {
  path: "/api/v2/check",
  query: { ipAddress: "203.0.113.77", maxAgeInDays: "90", verbose: "" },
  headers: { key, accept: "application/json" }
}
const check = (data: Record<string, unknown>) => ({
  json: {
    data: {
      ipAddress: "203.0.113.77",
      isPublic: true,
      ipVersion: 4,
      isWhitelisted: false,
      abuseConfidenceScore: 100,
      countryCode: "NL",
      usageType: "Data Center/Web Hosting/Transit",
      isp: "Bulletproof Hosting BV",
      domain: "bulletproof.example",
      hostnames: ["vps-77.bulletproof.example"],
      isTor: false,
      totalReports: 412,
      numDistinctUsers: 97,
      lastReportedAt: "2026-12-04T21:13:01+00:00",
      reports: [{ reportedAt: "2026-12-04T21:13:01+00:00", comment: "ssh brute force", categories: [18, 22] }, {
        categories: [14]
      }],
      ...data
    }
  }
})

describe("abuseipdb", () => {
  it.scoped("a reported address with its score and categories, its holder, domain and reverse name; key in `Key`", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(abuseipdb, [{ request, response: check({}) }], {
        target: ip("203.0.113.77"),
        key
      })
      yield* run.server.verify
      expect(found(run.outcome)).toEqual([
        "IP 203.0.113.77",
        "ORGANIZATION Bulletproof Hosting BV",
        "DOMAIN bulletproof.example",
        "DOMAIN vps-77.bulletproof.example"
      ])
      const [address] = Either.getOrThrow(run.outcome)
      expect(address?.confidence).toBe(1)
      expect(address?.metadata).toEqual({
        abuseipdb: {
          abuse_confidence_score: 100,
          total_reports: 412,
          distinct_reporters: 97,
          last_reported_at: "2026-12-04T21:13:01+00:00",
          whitelisted: false,
          tor: false,
          usage_type: "Data Center/Web Hosting/Transit",
          country_code: "NL",
          report_categories: [14, 18, 22]
        },
        malicious: true
      })
      expect(headersCarrying(run.server, key)).toEqual(["key"])
      expectHidden(run, key)
    }))

  it.scoped("never reported: the holder only; below min_score the address is left out; max_age_days is sent", () =>
    Effect.gen(function*() {
      const clean = yield* collectAgainst(abuseipdb, [{
        request,
        response: check({ abuseConfidenceScore: 0, totalReports: 0, hostnames: [], domain: null, reports: [] })
      }], { target: ip("203.0.113.77"), key })
      expect(found(clean.outcome)).toEqual(["ORGANIZATION Bulletproof Hosting BV"])
      const low = yield* collectAgainst(abuseipdb, [{
        request: { ...request, query: { ...request.query, maxAgeInDays: "30" } },
        response: check({ abuseConfidenceScore: 20 })
      }], { target: ip("203.0.113.77"), key, config: { max_age_days: 30, min_score: 50 } })
      yield* low.server.verify
      expect(found(low.outcome)).not.toContain("IP 203.0.113.77")
    }))

  it.scoped("a private address (422) is nothing; data of the wrong shape is BadResponse; no data at all too", () =>
    Effect.gen(function*() {
      const private_ = yield* collectAgainst(abuseipdb, [{
        request: { ...request, query: { ...request.query, ipAddress: "10.1.2.3" } },
        response: {
          status: 422,
          json: { errors: [{ detail: "The ip address must be a public address.", status: 422 }] }
        }
      }], { target: ip("10.1.2.3"), key })
      expect(found(private_.outcome)).toEqual([])
      const odd = yield* collectAgainst(abuseipdb, [{
        request,
        response: { json: { data: { ipAddress: "203.0.113.77", abuseConfidenceScore: "high" } } }
      }], { target: ip("203.0.113.77"), key })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      expect(odd.notes.rows_skipped).toBe(1)
      const none = yield* collectAgainst(abuseipdb, [{ request, response: { json: { errors: [] } } }], {
        target: ip("203.0.113.77"),
        key
      })
      expect(none.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
    }))

  it.scoped("the daily quota (429) is RateLimited with its Retry-After; a rejected or missing key AuthFailed", () =>
    Effect.gen(function*() {
      const limited = yield* collectAgainst(abuseipdb, [{
        request,
        response: { status: 429, headers: { "retry-after": "600" }, json: { errors: [{ detail: "Daily rate limit" }] } }
      }], { target: ip("203.0.113.77"), key })
      expect(limited.outcome).toMatchObject({ left: { _tag: "RateLimited", retryAfterMs: 600_000 } })
      yield* checkRejected(abuseipdb, request, key, ip("203.0.113.77"))
    }))
})
