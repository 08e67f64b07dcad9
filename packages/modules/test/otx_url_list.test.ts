/** otx_url_list against a declared OTX: its paging by `has_next`, the optional key, odd rows and a failing later page. */
import { describe, expect, it } from "@effect/vitest"
import { otxUrlList } from "@mirage/modules/modules/otx_url_list"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = { type: "DOMAIN" as const, value: "example.test" }
const path = "/api/v1/indicators/domain/example.test/url_list"
const entry = (url: string, hostname: string, ip: string | null) => ({
  url,
  date: "2023-02-11T09:21:45",
  domain: "example.test",
  hostname,
  httpcode: ip === null ? 0 : 200,
  encoded: encodeURIComponent(url),
  result: ip === null ? null : { urlworker: { ip, http_code: 200 }, safebrowsing: { matches: [] } },
  gsb: []
})
const page = (n: number, list: ReadonlyArray<unknown>, hasNext: boolean, key: string | null = null) => ({
  request: { path, query: { limit: "50", page: String(n) }, headers: { "x-otx-api-key": key } },
  response: { json: { url_list: list, page_num: n, limit: 50, paged: true, has_next: hasNext, full_size: 3 } }
})

describe("otx_url_list", () => {
  it.scoped("pages while has_next: URLs under the domain, their hosts and the addresses they were fetched from", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(otxUrlList, [
        page(1, [entry("https://www.example.test/login.php", "www.example.test", "192.0.2.11")], true),
        page(2, [
          entry("http://api.example.test/v1", "api.example.test", null),
          entry("https://evil.test/example.test", "evil.test", "198.51.100.1")
        ], false)
      ], { target })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        "DOMAIN api.example.test",
        "DOMAIN www.example.test",
        "IP 192.0.2.11",
        "URL http://api.example.test/v1",
        "URL https://www.example.test/login.php"
      ])
      expect(findings.at(-1)?.metadata).toEqual({ seen: "2023-02-11T09:21:45", status: 200 })
    }))

  it.scoped("a key goes in X-OTX-API-KEY; an odd row is skipped and counted; a later page failing keeps the first", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(otxUrlList, [
        page(
          1,
          [entry("https://a.example.test/", "a.example.test", null), { hostname: "b.example.test" }],
          true,
          "otx-k"
        ),
        { request: page(2, [], false, "otx-k").request, response: { status: 504, body: "Gateway Time-out" } }
      ], { target, key: "otx-k" })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual(["a.example.test", "https://a.example.test/"])
      expect(notes.rows_skipped).toBe(1)
      expect(notes.warnings).toEqual([expect.stringContaining("page 2 failed")])
    }))
})
