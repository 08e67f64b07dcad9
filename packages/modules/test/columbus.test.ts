/** columbus against a declared Columbus server: labels made into names, `days`, the apex label, 404 as none. */
import { describe, expect, it } from "@effect/vitest"
import { columbus } from "@mirage/modules/modules/columbus"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = { type: "DOMAIN" as const, value: "example.test" }
const request = (days: string) => ({
  path: "/api/lookup/example.test",
  query: { days },
  headers: { accept: "application/json" }
})

describe("columbus", () => {
  it.scoped("makes names of the labels it answers, the empty label being the domain", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(columbus, [{
        request: request("30"),
        response: { json: ["www", "API.v2", "", "bad label"] }
      }], { target, config: { days: 30 } })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => [f.value, f.confidence])).toEqual([
        ["api.v2.example.test", 0.5],
        ["www.example.test", 0.5]
      ])
    }))

  it.scoped("404 `not found` is no findings; an item that is not a label is skipped and counted", () =>
    Effect.gen(function*() {
      const none = yield* collectAgainst(columbus, [{
        request: request("365"),
        response: { status: 404, json: { error: "not found" } }
      }], { target })
      yield* none.server.verify
      expect(Either.getOrThrow(none.outcome)).toEqual([])
      const odd = yield* collectAgainst(columbus, [{ request: request("365"), response: { json: ["a", 7] } }], {
        target
      })
      expect(Either.getOrThrow(odd.outcome).map((f) => f.value)).toEqual(["a.example.test"])
      expect(odd.notes.rows_skipped).toBe(1)
    }))

  it.scoped("400 `domain is a public suffix` is the task's error", () =>
    Effect.gen(function*() {
      const { outcome } = yield* collectAgainst(columbus, [{
        request: request("365"),
        response: { status: 400, json: { error: "domain is a public suffix" } }
      }], { target })
      expect(Either.isLeft(outcome)).toBe(true)
    }))
})
