/** The stores' row helpers: a row that does not decode is a PersistenceError naming the operation; times as ISO. */
import { describe, expect, it } from "@effect/vitest"
import { documents, iso, plainRows, rowsDecoder } from "@mirage/runtime/platform/Rows"
import { Effect, Exit, FastCheck as fc, Schema } from "effect"

const decode = rowsDecoder(Schema.Struct({ id: Schema.String, n: Schema.Number }))

describe("Rows", () => {
  it.effect("decodes rows, and fails a row that is not one with the operation named", () =>
    Effect.gen(function*() {
      expect(yield* decode("read things")([{ id: "a", n: 1 }])).toEqual([{ id: "a", n: 1 }])
      const failed = yield* Effect.flip(decode("read things")([{ id: "a", n: "1" }]))
      expect([failed._tag, failed.operation]).toEqual(["PersistenceError", "read things"])
    }))

  it("takes the document column and writes epoch milliseconds as ISO text", () => {
    expect(documents([{ document: { a: 1 } }, { document: null }])).toEqual([{ a: 1 }, null])
    expect(iso(1_700_000_000_000)).toBe("2023-11-14T22:13:20.000Z")
  })

  it("decodes rows of plain columns without the parser, exactly as the schema does", () => {
    const Row = Schema.Struct({
      id: Schema.String,
      n: Schema.Number,
      on: Schema.Boolean,
      document: Schema.NullOr(Schema.String),
      kind: Schema.Literal("a", "b")
    })
    expect(plainRows(Row.ast)).toBeDefined()
    // Refined, transformed or optional columns always go through the schema.
    expect(plainRows(Schema.Struct({ id: Schema.NonEmptyString }).ast)).toBeUndefined()
    expect(plainRows(Schema.Struct({ at: Schema.DateFromString }).ast)).toBeUndefined()
    expect(plainRows(Schema.Struct({ id: Schema.optional(Schema.String) }).ast)).toBeUndefined()
    const schema = Schema.decodeUnknown(Schema.Array(Row))
    const decodeRows = rowsDecoder(Row)("read rows")
    const value = fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom("a", "b", "c"))
    const row = fc.record(
      { id: value, n: value, on: value, document: value, kind: value, extra: value },
      { requiredKeys: [] }
    )
    const good = fc.record({
      id: fc.string(),
      n: fc.double(),
      on: fc.boolean(),
      document: fc.option(fc.string(), { nil: null }),
      kind: fc.constantFrom("a", "b"),
      extra: value
    })
    const rows = fc.oneof(fc.array(good), fc.array(fc.oneof(good, row)), fc.anything())
    fc.assert(
      fc.property(rows, (input) => {
        const expected = Effect.runSync(Effect.exit(schema(input)))
        const actual = Effect.runSync(Effect.exit(decodeRows(input)))
        expect(Exit.isSuccess(actual)).toBe(Exit.isSuccess(expected))
        if (Exit.isSuccess(actual) && Exit.isSuccess(expected)) expect(actual.value).toEqual(expected.value)
      }),
      { numRuns: 2000 }
    )
  })
})
