/** binaryedge against a declared BinaryEdge API: the key in X-Key, page numbers while page·pagesize < total, keys. */
import { describe, expect, it } from "@effect/vitest"
import { binaryedge } from "@mirage/modules/modules/binaryedge"
import { Effect } from "effect"
import { checkKeyRejected, expectHidden, headersCarrying, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "binaryedge-key-0123456789"
const page = (n: number) => ({
  path: "/v2/query/domains/subdomain/example.test",
  query: { page: String(n) },
  headers: { "x-key": key, accept: "application/json" }
})
const answer = (n: number, total: number, events: ReadonlyArray<unknown>) => ({
  json: { query: "example.test", page: n, pagesize: 2, total, events }
})

describe("binaryedge", () => {
  it.scoped("asks with the key in X-Key, page by page while page·pagesize < total; keeps in-scope names", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(binaryedge, [
        { request: page(1), response: answer(1, 5, ["www.example.test", "example.test.evil.test"]) },
        { request: page(2), response: answer(2, 5, ["API.example.test", "mail.example.test"]) },
        { request: page(3), response: answer(3, 5, ["www.example.test"]) }
      ], { target, key })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual(["api.example.test", "mail.example.test", "www.example.test"])
      expect(headersCarrying(run.server, key)).toEqual(["x-key"])
      expectHidden(run, key)
    }))

  it.scoped("an odd event is skipped and counted; a failing later page keeps the earlier one", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(binaryedge, [
        { request: page(1), response: answer(1, 9, ["a.example.test", 42]) },
        { request: page(2), response: { status: 429, json: { message: "Too Many Requests", status: 429 } } }
      ], { target, key })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual(["a.example.test"])
      expect(run.notes.rows_skipped).toBe(1)
      expect(run.notes.warnings).toEqual([expect.stringContaining("page 2 failed")])
    }))

  it.scoped("max_pages caps the paging, with a warning; an answer without events is BadResponse", () =>
    Effect.gen(function*() {
      const capped = yield* collectAgainst(binaryedge, [
        { request: page(1), response: answer(1, 500, ["a.example.test", "b.example.test"]) }
      ], { target, key, config: { max_pages: 1 } })
      yield* capped.server.verify
      expect(values(capped.outcome)).toEqual(["a.example.test", "b.example.test"])
      expect(capped.notes.warnings.join(" ")).toContain("max_pages")
      const wrong = yield* collectAgainst(binaryedge, [
        { request: page(1), response: { json: { message: "odd" } } }
      ], { target, key })
      expect(wrong.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
    }))

  it.scoped("a rejected key (401, 403) is AuthFailed; no key sends nothing", () =>
    checkKeyRejected(binaryedge, page(1), key))
})
