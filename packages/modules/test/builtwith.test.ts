/** builtwith against a declared BuiltWith API: the key in KEY, paths as names, odd rows, refusals, keys. */
import { describe, expect, it } from "@effect/vitest"
import { builtwith } from "@mirage/modules/modules/builtwith"
import { Effect } from "effect"
import { checkKeyRejected, expectHidden, failure, headersCarrying, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "builtwith-key-0123456789"
const request = {
  path: "/v21/api.json",
  query: {
    KEY: key,
    LOOKUP: "example.test",
    HIDETEXT: "yes",
    HIDEDL: "yes",
    NOLIVE: "yes",
    NOMETA: "yes",
    NOPII: "yes",
    NOATTR: "yes"
  }
}
const path = (Domain: unknown, SubDomain: unknown) => ({
  Domain,
  Url: "",
  SubDomain,
  FirstIndexed: 1533510000000,
  LastIndexed: 1633244400000,
  Technologies: [{ Name: "nginx", Tag: "Web Server" }]
})
const answer = (paths: ReadonlyArray<unknown>) => ({
  json: {
    Results: [{ Result: { IsDB: "True", Spend: 734, Paths: paths }, Lookup: "example.test" }],
    Errors: [],
    Trust: null
  }
})

describe("builtwith", () => {
  it.scoped("asks with the key in KEY; each path's SubDomain under its Domain is a name", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(builtwith, [{
        request,
        response: answer([
          path("example.test", ""),
          path("example.test", "Blog"),
          path("example.test", "shop.eu"),
          path("other.test", "www")
        ])
      }], { target, key })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual(["blog.example.test", "example.test", "shop.eu.example.test"])
      expect(headersCarrying(run.server, key)).toEqual([])
      expectHidden(run, key)
    }))

  it.scoped("an odd path or result is skipped and counted; Errors without results is a refusal", () =>
    Effect.gen(function*() {
      const odd = yield* collectAgainst(builtwith, [{
        request,
        response: {
          json: {
            Results: [
              { Result: { Paths: [path("example.test", "a"), path(42, "b")] } },
              { Result: { Paths: "none" }, Lookup: "example.test" }
            ],
            Errors: []
          }
        }
      }], { target, key })
      expect(values(odd.outcome)).toEqual(["a.example.test"])
      expect(odd.notes.rows_skipped).toBe(2)
      const refused = yield* collectAgainst(builtwith, [{
        request,
        response: { json: { Results: [], Errors: [{ Lookup: "example.test", Message: "Invalid API Key", Code: -4 }] } }
      }], { target, key })
      expect(failure(refused.outcome)).toMatchObject({
        _tag: "AuthFailed",
        reason: "builtwith refused: Invalid API Key"
      })
    }))

  it.scoped("a rejected key (401, 403) is AuthFailed; no key sends nothing", () =>
    checkKeyRejected(builtwith, request, key))
})
