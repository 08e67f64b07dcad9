/** crowdsec_cti against a declared CrowdSec CTI: an attacking address, a known false positive, unseen, odd answers. */
import { describe, expect, it } from "@effect/vitest"
import { crowdsecCti } from "@mirage/modules/modules/crowdsec_cti"
import { Effect, Either } from "effect"
import { expectHidden, headersCarrying } from "./keyedSource.js"
import { collectAgainst } from "./support.js"
import { checkRejected, found, ip } from "./threatSupport.js"

const key = "crowdsec-cti-key-55aa"
const request = { path: "/v2/smoke/198.51.100.200", headers: { "x-api-key": key } }
const smoke = (extra: Record<string, unknown> = {}) => ({
  json: {
    ip_range_score: 4,
    ip: "198.51.100.200",
    ip_range: "198.51.100.0/24",
    as_name: "Example Transit",
    as_num: 64510,
    location: { country: "DE", city: null },
    reverse_dns: "scan-200.example.net",
    behaviors: [{ name: "ssh:bruteforce", label: "SSH Bruteforce", description: "…" }],
    history: { first_seen: "2026-10-01T00:00:00+00:00", last_seen: "2026-12-04T00:00:00+00:00" },
    classifications: { false_positives: [], classifications: [{ name: "scanner:legit", label: "Legit scanner" }] },
    attack_details: [{ name: "crowdsecurity/ssh-bf", label: "SSH Bruteforce", references: [] }],
    background_noise_score: 8,
    scores: { overall: { aggressiveness: 5, threat: 4, trust: 5, anomaly: 1, total: 5 } },
    cves: ["CVE-2024-3400"],
    ...extra
  }
})

describe("crowdsec_cti", () => {
  it.scoped("what the address did, its AS, range, reverse name and the CVE it exploited; key in x-api-key", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(crowdsecCti, [{ request, response: smoke() }], {
        target: ip("198.51.100.200"),
        key
      })
      yield* run.server.verify
      expect(found(run.outcome)).toEqual([
        "IP 198.51.100.200",
        "ASN AS64510",
        "NETBLOCK 198.51.100.0/24",
        "DOMAIN scan-200.example.net",
        "VULNERABILITY CVE-2024-3400"
      ])
      expect(Either.getOrThrow(run.outcome)[0]?.metadata).toMatchObject({
        malicious: true,
        crowdsec: {
          behaviors: ["SSH Bruteforce"],
          attacks: ["SSH Bruteforce"],
          classifications: ["Legit scanner"],
          scores: { total: 5, threat: 4 },
          background_noise: 8,
          last_seen: "2026-12-04T00:00:00+00:00"
        }
      })
      expect(headersCarrying(run.server, key)).toEqual(["x-api-key"])
      expectHidden(run, key)
    }))

  it.scoped("a known false positive is not marked malicious; an address with no behaviour only gives its network", () =>
    Effect.gen(function*() {
      const fp = yield* collectAgainst(crowdsecCti, [{
        request,
        response: smoke({ classifications: { false_positives: [{ name: "cdn:cloudflare", label: "Cloudflare CDN" }] } })
      }], { target: ip("198.51.100.200"), key })
      const [address] = Either.getOrThrow(fp.outcome)
      expect(address?.metadata["malicious"]).toBeUndefined()
      expect(address?.confidence).toBe(0.5)
      const quiet = yield* collectAgainst(crowdsecCti, [{
        request,
        response: smoke({ behaviors: [], attack_details: [], cves: [], reverse_dns: null })
      }], { target: ip("198.51.100.200"), key })
      expect(found(quiet.outcome)).toEqual(["ASN AS64510", "NETBLOCK 198.51.100.0/24"])
    }))

  it.scoped("unseen (404) is nothing; a smoke without its ip is BadResponse; a rejected or missing key AuthFailed", () =>
    Effect.gen(function*() {
      const unseen = yield* collectAgainst(crowdsecCti, [{
        request,
        response: { status: 404, json: { message: "IP address information not found" } }
      }], { target: ip("198.51.100.200"), key })
      expect(found(unseen.outcome)).toEqual([])
      const odd = yield* collectAgainst(crowdsecCti, [{ request, response: { json: { as_num: "x" } } }], {
        target: ip("198.51.100.200"),
        key
      })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      yield* checkRejected(crowdsecCti, request, key, ip("198.51.100.200"))
    }))
})
