/** shodan_dns against a declared Shodan DNS API: the key in the query, paging while `more`, odd rows, keys. */
import { describe, expect, it } from "@effect/vitest"
import { shodanDns } from "@mirage/modules/modules/shodan_dns"
import { Effect } from "effect"
import { checkKeyRejected, expectHidden, headersCarrying, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "shodan-key-0123456789"
const page = (n: number) => ({ path: "/dns/domain/example.test", query: { key, page: String(n) } })

describe("shodan_dns", () => {
  it.scoped("asks page after page with the key in the query while `more`; labels become names", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(shodanDns, [
        {
          request: page(1),
          response: { json: { domain: "example.test", subdomains: ["", "www", "MAIL"], more: true } }
        },
        {
          request: page(2),
          response: { json: { domain: "example.test", subdomains: ["*", "vpn", "www"], more: false } }
        }
      ], { target, key })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual([
        "example.test",
        "mail.example.test",
        "vpn.example.test",
        "www.example.test"
      ])
      expect(headersCarrying(run.server, key)).toEqual([])
      expectHidden(run, key)
    }))

  it.scoped("an odd label is skipped and counted; a failing later page keeps the earlier one; max_pages stops", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(shodanDns, [
        { request: page(1), response: { json: { subdomains: ["www", 3, { label: "x" }], more: true } } },
        { request: page(2), response: { status: 502, body: "Bad Gateway" } }
      ], { target, key })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual(["www.example.test"])
      expect(run.notes.rows_skipped).toBe(2)
      expect(run.notes.warnings).toEqual([expect.stringContaining("page 2 failed")])
      const capped = yield* collectAgainst(shodanDns, [
        { request: page(1), response: { json: { subdomains: ["www"], more: true } } }
      ], { target, key, config: { max_pages: 1 } })
      yield* capped.server.verify
      expect(values(capped.outcome)).toEqual(["www.example.test"])
    }))

  it.scoped("404 (no information for that domain) is no findings", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(shodanDns, [{
        request: page(1),
        response: { status: 404, json: { error: "No information available for that domain." } }
      }], { target, key })
      expect(values(run.outcome)).toEqual([])
    }))

  it.scoped("a rejected key (401, 403) is AuthFailed; no key sends nothing", () =>
    checkKeyRejected(shodanDns, page(1), key))
})
