/** c99 against a declared C99 API: the key and the bare `json` flag in the query, odd rows, refusals, keys. */
import { describe, expect, it } from "@effect/vitest"
import { c99 } from "@mirage/modules/modules/c99"
import { Effect } from "effect"
import { checkKeyRejected, expectHidden, failure, headersCarrying, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "c99-key-0123456789"
const request = { path: "/subdomainfinder", query: { key, domain: "example.test", json: "" } }

describe("c99", () => {
  it.scoped("asks with the key and `json` in the query; keeps in-scope names with their address as evidence", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(c99, [{
        request,
        response: {
          json: {
            success: true,
            subdomains: [
              { subdomain: "WWW.example.test", ip: "192.0.2.10", cloudflare: true },
              { subdomain: "mail.example.test.", ip: "" },
              { subdomain: "example.test.evil.test", ip: "203.0.113.9" }
            ],
            cached: true,
            cache_time: "2023-05-19 03:13:05"
          }
        }
      }], { target, key })
      yield* run.server.verify
      const findings = values(run.outcome)
      expect(findings).toEqual(["mail.example.test", "www.example.test"])
      expect(headersCarrying(run.server, key)).toEqual([])
      expectHidden(run, key)
    }))

  it.scoped("an odd row is skipped and counted; success: false is a refusal read by its words", () =>
    Effect.gen(function*() {
      const odd = yield* collectAgainst(c99, [{
        request,
        response: { json: { success: true, subdomains: [{ subdomain: "a.example.test" }, { ip: "192.0.2.1" }] } }
      }], { target, key })
      expect(values(odd.outcome)).toEqual(["a.example.test"])
      expect(odd.notes.rows_skipped).toBe(1)
      const badKey = yield* collectAgainst(c99, [{
        request,
        response: { json: { success: false, error: "Invalid API key." } }
      }], { target, key })
      expect(failure(badKey.outcome)).toMatchObject({ _tag: "AuthFailed", reason: "c99 refused: Invalid API key." })
      const spent = yield* collectAgainst(c99, [{
        request,
        response: { json: { success: false, error: "You have reached your daily limit." } }
      }], { target, key })
      expect(failure(spent.outcome)).toMatchObject({ _tag: "RateLimited" })
    }))

  it.scoped("a rejected key (401, 403) is AuthFailed; no key sends nothing", () => checkKeyRejected(c99, request, key))
})
