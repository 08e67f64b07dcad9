/** certificate_analysis against a declared crt.sh: expiry judged on the TestClock, issuer, covered names, odd rows. */
import { describe, expect, it } from "@effect/vitest"
import { certificateAnalysis, distinguishedName } from "@mirage/modules/modules/certificate_analysis"
import { Effect, Either, TestClock } from "effect"
import { collectAgainst } from "./support.js"

const fingerprint = "a".repeat(64)
const target = { type: "CERTIFICATE" as const, value: fingerprint }
const request = { path: "/", query: { q: fingerprint, output: "json" } }
const row = (id: number, extra: Record<string, unknown> = {}) => ({
  issuer_ca_id: 183267,
  issuer_name: "C=US, O=Let's Encrypt, CN=R3",
  common_name: "shop.example.test",
  name_value: "shop.example.test\n*.shop.example.test\nadmin@example.test",
  id,
  entry_timestamp: "2024-01-01T10:00:00.123",
  not_before: "2024-01-01T09:00:00",
  not_after: "2024-03-31T09:00:00",
  serial_number: "03a1b2",
  result_count: 3,
  ...extra
})

describe("certificate_analysis", () => {
  it("reads a distinguished name's attributes", () => {
    expect(distinguishedName("C=US, O=\"Example, Inc.\", CN=Example CA")).toEqual({
      C: "US",
      O: "Example, Inc.",
      CN: "Example CA"
    })
  })

  it.scoped("enriches the certificate with expiry and issuer; its names are DOMAINs, its issuer an ORGANIZATION", () =>
    Effect.gen(function*() {
      // 2024-03-20: eleven days before the end of its validity.
      yield* TestClock.setTime(Date.parse("2024-03-20T09:00:00Z"))
      const run = yield* collectAgainst(certificateAnalysis, [{
        request,
        response: { json: [row(11), row(12), { id: 13 }] }
      }], { target })
      yield* run.server.verify
      const findings = Either.getOrThrow(run.outcome)
      expect(findings.map((f) => [f.type, f.value])).toEqual([
        ["CERTIFICATE", fingerprint],
        ["DOMAIN", "shop.example.test"],
        ["ORGANIZATION", "Let's Encrypt"]
      ])
      expect(findings[0]?.enrichment).toBe(true)
      expect(findings[0]?.metadata).toMatchObject({
        issuer_organization: "Let's Encrypt",
        expired: false,
        expiring_soon: true,
        days_left: 11,
        validity_days: 90,
        crtsh_ids: [11, 12]
      })
      expect(run.notes.rows_skipped).toBe(1)
      const later = yield* collectAgainst(certificateAnalysis, [{ request, response: { json: [row(11)] } }], {
        target,
        config: { expiring_days: 5 }
      })
      expect(Either.getOrThrow(later.outcome)[0]?.metadata).toMatchObject({ expired: false, expiring_soon: false })
      yield* TestClock.setTime(Date.parse("2024-06-01T00:00:00Z"))
      const expired = yield* collectAgainst(certificateAnalysis, [{ request, response: { json: [row(11)] } }], {
        target
      })
      expect(Either.getOrThrow(expired.outcome)[0]?.metadata).toMatchObject({ expired: true, expiring_soon: false })
    }))

  it.scoped("an unknown fingerprint (empty list) is nothing; an answer that is no list is BadResponse", () =>
    Effect.gen(function*() {
      const none = yield* collectAgainst(certificateAnalysis, [{ request, response: { json: [] } }], { target })
      expect(Either.getOrThrow(none.outcome)).toEqual([])
      const broken = yield* collectAgainst(certificateAnalysis, [{ request, response: { json: { error: 1 } } }], {
        target
      })
      expect(broken.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      const bad = yield* collectAgainst(certificateAnalysis, [], { target, config: { expiring_days: 0 } })
      expect(bad.outcome).toMatchObject({ left: { _tag: "ModuleConfigError" } })
    }))
})
