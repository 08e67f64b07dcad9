/** The generic fixture server: exact request shapes, unexpected and unused exchanges, canned answers. */
import { describe, expect, it } from "@effect/vitest"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import { Effect } from "effect"

const get = (url: string, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, { headers })
    return { status: response.status, retryAfter: response.headers.get("retry-after"), body: await response.text() }
  })

describe("FixtureServer", () => {
  it.scoped("answers a request of the declared shape, and verify passes when every exchange was used", () =>
    Effect.gen(function*() {
      const server = yield* FixtureServer.make([
        {
          request: { path: "/api", query: { q: "%.example.test", output: "json" }, headers: { "x-key": "k1" } },
          response: FixtureServer.json([{ id: 1 }])
        }
      ])
      const answer = yield* get(`${server.url}/api?output=json&q=%25.example.test`, { "x-key": "k1" })
      expect(answer).toMatchObject({ status: 200, body: "[{\"id\":1}]" })
      yield* server.verify
    }))

  it.scoped("a request of another shape is answered 599 and verify names how it differed", () =>
    Effect.gen(function*() {
      const server = yield* FixtureServer.make([
        { request: { path: "/api", query: { q: "a" }, headers: { authorization: null } }, response: { body: "ok" } }
      ])
      const answer = yield* get(`${server.url}/api?q=b&extra=1`, { authorization: "Bearer x" })
      expect(answer.status).toBe(FixtureServer.unexpectedStatus)
      const error = yield* Effect.flip(server.verify)
      expect(error.problems[0]).toContain("unexpected request GET /api?q=b&extra=1")
      expect(error.problems[0]).toContain("query q=b, expected a")
      expect(error.problems[0]).toContain("unexpected query parameter extra")
      expect(error.problems[0]).toContain("header authorization sent, expected none")
      // And the exchange it should have been was never served.
      expect(error.problems[1]).toContain("served 0 of 1 times")
    }))

  it.scoped("an exchange is served as often as declared; a 429 carries Retry-After", () =>
    Effect.gen(function*() {
      const server = yield* FixtureServer.make([
        { request: { path: "/limited" }, response: FixtureServer.rateLimited(30) },
        { request: { path: "/limited" }, response: { body: "now" } },
        { request: { path: "/always" }, response: { body: "yes" }, times: "any" }
      ])
      expect(yield* get(`${server.url}/limited`)).toMatchObject({ status: 429, retryAfter: "30" })
      expect(yield* get(`${server.url}/limited`)).toMatchObject({ status: 200, body: "now" })
      expect((yield* get(`${server.url}/limited`)).status).toBe(FixtureServer.unexpectedStatus)
      yield* get(`${server.url}/always`)
      yield* get(`${server.url}/always`)
      const error = yield* Effect.flip(server.verify)
      expect(error.problems).toEqual([expect.stringContaining("its exchange was already used up")])
    }))
})
