/** passivetotal against a declared PassiveTotal API: HTTP Basic from `username:api_key`, labels, odd rows, keys. */
import { describe, expect, it } from "@effect/vitest"
import { passivetotal } from "@mirage/modules/modules/passivetotal"
import { Effect } from "effect"
import { checkKeyRejected, expectHidden, failure, headersCarrying, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "analyst@example.test:pt-key-0123456789"
const basic = `Basic ${Buffer.from(key).toString("base64")}`
const request = {
  path: "/v2/enrichment/subdomains",
  query: { query: "example.test" },
  headers: { authorization: basic, accept: "application/json" }
}

describe("passivetotal", () => {
  it.scoped("asks with HTTP Basic from `username:api_key`; labels become names under the domain", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(passivetotal, [{
        request,
        response: {
          json: {
            queryValue: "example.test",
            primaryDomain: "example.test",
            success: true,
            subdomains: ["www", "MAIL", "dev.api", "*.cdn", ""]
          }
        }
      }], { target, key })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual([
        "cdn.example.test",
        "dev.api.example.test",
        "example.test",
        "mail.example.test",
        "www.example.test"
      ])
      expect(headersCarrying(run.server, basic)).toEqual(["authorization"])
      expectHidden(run, key)
      expectHidden(run, basic)
    }))

  it.scoped("an odd label is skipped and counted; an error in a 200 answer is a refusal; no subdomains is BadResponse", () =>
    Effect.gen(function*() {
      const odd = yield* collectAgainst(passivetotal, [{
        request,
        response: { json: { queryValue: "example.test", subdomains: ["www", 3, null, "bad label"] } }
      }], { target, key })
      expect(values(odd.outcome)).toEqual(["www.example.test"])
      expect(odd.notes.rows_skipped).toBe(2)
      const quota = yield* collectAgainst(passivetotal, [{
        request,
        response: { json: { error: { message: "Quota has been exceeded", http_code: 200 } } }
      }], { target, key })
      expect(failure(quota.outcome)).toMatchObject({ _tag: "RateLimited" })
      const wrong = yield* collectAgainst(passivetotal, [{ request, response: { json: { queryValue: "x" } } }], {
        target,
        key
      })
      expect(failure(wrong.outcome)).toMatchObject({ _tag: "BadResponse" })
    }))

  it.scoped("a rejected key (401, 403) is AuthFailed; no key sends nothing", () =>
    checkKeyRejected(passivetotal, request, key))
})
