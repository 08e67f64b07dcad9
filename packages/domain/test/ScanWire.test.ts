import { describe, expect, it } from "@effect/vitest"
import { pageBytes } from "@mirage/domain/api/JsonText"
import { ScanPage } from "@mirage/domain/api/ScansApi"
import { Entity } from "@mirage/domain/Entity"
import { Scan, ScanDefinition } from "@mirage/domain/Scan"
import { PlannedModule, ScanHeader } from "@mirage/domain/ScanEvent"
import {
  encodeDefinition,
  encodeEntity,
  encodeHeader,
  encodePlannedModule,
  encodeScan,
  scanBytes,
  scanJson
} from "@mirage/domain/ScanWire"
import { Arbitrary, FastCheck, Schema } from "effect"

const encode = Schema.encodeSync(Scan)

describe("ScanWire", () => {
  it("encodes every scan as its schema does", () => {
    FastCheck.assert(
      FastCheck.property(Arbitrary.make(Scan), (scan) => {
        expect(encodeScan(scan)).toStrictEqual(encode(scan))
        expect(JSON.parse(scanJson(scan))).toStrictEqual(JSON.parse(JSON.stringify(encode(scan))))
      }),
      { numRuns: 300 }
    )
  })

  it("keeps the bytes of a scan, and builds a page as the page schema encodes it", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.array(Arbitrary.make(Scan), { maxLength: 5 }),
        FastCheck.option(FastCheck.string(), { nil: null }),
        (scans, cursor) => {
          const expected = Schema.encodeSync(ScanPage)(ScanPage.make({ items: scans, next_cursor: cursor }))
          const page = new TextDecoder().decode(pageBytes(scans.map(scanBytes), cursor))
          expect(JSON.parse(page)).toStrictEqual(JSON.parse(JSON.stringify(expected)))
          // A scan's bytes are made once and kept.
          for (const scan of scans) expect(scanBytes(scan)).toBe(scanBytes(scan))
        }
      ),
      { numRuns: 100 }
    )
  })

  it("encodes a definition, a header, a plan and seeds as their schemas do", () => {
    FastCheck.assert(
      FastCheck.property(
        Arbitrary.make(ScanDefinition),
        Arbitrary.make(ScanHeader),
        FastCheck.array(Arbitrary.make(PlannedModule), { maxLength: 4 }),
        FastCheck.array(Arbitrary.make(Entity), { maxLength: 4 }),
        (definition, header, plan, seeds) => {
          const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown
          expect(json(encodeDefinition(definition))).toStrictEqual(json(Schema.encodeSync(ScanDefinition)(definition)))
          expect(encodeHeader(header)).toStrictEqual(Schema.encodeSync(ScanHeader)(header))
          expect(plan.map(encodePlannedModule)).toStrictEqual(
            plan.map((planned) => Schema.encodeSync(PlannedModule)(planned))
          )
          expect(seeds.map(encodeEntity)).toStrictEqual(seeds.map((seed) => Schema.encodeSync(Entity)(seed)))
        }
      ),
      { numRuns: 200 }
    )
  })
})
