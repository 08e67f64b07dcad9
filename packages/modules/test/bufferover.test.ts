/** bufferover against a declared BufferOver TLS API: the request and key, result lines, odd lines, refusals. */
import { describe, expect, it } from "@effect/vitest"
import { bufferover } from "@mirage/modules/modules/bufferover"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = { type: "DOMAIN" as const, value: "example.test" }
const request = { path: "/dns", query: { q: ".example.test" }, headers: { "x-api-key": "bo-key" } }

describe("bufferover", () => {
  it.scoped("asks `q=.domain` with the key; reads the names and the address of each result line", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(bufferover, [{
        request,
        response: {
          json: {
            Meta: { Errors: [], Runtime: "0.1s" },
            Results: [
              "192.0.2.10,example.test,*,*,www.example.test",
              "198.51.100.7,,*,*,vpn.example.test",
              "203.0.113.1,evil.test,*,*,x.evil.test"
            ]
          }
        }
      }], { target, key: "bo-key" })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => `${f.type} ${f.value}`)).toEqual([
        "DOMAIN example.test",
        "DOMAIN vpn.example.test",
        "DOMAIN www.example.test",
        "IP 192.0.2.10",
        "IP 198.51.100.7"
      ])
    }))

  it.scoped("a line without fields is skipped and counted; Meta.Errors is a refusal; no key sends nothing", () =>
    Effect.gen(function*() {
      const odd = yield* collectAgainst(bufferover, [{
        request,
        response: { json: { Meta: { Errors: [] }, Results: ["192.0.2.1,a.example.test", "garbage", 5] } }
      }], { target, key: "bo-key" })
      expect(Either.getOrThrow(odd.outcome).map((f) => f.value)).toEqual(["a.example.test", "192.0.2.1"])
      expect(odd.notes.rows_skipped).toBe(2)
      const refused = yield* collectAgainst(bufferover, [{
        request,
        response: { json: { Meta: { Errors: ["quota exceeded"] }, Results: null } }
      }], { target, key: "bo-key" })
      expect(Either.flip(refused.outcome).pipe(Either.getOrThrow)).toMatchObject({
        _tag: "BadResponse",
        reason: "bufferover refused: quota exceeded"
      })
      const keyless = yield* collectAgainst(bufferover, [], { target })
      expect(keyless.server.requests()).toBe(0)
      expect(Either.flip(keyless.outcome).pipe(Either.getOrThrow)).toMatchObject({ _tag: "AuthFailed" })
    }))
})
