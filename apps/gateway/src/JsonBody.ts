/**
 * Answers whose JSON body was made without the HttpApi's schema encoding (a scan's kept bytes, results as stored):
 * typed by the success schema of the endpoint they stand for, and identical to what its encoding would give.
 */
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServerRequest } from "@effect/platform-node"
import type { JsonBytesOf, JsonOf, PageBytes, PageOf } from "@mirage/domain/api/JsonText"
import { Effect } from "effect"
import type { Schema } from "effect"

export const respond = <S extends Schema.Schema.Any>(
  _schema: S,
  body: JsonOf<S> | JsonBytesOf<S>,
  options?: { readonly status?: number; readonly headers?: Readonly<Record<string, string>> }
): HttpServerResponse.HttpServerResponse =>
  // Raw: Node encodes a text as it writes it, rather than a copy made here first; bytes are written as they are.
  HttpServerResponse.raw(body, {
    contentType: "application/json",
    contentLength: typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.byteLength,
    ...(options?.status === undefined ? {} : { status: options.status }),
    ...(options?.headers === undefined ? {} : { headers: options.headers })
  })

/** A buffer taken from a `PagePool`, and how to give it back once nothing reads it any more. */
export interface Lent {
  readonly bytes: Uint8Array
  /** Gives the buffer back (once; later calls do nothing). */
  readonly release: () => void
}

export interface PagePool {
  /** A buffer of at least `length` bytes that no one else holds. */
  readonly take: (length: number) => Lent
  /** Bytes held for reuse now. */
  readonly pooledBytes: () => number
  /** Buffers of the pool's sizes taken and not given back yet. */
  readonly lent: () => number
}

/**
 * Buffers for paged answers, reused once Node has written them. V8 counts a fresh buffer as external memory and
 * starts a full collection of the whole heap whenever that has grown by 64 MB: with a new page per answer (≈ 32 KB of
 * scans, ≈ 44 KB of results), one every ≈ 1.5 s at 500 pages a second, each stalling the answers behind it for
 * ≈ 100 ms.
 *
 * Buffers come in power-of-two sizes from `minBytes`; a page larger than `maxBytes` gets a buffer of its own, and at
 * most `capacityBytes` wait for reuse (beyond that a returned buffer is left to the collector).
 */
export const makePagePool = (options: {
  readonly minBytes: number
  readonly maxBytes: number
  readonly capacityBytes: number
}): PagePool => {
  const free = new Map<number, Array<ArrayBuffer>>()
  let pooled = 0
  let lent = 0
  const sizeFor = (length: number) => Math.max(options.minBytes, 2 ** Math.ceil(Math.log2(Math.max(1, length))))
  return {
    take: (length) => {
      if (length > options.maxBytes) return { bytes: new Uint8Array(length), release: () => undefined }
      const size = sizeFor(length)
      const kept = free.get(size)?.pop()
      if (kept !== undefined) pooled -= size
      const buffer = kept ?? new ArrayBuffer(size)
      lent++
      let released = false
      return {
        bytes: new Uint8Array(buffer),
        release: () => {
          if (released) return
          released = true
          lent--
          if (pooled + size > options.capacityBytes) return
          pooled += size
          const list = free.get(size)
          if (list === undefined) free.set(size, [buffer])
          else list.push(buffer)
        }
      }
    },
    pooledBytes: () => pooled,
    lent: () => lent
  }
}

/** The gateway's pool: pages up to 1 MiB, at most 16 MiB waiting. */
export const pages = makePagePool({ minBytes: 4096, maxBytes: 1 << 20, capacityBytes: 16 << 20 })

/**
 * A paged answer written into a pooled buffer, given back when Node has finished writing the answer ('finish': every
 * byte handed to the operating system). An answer cut short (the client went away) never finishes: its buffer is
 * left to the collector rather than reused while the socket might still hold it.
 */
export const respondPage = <A, I, R>(
  schema: Schema.Schema<A, PageOf<I>, R>,
  page: PageBytes<I>,
  pool: PagePool = pages
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest> =>
  Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
    const lent = pool.take(page.byteLength)
    const body = page.writeInto(lent.bytes)
    NodeHttpServerRequest.toServerResponse(request).once("finish", lent.release)
    return respond(schema, body)
  })
