/** zoomeye against a declared ZoomEye API: the key in API-KEY, paging up to `total`, odd rows, keys. */
import { describe, expect, it } from "@effect/vitest"
import { zoomeye } from "@mirage/modules/modules/zoomeye"
import { Effect } from "effect"
import { checkKeyRejected, expectHidden, headersCarrying, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "zoomeye-key-0123456789"
const page = (n: number) => ({
  path: "/domain/search",
  query: { q: "example.test", type: "1", page: String(n), s: "1000" },
  headers: { "api-key": key }
})

describe("zoomeye", () => {
  it.scoped("asks with the key in API-KEY, page after page until `total` is reached; keeps in-scope names", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(zoomeye, [
        {
          request: page(1),
          response: {
            json: {
              status: 200,
              total: 1500,
              list: [
                { name: "asdf.example.test", ip: ["192.0.2.1"] },
                { name: "example.test.other.test", ip: [] }
              ]
            }
          }
        },
        {
          request: page(2),
          response: { json: { status: 200, total: 1500, list: [{ name: "Mail.Example.Test" }] } }
        }
      ], { target, key })
      yield* run.server.verify
      const findings = values(run.outcome)
      expect(findings).toEqual(["asdf.example.test", "mail.example.test"])
      expect(headersCarrying(run.server, key)).toEqual(["api-key"])
      expectHidden(run, key)
    }))

  it.scoped("an odd row is skipped and counted; a failing later page keeps the earlier one", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(zoomeye, [
        {
          request: page(1),
          response: { json: { total: 3000, list: [{ name: "a.example.test" }, { name: 5 }, "b.example.test"] } }
        },
        { request: page(2), response: { status: 503, body: "Service Unavailable" } }
      ], { target, key })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual(["a.example.test"])
      expect(run.notes.rows_skipped).toBe(2)
      expect(run.notes.warnings).toEqual([expect.stringContaining("page 2 failed")])
    }))

  it.scoped("a rejected key (401, 403) is AuthFailed; no key sends nothing", () =>
    checkKeyRejected(zoomeye, page(1), key))
})
