/** The gateway's API-key cache: one lookup per key and `ttl`, revocations honoured (at once here, within ttl elsewhere). */
import { describe, expect, it } from "@effect/vitest"
import { ApiKeys } from "@mirage/runtime/tenancy/ApiKeys"
import * as ApiKeysMemory from "@mirage/runtime/tenancy/ApiKeys/Memory"
import { Effect, Layer, Option, TestClock } from "effect"
import * as KeyCache from "../src/KeyCache.js"

/** The in-memory keys, their lookups counted; the cache over them; and one key of a new organization. */
const setup = Effect.gen(function*() {
  const store = yield* ApiKeysMemory.make
  const lookups = { n: 0 }
  const counted = ApiKeys.of({
    ...store,
    authenticate: (key) => Effect.sync(() => lookups.n++).pipe(Effect.zipRight(store.authenticate(key)))
  })
  const cached = yield* Effect.provide(ApiKeys, KeyCache.layer.pipe(Layer.provide(Layer.succeed(ApiKeys, counted))))
  const organization_id = yield* store.createOrganization("acme")
  const user_id = yield* store.createUser(organization_id, "ann")
  const issued = yield* store.create({ organization_id, user_id, role: "admin", name: "ci" })
  return { store, cached, lookups, issued }
})

describe("KeyCache", () => {
  it.effect("looks a key up once per ttl", () =>
    Effect.gen(function*() {
      const { cached, issued, lookups } = yield* setup
      for (let i = 0; i < 5; i++) expect(yield* cached.authenticate(issued.key)).toEqual(Option.some(issued.principal))
      expect(lookups.n).toBe(1)
      yield* TestClock.adjust(KeyCache.ttl)
      expect(Option.isSome(yield* cached.authenticate(issued.key))).toBe(true)
      expect(lookups.n).toBe(2)
    }))

  it.effect("refuses a key revoked through it at once", () =>
    Effect.gen(function*() {
      const { cached, issued } = yield* setup
      expect(Option.isSome(yield* cached.authenticate(issued.key))).toBe(true)
      expect(yield* cached.revoke(issued.id)).toBe(true)
      expect(yield* cached.authenticate(issued.key)).toEqual(Option.none())
    }))

  it.effect("refuses a key revoked elsewhere (another replica) once ttl has passed", () =>
    Effect.gen(function*() {
      const { cached, issued, store } = yield* setup
      expect(Option.isSome(yield* cached.authenticate(issued.key))).toBe(true)
      yield* store.revokeIn(issued.principal.organization_id, issued.id)
      yield* TestClock.adjust(KeyCache.ttl)
      expect(yield* cached.authenticate(issued.key)).toEqual(Option.none())
    }))

  it.effect("keeps no invalid key: a key that fails is asked again", () =>
    Effect.gen(function*() {
      const { cached, issued, lookups, store } = yield* setup
      yield* store.revoke(issued.id)
      expect(yield* cached.authenticate(issued.key)).toEqual(Option.none())
      expect(yield* cached.authenticate(issued.key)).toEqual(Option.none())
      expect(lookups.n).toBe(2)
    }))
})
