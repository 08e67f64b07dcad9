/** anubisdb against a declared Anubis-DB: its one request, in-scope names only, odd items skipped, 404 as none. */
import { describe, expect, it } from "@effect/vitest"
import { anubisdb } from "@mirage/modules/modules/anubisdb"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const request = { path: "/anubis/subdomains/example.test", headers: { accept: "application/json" } }

describe("anubisdb", () => {
  it.scoped("asks once for the domain and keeps the names under it", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(anubisdb, [{
        request,
        response: { json: ["WWW.example.test", "api.example.test", "example.test.evil.test", "api.example.test"] }
      }], { target: { type: "DOMAIN", value: "Example.test" } })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => [f.value, f.confidence, f.metadata["seen_in"]])).toEqual([
        ["api.example.test", 0.6, 2],
        ["www.example.test", 0.6, 1]
      ])
    }))

  it.scoped("an item that is not a name string is skipped and counted; 404 is no findings", () =>
    Effect.gen(function*() {
      const odd = yield* collectAgainst(anubisdb, [{ request, response: { json: ["a.example.test", 42, null] } }], {
        target: { type: "DOMAIN", value: "example.test" }
      })
      expect(Either.getOrThrow(odd.outcome).map((f) => f.value)).toEqual(["a.example.test"])
      expect(odd.notes.rows_skipped).toBe(2)
      const none = yield* collectAgainst(anubisdb, [{ request, response: { status: 404, json: { error: "none" } } }], {
        target: { type: "DOMAIN", value: "example.test" }
      })
      expect(Either.getOrThrow(none.outcome)).toEqual([])
    }))

  it.scoped("the bot challenge its old hosts answer with is an error, not an empty listing", () =>
    Effect.gen(function*() {
      const { outcome } = yield* collectAgainst(anubisdb, [{
        request,
        response: {
          status: 403,
          headers: { "content-type": "text/html" },
          body: "<title>Attention Required! | Cloudflare</title>"
        }
      }], { target: { type: "DOMAIN", value: "example.test" } })
      expect(Either.isLeft(outcome)).toBe(true)
    }))
})
