/**
 * JSON text of a schema's encoded value, built on a hot read path without the schema's walk (a scan encoded once and
 * kept, results passed through as stored). A builder of one promises the text is what
 * `JSON.stringify(Schema.encodeSync(schema)(value))` would give; the tests hold each builder to it.
 */
import type { Schema } from "effect"

declare const encodedOf: unique symbol

/** JSON text whose parsed value is an `I` (the `Encoded` side of a schema). */
export type JsonText<I> = string & { readonly [encodedOf]: I }

/** The JSON text of a schema's encoded value. */
export type JsonOf<S extends Schema.Schema.Any> = JsonText<Schema.Schema.Encoded<S>>

/** The text of an encoded value, checked against the schema's `Encoded` type by the compiler. */
export const stringify = <S extends Schema.Schema.Any>(_schema: S, encoded: Schema.Schema.Encoded<S>): JsonOf<S> =>
  JSON.stringify(encoded) as JsonOf<S>

/**
 * A text taken as the encoding of `S` on the word of where it comes from: a store that only ever wrote
 * `Schema.encode(S)` results (its tests prove it).
 */
export const trusted = <S extends Schema.Schema.Any>(_schema: S, text: string): JsonOf<S> => text as JsonOf<S>

/**
 * The text of a page `{ items, next_cursor }` from its items' texts: the shape of every paged API answer. Made by one
 * join, so it is one flat text: the items joined and then wrapped would be a text of texts, which measuring the answer
 * (its Content-Length) copies once more — a page's size per request.
 */
export const page = <I>(
  items: ReadonlyArray<JsonText<I>>,
  nextCursor: string | null
): JsonText<{ readonly items: ReadonlyArray<I>; readonly next_cursor: string | null }> => {
  const parts: Array<string> = ["{\"items\":["]
  for (let i = 0; i < items.length; i++) {
    if (i > 0) parts.push(",")
    parts.push(items[i]!)
  }
  parts.push(`],"next_cursor":${JSON.stringify(nextCursor)}}`)
  return parts.join("") as JsonText<{ readonly items: ReadonlyArray<I>; readonly next_cursor: string | null }>
}
