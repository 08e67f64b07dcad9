/** numverify against a declared apilayer API: the key in access_key, the carrier, the enrichment, refusals in 200s. */
import { describe, expect, it } from "@effect/vitest"
import { numverify } from "@mirage/modules/modules/numverify"
import { Effect, Either } from "effect"
import { expectHidden, failure, headersCarrying } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "numverify0123456789abcdef"
const target = { type: "PHONE" as const, value: "+14158586273" }
const request = { path: "/api/validate", query: { access_key: key, number: "14158586273" } }
const answer = {
  valid: true,
  number: "14158586273",
  local_format: "4158586273",
  international_format: "+14158586273",
  country_prefix: "+1",
  country_code: "US",
  country_name: "United States of America",
  location: "Novato",
  carrier: "AT&T Mobility LLC",
  line_type: "mobile"
}
const refusal = (code: number, type: string) => ({ json: { success: false, error: { code, type, info: "…" } } })

describe("numverify", () => {
  it.scoped("asks with the key in access_key; the carrier is an organization, the rest enriches the number", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(numverify, [{ request, response: { json: answer } }], { target, key })
      yield* run.server.verify
      const findings = Either.getOrThrow(run.outcome)
      expect(findings.map((f) => [f.type, f.value, f.enrichment ?? false])).toEqual([
        ["PHONE", "+14158586273", true],
        ["ORGANIZATION", "AT&T Mobility LLC", false]
      ])
      expect(findings[0]!.metadata).toMatchObject({
        valid: true,
        line_type: "mobile",
        country_code: "US",
        location: "Novato",
        carrier: "AT&T Mobility LLC"
      })
      expect(findings[1]!.metadata).toMatchObject({ role: "carrier", phone: "+14158586273" })
      expect(headersCarrying(run.server, key)).toEqual([])
      expectHidden(run, key)
    }))

  it.scoped("an invalid number or an empty carrier makes no organization; an answer without valid is BadResponse", () =>
    Effect.gen(function*() {
      const invalid = yield* collectAgainst(numverify, [{
        request,
        response: { json: { ...answer, valid: false, carrier: "", line_type: null, location: "" } }
      }], { target, key })
      const findings = Either.getOrThrow(invalid.outcome)
      expect(findings.map((f) => f.type)).toEqual(["PHONE"])
      expect(findings[0]!.metadata).toEqual({
        valid: false,
        country_code: "US",
        country_name: "United States of America",
        country_prefix: "+1",
        local_format: "4158586273",
        international_format: "+14158586273"
      })
      const noCarrier = yield* collectAgainst(
        numverify,
        [{ request, response: { json: { ...answer, carrier: " " } } }],
        {
          target,
          key
        }
      )
      expect(Either.getOrThrow(noCarrier.outcome).map((f) => f.type)).toEqual(["PHONE"])
      const odd = yield* collectAgainst(numverify, [{ request, response: { json: { number: "14158586273" } } }], {
        target,
        key
      })
      expect(failure(odd.outcome)).toMatchObject({ _tag: "BadResponse" })
    }))

  it.scoped("errors in a 200: 101 is AuthFailed, 104 and 106 RateLimited, others BadResponse; no key sends nothing", () =>
    Effect.gen(function*() {
      const cases = [
        [101, "invalid_access_key", "AuthFailed"],
        [104, "usage_limit_reached", "RateLimited"],
        [106, "rate_limit_reached", "RateLimited"],
        [210, "no_phone_number_provided", "BadResponse"]
      ] as const
      for (const [code, type, tag] of cases) {
        const run = yield* collectAgainst(numverify, [{ request, response: refusal(code, type) }], { target, key })
        expect(failure(run.outcome)).toMatchObject({ _tag: tag })
        expectHidden(run, key)
      }
      const keyless = yield* collectAgainst(numverify, [], { target })
      expect(failure(keyless.outcome)).toMatchObject({ _tag: "AuthFailed" })
      expect(keyless.server.received()).toEqual([])
    }))
})
