/**
 * JSON text of a schema's encoded value, or its UTF-8 bytes, built on a hot read path without the schema's walk (a
 * scan encoded once and kept, results passed through as stored). A builder of one promises the text is what
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

/** JSON text as its UTF-8 bytes: what a store gives without decoding it, and what an answer's body is. */
export type JsonBytes<I> = Uint8Array & { readonly [encodedOf]: I }

/** The UTF-8 bytes of a schema's encoded value. */
export type JsonBytesOf<S extends Schema.Schema.Any> = JsonBytes<Schema.Schema.Encoded<S>>

const utf8 = new TextEncoder()

/** The bytes of a JSON text. */
export const bytesOf = <I>(text: JsonText<I>): JsonBytes<I> => utf8.encode(text) as JsonBytes<I>

/**
 * Bytes taken as the UTF-8 JSON of `S`'s encoding on the word of where they come from: a store that only ever wrote
 * `Schema.encode(S)` results (its tests prove it).
 */
export const trustedBytes = <S extends Schema.Schema.Any>(_schema: S, bytes: Uint8Array): JsonBytesOf<S> =>
  bytes as JsonBytesOf<S>

const pageHead = utf8.encode("{\"items\":[")
const comma = utf8.encode(",")

/** The encoding of a paged API answer whose items encode as `I`. */
export type PageOf<I> = { readonly items: ReadonlyArray<I>; readonly next_cursor: string | null }

/**
 * A page `{ items, next_cursor }` to be written from its items' bytes: its length first, so that the caller chooses
 * the buffer it goes into (a fresh one, or one reused once an earlier answer in it was sent).
 */
export interface PageBytes<I> {
  readonly byteLength: number
  /** Writes the page at the start of `into` (at least `byteLength` long) and gives that part of it. */
  readonly writeInto: (into: Uint8Array) => JsonBytes<PageOf<I>>
}

/** A page to be written whose JSON is the encoding of the page schema `S`. */
export type PageBytesOf<S extends Schema.Schema.Any> = Schema.Schema.Encoded<S> extends PageOf<infer I> ? PageBytes<I>
  : never

/**
 * The page of `items`' bytes and the cursor. The items' bytes are copied once into the answer, with no text decoded,
 * joined or encoded again (a results page is ≈ 44 KB, three copies of it per request when made as text).
 */
export const page = <I>(items: ReadonlyArray<JsonBytes<I>>, nextCursor: string | null): PageBytes<I> => {
  const tail = utf8.encode(`],"next_cursor":${JSON.stringify(nextCursor)}}`)
  let byteLength = pageHead.length + Math.max(0, items.length - 1) * comma.length + tail.length
  for (const item of items) byteLength += item.length
  return {
    byteLength,
    writeInto: (into) => {
      into.set(pageHead, 0)
      let at = pageHead.length
      for (let i = 0; i < items.length; i++) {
        if (i > 0) into.set(comma, at++)
        into.set(items[i]!, at)
        at += items[i]!.length
      }
      into.set(tail, at)
      return into.subarray(0, byteLength) as JsonBytes<PageOf<I>>
    }
  }
}

/** The bytes of a page in a buffer of their own: the shape of every paged API answer. */
export const pageBytes = <I>(items: ReadonlyArray<JsonBytes<I>>, nextCursor: string | null): JsonBytes<PageOf<I>> => {
  const made = page(items, nextCursor)
  return made.writeInto(new Uint8Array(made.byteLength))
}
