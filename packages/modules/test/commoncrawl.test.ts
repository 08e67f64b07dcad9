/** commoncrawl against a declared index server: the latest crawl, its page count, each CDX page, odd lines, a failing page. */
import { describe, expect, it } from "@effect/vitest"
import { commoncrawl } from "@mirage/modules/modules/commoncrawl"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = { type: "DOMAIN" as const, value: "example.test" }
const collinfo = {
  request: { path: "/collinfo.json", headers: { accept: "application/json" } },
  response: {
    json: [
      {
        id: "CC-MAIN-2025-47",
        name: "November 2025 Index",
        timegate: "https://index.commoncrawl.org/CC-MAIN-2025-47/",
        "cdx-api": "https://index.commoncrawl.org/CC-MAIN-2025-47-index"
      },
      { id: "CC-MAIN-2025-43", "cdx-api": "https://index.commoncrawl.org/CC-MAIN-2025-43-index" }
    ]
  }
}
const query = { url: "*.example.test", output: "json" }
const path = "/CC-MAIN-2025-47-index"
const pageCount = (pages: number) => ({
  request: { path, query: { ...query, showNumPages: "true" } },
  response: { json: { pages, pageSize: 5, blocks: pages * 5 } }
})
const capture = (url: string, status = "200") =>
  JSON.stringify({
    urlkey: "test,example)/",
    timestamp: "20251108123456",
    url,
    mime: "text/html",
    status,
    digest: "ABC",
    length: "1234",
    offset: "99",
    filename: "crawl-data/x.warc.gz"
  })
const page = (index: number, lines: ReadonlyArray<string>, status = 200) => ({
  request: {
    path,
    query: index === 0 ? query : { ...query, page: String(index) },
    headers: { accept: "text/plain, */*" }
  },
  response: FixtureServer.text(lines.join("\n"), status)
})

describe("commoncrawl", () => {
  it.scoped("asks the latest crawl's index for its page count, then each page; names and URLs under the domain", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(commoncrawl, [
        collinfo,
        pageCount(2),
        page(0, [capture("https://www.example.test/about"), capture("http://example.test/", "301")]),
        page(1, [capture("https://shop.example.test/cart?x=1"), capture("https://cdn.other.test/example.test.js")])
      ], { target })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        "DOMAIN example.test",
        "DOMAIN shop.example.test",
        "DOMAIN www.example.test",
        "URL http://example.test/",
        "URL https://shop.example.test/cart?x=1",
        "URL https://www.example.test/about"
      ])
      expect(findings.find((f) => f.value === "http://example.test/")?.metadata).toEqual({
        captured: "20251108123456",
        status: "301"
      })
    }))

  it.scoped("a line that is not a capture is skipped and counted; a later page failing keeps the earlier ones", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(commoncrawl, [
        collinfo,
        pageCount(3),
        page(0, [capture("https://a.example.test/"), "{\"urlkey\": \"no url\"}"]),
        page(1, ["<html>Slow Down</html>"], 503)
      ], { target, config: { urls: false } })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual(["a.example.test"])
      expect(notes.rows_skipped).toBe(1)
      expect(notes.warnings).toEqual([expect.stringContaining("page 2 failed, 1 rows of earlier pages kept")])
    }))

  it.scoped("no pages is no findings without asking for one; a crawl list without crawls is BadResponse", () =>
    Effect.gen(function*() {
      const none = yield* collectAgainst(commoncrawl, [collinfo, pageCount(0)], { target })
      yield* none.server.verify
      expect(Either.getOrThrow(none.outcome)).toEqual([])
      const broken = yield* collectAgainst(commoncrawl, [{ ...collinfo, response: { json: [] } }], { target })
      expect(Either.flip(broken.outcome).pipe(Either.getOrThrow)).toMatchObject({ _tag: "BadResponse" })
    }))

  it.scoped("429 with Retry-After on the crawl list is RateLimited; a 503 page count is SourceUnavailable", () =>
    Effect.gen(function*() {
      const limited = yield* collectAgainst(commoncrawl, [{
        request: collinfo.request,
        response: FixtureServer.rateLimited(5)
      }], { target })
      expect(Either.flip(limited.outcome).pipe(Either.getOrThrow)).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 5_000
      })
      const busy = yield* collectAgainst(commoncrawl, [collinfo, {
        request: pageCount(1).request,
        response: FixtureServer.text("Slow Down", 503)
      }], { target })
      expect(Either.flip(busy.outcome).pipe(Either.getOrThrow)).toMatchObject({ _tag: "SourceUnavailable" })
    }))

  it.scoped("max_pages caps the pages asked for, with a warning", () =>
    Effect.gen(function*() {
      const { notes, server } = yield* collectAgainst(commoncrawl, [
        collinfo,
        pageCount(9),
        page(0, [capture("https://a.example.test/")])
      ], { target, config: { max_pages: 1 } })
      yield* server.verify
      expect(notes.warnings).toEqual(["stopped after 1 pages (max_pages); the source had more"])
    }))
})
