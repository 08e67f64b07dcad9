/** bevigil against a declared BeVigil API: the key in X-Access-Token, names, null lists, odd rows, keys. */
import { describe, expect, it } from "@effect/vitest"
import { bevigil } from "@mirage/modules/modules/bevigil"
import { Effect } from "effect"
import { checkKeyRejected, expectHidden, failure, headersCarrying, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "bevigil-key-0123456789"
const request = { path: "/api/example.test/subdomains/", headers: { "x-access-token": key } }

describe("bevigil", () => {
  it.scoped("asks with the key in X-Access-Token; keeps the in-scope names, canonical", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(bevigil, [{
        request,
        response: {
          json: { domain: "example.test", subdomains: ["asdf.example.test", "API.example.test.", "cdn.other.test"] }
        }
      }], { target, key })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual(["api.example.test", "asdf.example.test"])
      expect(headersCarrying(run.server, key)).toEqual(["x-access-token"])
      expectHidden(run, key)
    }))

  it.scoped("null subdomains is none; an odd row is skipped and counted; a missing list is BadResponse", () =>
    Effect.gen(function*() {
      const none = yield* collectAgainst(bevigil, [{
        request,
        response: { json: { domain: "example.test", subdomains: null } }
      }], { target, key })
      expect(values(none.outcome)).toEqual([])
      const odd = yield* collectAgainst(bevigil, [{
        request,
        response: { json: { domain: "example.test", subdomains: ["a.example.test", ["b.example.test"]] } }
      }], { target, key })
      expect(values(odd.outcome)).toEqual(["a.example.test"])
      expect(odd.notes.rows_skipped).toBe(1)
      const wrong = yield* collectAgainst(bevigil, [{ request, response: { json: { message: "Not found" } } }], {
        target,
        key
      })
      expect(failure(wrong.outcome)).toMatchObject({ _tag: "BadResponse" })
    }))

  it.scoped("a rejected key (401, 403) is AuthFailed; no key sends nothing", () =>
    checkKeyRejected(bevigil, request, key))
})
