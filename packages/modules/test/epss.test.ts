/** epss against a declared FIRST EPSS API: the score enriching the CVE asked, decimal strings, odd rows, refusals. */
import { describe, expect, it } from "@effect/vitest"
import { epss } from "@mirage/modules/modules/epss"
import { epssAnswer } from "@mirage/testkit/ThreatSources"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = { type: "VULNERABILITY" as const, value: "CVE-2022-27225" }
const request = { path: "/data/v1/epss", query: { cve: "CVE-2022-27225" } }

describe("epss", () => {
  it.scoped("the CVE's probability and percentile, read from decimal strings, as its enrichment", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(epss, [{
        request,
        response: {
          json: epssAnswer([{
            cve: "CVE-2022-27225",
            epss: "0.002510000",
            percentile: "0.620250000",
            date: "2024-03-19"
          }])
        }
      }], { target })
      yield* run.server.verify
      const findings = Either.getOrThrow(run.outcome)
      expect(findings.map((f) => [f.type, f.value, f.enrichment])).toEqual([["VULNERABILITY", "CVE-2022-27225", true]])
      expect(findings[0]?.metadata).toEqual({ epss: 0.00251, epss_percentile: 0.62025, epss_date: "2024-03-19" })
    }))

  it.scoped("no row is no score; an unreadable score is BadResponse; a status other than OK is a refusal", () =>
    Effect.gen(function*() {
      const none = yield* collectAgainst(epss, [{ request, response: { json: epssAnswer([]) } }], { target })
      expect(Either.getOrThrow(none.outcome)).toEqual([])
      const odd = yield* collectAgainst(epss, [{
        request,
        response: { json: epssAnswer([{ cve: "CVE-2022-27225", epss: "7", percentile: "0.5" }]) }
      }], { target })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      expect(odd.notes.rows_skipped).toBe(1)
      const refused = yield* collectAgainst(epss, [{
        request,
        response: { json: { status: "error", "status-code": 400, message: "bad cve" } }
      }], { target })
      expect(Either.isLeft(refused.outcome)).toBe(true)
      const broken = yield* collectAgainst(epss, [{ request, response: { json: { status: "OK" } } }], { target })
      expect(broken.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
    }))
})
