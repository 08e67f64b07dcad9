/**
 * subdomain_center against a declared subdomain.center: the request, the optional key, keyed paging by
 * `X-Next-Offset`, 429 with Retry-After.
 */
import { describe, expect, it } from "@effect/vitest"
import { subdomainCenter } from "@mirage/modules/modules/subdomain_center"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = { type: "DOMAIN" as const, value: "example.test" }
const request = (key: string | null, offset?: string) => ({
  path: "/",
  query: { domain: "example.test", limit: "100000", ...(offset === undefined ? {} : { offset }) },
  headers: { accept: "application/json", "x-api-key": key }
})

describe("subdomain_center", () => {
  it.scoped("asks `/?domain=` keyless and keeps the names under the domain", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(subdomainCenter, [{
        request: request(null),
        response: { json: ["api.example.test", "n1.api.example.test", "example.test", "other.test"] }
      }], { target })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual([
        "api.example.test",
        "example.test",
        "n1.api.example.test"
      ])
    }))

  it.scoped("a key goes in X-API-Key; an odd item is skipped and counted", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(subdomainCenter, [{
        request: request("sc-key"),
        response: { json: ["a.example.test", { name: "b.example.test" }] }
      }], { target, key: "sc-key" })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual(["a.example.test"])
      expect(notes.rows_skipped).toBe(1)
    }))

  it.scoped("a keyed answer that is truncated pages on at X-Next-Offset with the same limit, until it is not", () =>
    Effect.gen(function*() {
      const pageHeaders = (truncated: boolean, next?: string) => ({
        "x-result-count": "2",
        "x-truncated": String(truncated),
        "x-engine": "cuttlefish",
        "x-tier": "auth",
        ...(next === undefined ? {} : { "x-next-offset": next })
      })
      const { notes, outcome, server } = yield* collectAgainst(subdomainCenter, [
        {
          request: request("sc-key"),
          response: { headers: pageHeaders(true, "2"), json: ["a.example.test", "b.example.test"] }
        },
        {
          request: request("sc-key", "2"),
          response: { headers: pageHeaders(true, "4"), json: ["c.example.test", "d.example.test"] }
        },
        { request: request("sc-key", "4"), response: { headers: pageHeaders(false), json: ["e.example.test"] } }
      ], { target, key: "sc-key" })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual([
        "a.example.test",
        "b.example.test",
        "c.example.test",
        "d.example.test",
        "e.example.test"
      ])
      expect(notes.warnings).toEqual([])
    }))

  it.scoped("the anonymous tier's sample is one request, whatever its headers say; max_pages caps keyed paging", () =>
    Effect.gen(function*() {
      const anonymous = yield* collectAgainst(subdomainCenter, [{
        request: request(null),
        response: {
          headers: { "x-truncated": "true", "x-next-offset": "500", "x-tier": "anonymous" },
          json: ["a.example.test"]
        }
      }], { target })
      yield* anonymous.server.verify
      expect(Either.getOrThrow(anonymous.outcome).map((f) => f.value)).toEqual(["a.example.test"])
      const capped = yield* collectAgainst(subdomainCenter, [{
        request: { ...request("sc-key"), query: { domain: "example.test", limit: "1" } },
        response: {
          headers: { "x-truncated": "true", "x-next-offset": "1", "x-tier": "auth" },
          json: ["a.example.test"]
        }
      }], { target, key: "sc-key", config: { page_size: 1, max_pages: 1 } })
      yield* capped.server.verify
      expect(capped.notes.warnings).toEqual([expect.stringContaining("stopped after 1 pages")])
    }))

  it.scoped("429 with Retry-After is RateLimited for that long", () =>
    Effect.gen(function*() {
      const { outcome } = yield* collectAgainst(subdomainCenter, [{
        request: request(null),
        response: FixtureServer.rateLimited(12, { error: "rate limit exceeded" })
      }], { target })
      expect(Either.flip(outcome).pipe(Either.getOrThrow)).toMatchObject({ _tag: "RateLimited", retryAfterMs: 12_000 })
    }))
})
