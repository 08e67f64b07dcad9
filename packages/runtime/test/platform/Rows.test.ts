/** The stores' row helpers: a row that does not decode is a PersistenceError naming the operation; times as ISO. */
import { describe, expect, it } from "@effect/vitest"
import { documents, iso, rowsDecoder } from "@mirage/runtime/platform/Rows"
import { Effect, Schema } from "effect"

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
})
