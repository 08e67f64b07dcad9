/** fullhunt against a declared FullHunt API: the key in X-API-KEY, host names, odd rows, keys. */
import { describe, expect, it } from "@effect/vitest"
import { fullhunt } from "@mirage/modules/modules/fullhunt"
import { Effect } from "effect"
import { checkKeyRejected, expectHidden, failure, headersCarrying, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "fullhunt-key-0123456789"
const request = { path: "/api/v1/domain/example.test/subdomains", headers: { "x-api-key": key } }

const answer = (hosts: unknown) => ({
  json: {
    domain: "example.test",
    hosts,
    message: "",
    metadata: { all_results_count: 3, max_results_for_user: 3000, user_plan: "free", last_scanned: 1647083421 },
    status: 200
  }
})

describe("fullhunt", () => {
  it.scoped("asks with the key in X-API-KEY; keeps the in-scope host names, canonical", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(fullhunt, [{
        request,
        response: answer(["asdf.example.test", "VPN.Example.Test", "example.test.cdn.test", "*.dev.example.test"])
      }], { target, key })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual(["asdf.example.test", "dev.example.test", "vpn.example.test"])
      expect(headersCarrying(run.server, key)).toEqual(["x-api-key"])
      expectHidden(run, key)
    }))

  it.scoped("an odd host is skipped and counted; an answer of which no host reads is BadResponse", () =>
    Effect.gen(function*() {
      const odd = yield* collectAgainst(fullhunt, [{ request, response: answer(["a.example.test", 42]) }], {
        target,
        key
      })
      expect(values(odd.outcome)).toEqual(["a.example.test"])
      expect(odd.notes.rows_skipped).toBe(1)
      const none = yield* collectAgainst(fullhunt, [{ request, response: answer([null, 1]) }], { target, key })
      expect(failure(none.outcome)).toMatchObject({ _tag: "BadResponse" })
    }))

  it.scoped("a rejected key (401, 403) is AuthFailed; no key sends nothing", () =>
    checkKeyRejected(fullhunt, request, key))
})
