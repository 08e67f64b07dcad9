import { describe, expect, it } from "@effect/vitest"
import { page } from "@mirage/domain/api/JsonText"
import { ScanPage } from "@mirage/domain/api/ScansApi"
import { Scan } from "@mirage/domain/Scan"
import { encodeScan, scanJson } from "@mirage/domain/ScanWire"
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

  it("keeps the text of a scan, and builds a page as the page schema encodes it", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.array(Arbitrary.make(Scan), { maxLength: 5 }),
        FastCheck.option(FastCheck.string(), { nil: null }),
        (scans, cursor) => {
          const expected = Schema.encodeSync(ScanPage)(ScanPage.make({ items: scans, next_cursor: cursor }))
          expect(JSON.parse(page(scans.map(scanJson), cursor))).toStrictEqual(JSON.parse(JSON.stringify(expected)))
          for (const scan of scans) expect(scanJson(scan)).toBe(scanJson(scan))
        }
      ),
      { numRuns: 100 }
    )
  })
})
