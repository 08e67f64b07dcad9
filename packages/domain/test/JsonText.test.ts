import { describe, expect, it } from "@effect/vitest"
import * as JsonText from "@mirage/domain/api/JsonText"
import type { JsonBytes } from "@mirage/domain/api/JsonText"
import { FastCheck } from "effect"

const utf8 = new TextEncoder()
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const bytesOf = (value: unknown) => utf8.encode(JSON.stringify(value)) as JsonBytes<unknown>

/** Writes a page into a buffer longer than it (as a pooled one is) and reads back what was written. */
const written = (page: JsonText.PageBytes<unknown>) => {
  const into = new Uint8Array(page.byteLength + 7).fill(0x7b)
  const out = page.writeInto(into)
  expect(out.length).toBe(page.byteLength)
  return text(out)
}

const items = FastCheck.array(FastCheck.jsonValue(), { maxLength: 12 })
const cursors = FastCheck.option(FastCheck.string(), { nil: null })

describe("JsonText", () => {
  it("writes a page of items' bytes as JSON.stringify would write the page", () => {
    FastCheck.assert(
      FastCheck.property(items, cursors, (values, cursor) => {
        const expected = JSON.stringify({ items: values, next_cursor: cursor })
        expect(written(JsonText.page(values.map(bytesOf), cursor))).toBe(expected)
        expect(text(JsonText.pageBytes(values.map(bytesOf), cursor))).toBe(expected)
      })
    )
  })
})
