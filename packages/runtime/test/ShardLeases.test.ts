import { describe, expect, it } from "@effect/vitest"
import { TestStores } from "@mirage/testkit"
import { Effect, Layer, Option, TestClock } from "effect"
import { Membership } from "../src/Membership.js"
import * as MembershipMemory from "../src/Membership/Memory.js"
import * as MembershipRedis from "../src/Membership/Redis.js"
import * as RedisClient from "../src/RedisClient.js"
import { ShardLeases } from "../src/ShardLeases.js"
import * as LeasesMemory from "../src/ShardLeases/Memory.js"
import * as LeasesRedis from "../src/ShardLeases/Redis.js"

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379"

/** Redis layers under a fresh key prefix, removed afterwards. */
const redisLayers = Layer.unwrapScoped(
  Effect.map(TestStores.freshRedisPrefix, (prefix) =>
    Layer.mergeAll(LeasesRedis.layer, MembershipRedis.layer).pipe(
      Layer.provide(RedisClient.layerWith({ url: redisUrl, prefix: prefix.replace(/:$/, "") }))
    ))
)

describe("ShardLeases", () => {
  const suite = (name: string, layer: () => Layer.Layer<ShardLeases | Membership>) =>
    describe(name, () => {
      it.scoped("takes a free shard with a growing epoch and refuses a held one", () =>
        Effect.gen(function*() {
          const leases = yield* ShardLeases
          const first = yield* leases.acquire(7, "a", 10_000, 0)
          expect(Option.isSome(first)).toBe(true)
          expect(yield* leases.acquire(7, "b", 10_000, 0)).toEqual(Option.none())
          // The holder renews with the same epoch.
          expect(yield* leases.acquire(7, "a", 10_000, 0)).toEqual(first)
          yield* leases.release(7, "a", Option.getOrThrow(first))
          const second = yield* leases.acquire(7, "b", 10_000, 0)
          expect(Option.getOrThrow(second)).toBeGreaterThan(Option.getOrThrow(first))
          expect(yield* leases.renew("a", [{ shard: 7, epoch: Option.getOrThrow(first) }], 10_000)).toEqual(new Set())
          expect(yield* leases.renew("b", [{ shard: 7, epoch: Option.getOrThrow(second) }], 10_000)).toEqual(
            new Set([7])
          )
        }).pipe(Effect.provide(layer())))

      it.scoped("goes above the floor it is given", () =>
        Effect.gen(function*() {
          const leases = yield* ShardLeases
          expect(yield* leases.acquire(3, "a", 10_000, 41)).toEqual(Option.some(42))
        }).pipe(Effect.provide(layer())))

      it.scoped("a release by a stale holder does nothing", () =>
        Effect.gen(function*() {
          const leases = yield* ShardLeases
          const epoch = Option.getOrThrow(yield* leases.acquire(1, "a", 10_000, 0))
          yield* leases.release(1, "a", epoch + 1)
          yield* leases.release(1, "b", epoch)
          expect(yield* leases.acquire(1, "b", 10_000, 0)).toEqual(Option.none())
        }).pipe(Effect.provide(layer())))

      it.scoped("members are the nodes that heartbeat", () =>
        Effect.gen(function*() {
          const membership = yield* Membership
          yield* membership.heartbeat("n2", 60_000)
          yield* membership.heartbeat("n1", 60_000)
          expect(yield* membership.members).toEqual(["n1", "n2"])
          yield* membership.leave("n2")
          expect(yield* membership.members).toEqual(["n1"])
        }).pipe(Effect.provide(layer())))
    })

  suite("redis", () => redisLayers)
  suite(
    "memory",
    () => Layer.mergeAll(LeasesMemory.layer(LeasesMemory.makeHub()), MembershipMemory.layer(MembershipMemory.makeHub()))
  )

  it.effect("memory leases and members expire on the clock", () =>
    Effect.gen(function*() {
      const leases = yield* ShardLeases
      const membership = yield* Membership
      const epoch = Option.getOrThrow(yield* leases.acquire(5, "a", 4000, 0))
      yield* membership.heartbeat("a", 3000)
      yield* TestClock.adjust("3001 millis")
      expect(yield* membership.members).toEqual([])
      expect(yield* leases.acquire(5, "b", 4000, 0)).toEqual(Option.none())
      yield* TestClock.adjust("1000 millis")
      expect(yield* leases.renew("a", [{ shard: 5, epoch }], 4000)).toEqual(new Set())
      expect(yield* leases.acquire(5, "b", 4000, 0)).toEqual(Option.some(epoch + 1))
    }).pipe(
      Effect.provide(
        Layer.mergeAll(LeasesMemory.layer(LeasesMemory.makeHub()), MembershipMemory.layer(MembershipMemory.makeHub()))
      )
    ))
})
