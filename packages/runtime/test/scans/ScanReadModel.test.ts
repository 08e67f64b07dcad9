/** The read model's view cache: a row read without its document is answered from the version held, or not at all. */
import { describe, expect, it } from "@effect/vitest"
import { Scan } from "@mirage/domain/Scan"
import { Arbitrary, Effect, FastCheck, Option, Schema } from "effect"
import type { ProjectionRow } from "../../src/scans/ScanReadModel.js"
import { makeViewCache, ScanDocument } from "../../src/scans/ScanReadModel.js"

const [scan] = FastCheck.sample(Arbitrary.make(Scan), { numRuns: 1, seed: 7 })
const { correlation_count: _, ...fields } = scan!
const document = JSON.stringify(Schema.encodeSync(ScanDocument)({ ...fields }))
const row: ProjectionRow = { id: fields.id, version: "100", document, seq: 4, shard: 2, correlation_count: 0 }

describe("ScanReadModel view cache", () => {
  it.effect("asks for the document of a version it does not hold, and keeps the view of one it does", () =>
    Effect.gen(function*() {
      const views = makeViewCache()
      expect(views.version(row.id)).toBe("")
      expect(yield* views.view({ ...row, document: null })).toStrictEqual(Option.none())
      const first = Option.getOrThrow(yield* views.view(row))
      expect(first.scan.name).toBe(fields.name)
      expect(views.version(row.id)).toBe("100")
      // The version held, read without its document: the same view, nothing decoded.
      expect(Option.getOrThrow(yield* views.view({ ...row, document: null }))).toBe(first)
      // Only the correlation findings changed (they are counted as the scan is read).
      const counted = Option.getOrThrow(yield* views.view({ ...row, document: null, correlation_count: 3 }))
      expect(counted.scan.correlation_count).toBe(3)
      expect(counted.scan.name).toBe(first.scan.name)
      // Another version (a rewrite, even at the same seq), or the same version at another seq (the id wrapped around):
      // the document is needed again.
      expect(yield* views.view({ ...row, version: "101", document: null })).toStrictEqual(Option.none())
      expect(yield* views.view({ ...row, seq: 5, document: null })).toStrictEqual(Option.none())
      const renamed = JSON.stringify({ ...JSON.parse(document), name: "renamed" })
      const rewritten = Option.getOrThrow(yield* views.view({ ...row, version: "101", document: renamed }))
      expect(rewritten.scan.name).toBe("renamed")
      expect(views.version(row.id)).toBe("101")
    }))

  it.effect("fails on a document that does not decode, as a store failure", () =>
    Effect.gen(function*() {
      const failure = yield* Effect.flip(makeViewCache().view({ ...row, document: "{\"name\": 1}" }))
      expect(failure._tag).toBe("PersistenceError")
    }))
})
