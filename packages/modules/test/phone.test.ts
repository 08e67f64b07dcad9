/** phone, offline: E.164, country and line type of numbers; impossible and unreadable ones; no network at all. */
import { describe, expect, it } from "@effect/vitest"
import { classify, phone } from "@mirage/modules/modules/phone"
import { Effect, Either } from "effect"
import { contextFor } from "./support.js"

const collect = (value: string, config: unknown = {}) =>
  Effect.gen(function*() {
    // No endpoints at all: the module must not need any.
    const { ctx } = yield* contextFor("phone", { dnsServers: [] })
    const outcome = yield* Effect.either(
      Effect.flatMap(phone.open(config, ctx), (session) => session.collect({ target: { type: "PHONE", value } }))
    )
    return { outcome, notes: yield* ctx.notes.summary }
  })

describe("phone", () => {
  it.scoped("a UK mobile and a US toll-free number: E.164, country, type and formats", () =>
    Effect.gen(function*() {
      const mobile = Either.getOrThrow((yield* collect("+44 7400 123456")).outcome)
      expect(mobile.map((f) => `${f.type} ${f.value}`)).toEqual(["PHONE +447400123456"])
      expect(mobile[0]?.enrichment).toBe(true)
      expect(mobile[0]?.metadata).toEqual({
        e164: "+447400123456",
        country: "GB",
        calling_code: "44",
        type: "mobile",
        valid: true,
        possible: true,
        international: "+44 7400 123456",
        national: "07400 123456"
      })
      expect(mobile[0]?.confidence).toBe(1)
      const tollFree = Either.getOrThrow((yield* collect("+1 (800) 555-0199")).outcome)
      expect(tollFree[0]?.metadata).toMatchObject({ country: "US", type: "toll_free", valid: true })
    }))

  it.scoped("a number no plan allows is still reported, as invalid and with low confidence", () =>
    Effect.gen(function*() {
      const notValid = Either.getOrThrow((yield* collect("+44 20 7946 00000")).outcome)
      expect(notValid[0]?.metadata).toMatchObject({ e164: "+4420794600000", valid: false, possible: false, type: null })
      expect(notValid[0]?.confidence).toBeLessThan(1)
    }))

  it.scoped("an unreadable number is noted and no findings; a bad default country is a config error", () =>
    Effect.gen(function*() {
      const { notes, outcome } = yield* collect("+999 123 456 789")
      expect(Either.getOrThrow(outcome)).toEqual([])
      expect(notes.rows_skipped).toBe(1)
      const { outcome: bad } = yield* collect("+447700900123", { default_country: "uk" })
      expect(Either.flip(bad).pipe(Either.getOrThrow).message).toContain("alpha-2")
    }))

  it("reads a national number in the configured country", () => {
    expect(classify("020 7946 0000", "GB")).toMatchObject({ e164: "+442079460000", country: "GB", type: "fixed_line" })
    expect(classify("020 7946 0000", null)).toBeUndefined()
  })
})
