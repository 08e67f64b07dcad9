/** netlas against a declared Netlas API: the query and the key in X-API-Key, offset paging, odd rows, keys. */
import { describe, expect, it } from "@effect/vitest"
import { netlas } from "@mirage/modules/modules/netlas"
import { Effect } from "effect"
import { checkKeyRejected, expectHidden, headersCarrying, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "netlas-key-0123456789"
const page = (start: number) => ({
  path: "/api/domains/",
  query: { q: "domain:*.example.test AND NOT domain:example.test", start: String(start) },
  headers: { "x-api-key": key }
})
const item = (domain: unknown) => ({ data: { domain, level: 3, zone: "test", a: ["192.0.2.7"] } })
/** A full page: twenty names, `n0.example.test`… */
const fullPage = Array.from({ length: 20 }, (_, i) => item(`n${i}.example.test`))

describe("netlas", () => {
  it.scoped("asks with the key in X-API-Key, by offsets of 20 until a short page; keeps in-scope names", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(netlas, [
        { request: page(0), response: { json: { items: fullPage, took: 12 } } },
        {
          request: page(20),
          response: { json: { items: [item("WWW.example.test"), item("example.test.evil.test")], took: 3 } }
        }
      ], { target, key })
      yield* run.server.verify
      const found = values(run.outcome)
      expect(found).toHaveLength(21)
      expect(found).toContain("www.example.test")
      expect(found).not.toContain("example.test.evil.test")
      expect(headersCarrying(run.server, key)).toEqual(["x-api-key"])
      expectHidden(run, key)
    }))

  it.scoped("an odd item is skipped and counted; a failing later page keeps the earlier one", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(netlas, [
        { request: page(0), response: { json: { items: [...fullPage.slice(1), item(null)] } } },
        { request: page(20), response: { status: 429, json: { detail: "Request was throttled." } } }
      ], { target, key })
      yield* run.server.verify
      expect(values(run.outcome)).toHaveLength(19)
      expect(run.notes.rows_skipped).toBe(1)
      expect(run.notes.warnings).toEqual([expect.stringContaining("page 2 failed")])
    }))

  it.scoped("a rejected key (401, 403) is AuthFailed; no key sends nothing", () =>
    checkKeyRejected(netlas, page(0), key))
})
