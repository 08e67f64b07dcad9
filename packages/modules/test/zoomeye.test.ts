/**
 * zoomeye against a declared ZoomEye asset search v2: the POST's body (`domain="…"` in base64, web assets, the
 * fields read) and the key in API-KEY, paging up to `total`, odd rows, refusals and keys.
 */
import { describe, expect, it } from "@effect/vitest"
import { zoomeye } from "@mirage/modules/modules/zoomeye"
import { Effect } from "effect"
import { checkKeyRejected, expectHidden, headersCarrying, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "zoomeye-key-0123456789"
const page = (n: number) => ({
  method: "POST",
  path: "/v2/search",
  body: JSON.stringify({
    qbase64: Buffer.from("domain=\"example.test\"").toString("base64"),
    sub_type: "web",
    page: n,
    pagesize: 1000,
    fields: "domain,ip,update_time"
  }),
  headers: { "api-key": key, "content-type": "application/json" }
})
const answer = (total: number, data: ReadonlyArray<unknown>) => ({
  json: { code: 60000, message: "success", total, query: "domain=\"example.test\"", data }
})

describe("zoomeye", () => {
  it.scoped("asks with the key in API-KEY, page after page until `total` is reached; keeps in-scope names", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(zoomeye, [
        {
          request: page(1),
          response: answer(1500, [
            { domain: "asdf.example.test", ip: "192.0.2.1", update_time: "2026-11-01T00:00:00" },
            { domain: "example.test.other.test", ip: "" }
          ])
        },
        { request: page(2), response: answer(1500, [{ domain: "Mail.Example.Test" }]) }
      ], { target, key })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual(["asdf.example.test", "mail.example.test"])
      expect(headersCarrying(run.server, key)).toEqual(["api-key"])
      expectHidden(run, key)
    }))

  it.scoped("an odd row is skipped and counted; a failing later page keeps the earlier one", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(zoomeye, [
        {
          request: page(1),
          response: answer(3000, [{ domain: "a.example.test" }, { domain: 5 }, "b.example.test"])
        },
        { request: page(2), response: { status: 503, body: "Service Unavailable" } }
      ], { target, key })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual(["a.example.test"])
      expect(run.notes.rows_skipped).toBe(2)
      expect(run.notes.warnings).toEqual([expect.stringContaining("page 2 failed")])
    }))

  it.scoped("a code other than success is the refusal it explains; an answer without data is BadResponse", () =>
    Effect.gen(function*() {
      const spent = yield* collectAgainst(zoomeye, [{
        request: page(1),
        response: { json: { code: 60010, message: "insufficient credits" } }
      }], { target, key })
      expect(spent.outcome).toMatchObject({ left: { _tag: "RateLimited" } })
      const odd = yield* collectAgainst(zoomeye, [{
        request: page(1),
        response: { json: { code: 60000, message: "success", total: 0 } }
      }], { target, key })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
    }))

  it.scoped("a rejected key (401, 403) is AuthFailed; no key sends nothing", () =>
    checkKeyRejected(zoomeye, page(1), key))
})
