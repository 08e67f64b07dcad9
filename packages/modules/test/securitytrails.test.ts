/** securitytrails against a declared SecurityTrails API: the request and its APIKEY header, labels, odd rows, keys. */
import { describe, expect, it } from "@effect/vitest"
import { securitytrails } from "@mirage/modules/modules/securitytrails"
import { Effect } from "effect"
import { checkKeyRejected, expectHidden, failure, headersCarrying, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "st-key-0123456789"
const request = {
  path: "/v1/domain/example.test/subdomains",
  query: { children_only: "false", include_inactive: "true" },
  headers: { apikey: key }
}

describe("securitytrails", () => {
  it.scoped("asks for the domain's subdomains with the key in APIKEY; labels become names under it", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(securitytrails, [{
        request,
        response: {
          json: {
            endpoint: "/v1/domain/example.test/subdomains",
            meta: { limit_reached: false },
            subdomain_count: 5,
            subdomains: ["www", "API", "dev.api", "*.cdn", "mail."]
          }
        }
      }], { target, key })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual([
        "api.example.test",
        "cdn.example.test",
        "dev.api.example.test",
        "mail.example.test",
        "www.example.test"
      ])
      expect(headersCarrying(run.server, key)).toEqual(["apikey"])
      expectHidden(run, key)
    }))

  it.scoped("an odd label is skipped and counted; an answer without subdomains is BadResponse", () =>
    Effect.gen(function*() {
      const odd = yield* collectAgainst(securitytrails, [{
        request,
        response: { json: { subdomains: ["www", 7, null, "bad name"] } }
      }], { target, key })
      expect(values(odd.outcome)).toEqual(["www.example.test"])
      expect(odd.notes.rows_skipped).toBe(2)
      const wrong = yield* collectAgainst(securitytrails, [{ request, response: { json: { message: "odd" } } }], {
        target,
        key
      })
      expect(failure(wrong.outcome)).toMatchObject({ _tag: "BadResponse" })
    }))

  it.scoped("a rejected key (401, 403) is AuthFailed; no key sends nothing", () =>
    checkKeyRejected(securitytrails, request, key))
})
