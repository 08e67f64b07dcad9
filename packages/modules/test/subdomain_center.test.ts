/** subdomain_center against a declared subdomain.center: the request, the optional key, 429 with Retry-After. */
import { describe, expect, it } from "@effect/vitest"
import { subdomainCenter } from "@mirage/modules/modules/subdomain_center"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = { type: "DOMAIN" as const, value: "example.test" }
const request = (key: string | null) => ({
  path: "/",
  query: { domain: "example.test" },
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

  it.scoped("429 with Retry-After is RateLimited for that long", () =>
    Effect.gen(function*() {
      const { outcome } = yield* collectAgainst(subdomainCenter, [{
        request: request(null),
        response: FixtureServer.rateLimited(12, { error: "rate limit exceeded" })
      }], { target })
      expect(Either.flip(outcome).pipe(Either.getOrThrow)).toMatchObject({ _tag: "RateLimited", retryAfterMs: 12_000 })
    }))
})
