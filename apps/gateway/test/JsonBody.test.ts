/**
 * Paged answers in pooled buffers: a buffer is reused only after Node has written the answer it carried, so a page
 * still on its way to a slow client is never overwritten by the pages answered meanwhile.
 */
import { HttpRouter, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import * as JsonText from "@mirage/domain/api/JsonText"
import { Effect, Layer, Schema } from "effect"
import { createServer } from "node:http"
import { connect } from "node:net"
import type { AddressInfo } from "node:net"
import * as JsonBody from "../src/JsonBody.js"

describe("PagePool", () => {
  const pool = () => JsonBody.makePagePool({ minBytes: 1024, maxBytes: 64 * 1024, capacityBytes: 128 * 1024 })

  it("reuses a buffer only once it is given back, in power-of-two sizes", () => {
    const pages = pool()
    const first = pages.take(3000)
    expect(first.bytes.byteLength).toBe(4096)
    const second = pages.take(3000)
    expect(second.bytes.buffer).not.toBe(first.bytes.buffer)
    first.release()
    expect(pages.pooledBytes()).toBe(4096)
    const third = pages.take(2500)
    expect(third.bytes.buffer).toBe(first.bytes.buffer)
    expect(pages.pooledBytes()).toBe(0)
    // Another size class does not take it.
    third.release()
    expect(pages.take(5000).bytes.buffer).not.toBe(first.bytes.buffer)
  })

  it("counts a buffer given back twice once", () => {
    const pages = pool()
    const lent = pages.take(100)
    lent.release()
    lent.release()
    expect(pages.pooledBytes()).toBe(1024)
    expect(pages.take(100).bytes.buffer).toBe(lent.bytes.buffer)
    expect(pages.take(100).bytes.buffer).not.toBe(lent.bytes.buffer)
  })

  it("gives a page larger than its largest size a buffer of its own, and keeps at most its capacity", () => {
    const pages = pool()
    const large = pages.take(100_000)
    expect(large.bytes.byteLength).toBe(100_000)
    large.release()
    expect(pages.pooledBytes()).toBe(0)
    const held = [pages.take(60_000), pages.take(60_000), pages.take(60_000)]
    for (const lent of held) lent.release()
    expect(pages.pooledBytes()).toBe(128 * 1024)
  })
})

const Item = Schema.Struct({ n: Schema.Number, text: Schema.String })
const Page = Schema.Struct({ items: Schema.Array(Item), next_cursor: Schema.NullOr(Schema.String) })

/**
 * Page `n`: ≈ 6 MB (more than the loopback's socket buffers take from a writer whose reader has stopped), every item
 * naming its page, so that bytes of another page show.
 */
const itemsOf = (n: number) =>
  Array.from(
    { length: 10_000 },
    (_, i) => JsonText.bytesOf(JsonText.stringify(Item, { n, text: `${n}:${i}:`.padEnd(580, String(n % 10)) }))
  )

/** What page `n` must be, parsed. */
const expected = (n: number) => JSON.parse(new TextDecoder().decode(JsonText.pageBytes(itemsOf(n), null))) as unknown

/** A GET whose answer is not read until `resume` is called (nothing read, so the receive window stays small). */
const slowGet = (port: number, path: string) => {
  const socket = connect(port, "127.0.0.1")
  socket.pause()
  const chunks: Array<Buffer> = []
  socket.on("data", (chunk: Buffer) => chunks.push(chunk))
  const body = new Promise<string>((resolve) =>
    socket.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      resolve(text.slice(text.indexOf("\r\n\r\n") + 4))
    })
  )
  socket.write(`GET ${path} HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n`)
  return { resume: () => socket.resume(), body }
}

const until = (done: () => boolean) =>
  Effect.promise(async () => {
    while (!done()) await new Promise((resolve) => setTimeout(resolve, 10))
  })

describe("respondPage", () => {
  it.scoped("a page held by a client that does not read stays whole while the pages after it reuse buffers", () =>
    Effect.gen(function*() {
      const pool = JsonBody.makePagePool({ minBytes: 4096, maxBytes: 8 << 20, capacityBytes: 32 << 20 })
      const pages = new Map<number, ReadonlyArray<JsonText.JsonBytes<typeof Item.Encoded>>>()
      const app = HttpRouter.empty.pipe(
        HttpRouter.get(
          "/page/:n",
          Effect.gen(function*() {
            const n = Number((yield* HttpRouter.params).n)
            const items = pages.get(n) ?? itemsOf(n)
            pages.set(n, items)
            return yield* JsonBody.respondPage(Page, JsonText.page(items, null), pool)
          })
        )
      )
      const server = createServer()
      yield* Layer.launch(HttpServer.serve(app)).pipe(
        Effect.provide(NodeHttpServer.layer(() => server, { port: 0, host: "127.0.0.1" })),
        Effect.forkScoped
      )
      yield* until(() => server.listening)
      const { port } = server.address() as AddressInfo
      const slow = slowGet(port, "/page/0")
      // Answered: its page is in a buffer of the pool, which it does not give back until written.
      yield* until(() => pool.lent() === 1)
      // Pages of the same size, one after another, each answered in full: their buffers go back and are taken again.
      for (let n = 1; n <= 8; n++) {
        const body = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/page/${n}`).then((r) => r.json()))
        expect(body).toEqual(expected(n))
      }
      // Each answered page's buffer goes back when Node has written it (just after its client has it all).
      yield* until(() => pool.lent() <= 1)
      // The slow client's page is still being written: its buffer is the one not given back.
      expect(pool.lent()).toBe(1)
      expect(pool.pooledBytes()).toBeGreaterThan(0)
      slow.resume()
      expect(JSON.parse(yield* Effect.promise(() => slow.body))).toEqual(expected(0))
    }))
})
