import { describe, expect, it } from "@effect/vitest"
import { TestStores } from "@mirage/testkit"
import { Effect, Layer, Option, TestClock } from "effect"
import { Membership } from "../../src/cluster/Membership.js"
import * as MembershipMemory from "../../src/cluster/Membership/Memory.js"
import * as MembershipRedis from "../../src/cluster/Membership/Redis.js"
import { ShardLeases } from "../../src/cluster/ShardLeases.js"
import * as LeasesMemory from "../../src/cluster/ShardLeases/Memory.js"
import * as LeasesRedis from "../../src/cluster/ShardLeases/Redis.js"
import * as RedisClient from "../../src/platform/RedisClient.js"

// REDIS_URL, else the local default its declaration gives.
const redisUrl = Effect.runSync(TestStores.redisUrl)

/** Redis layers under a fresh key prefix, removed afterwards. */
const redisLayers = Layer.unwrapScoped(
  Effect.map(TestStores.freshRedisPrefix, (prefix) =>
    Layer.mergeAll(LeasesRedis.layer, MembershipRedis.layer).pipe(
      Layer.provide(RedisClient.layerWith({ url: redisUrl, prefix: prefix.replace(/:$/, "") }))
    ))
)

/** One shard's acquisition, through the batch call. */
const acquire = (shard: number, owner: string, ttlMs: number, floor: number) =>
  Effect.flatMap(
    ShardLeases,
    (leases) =>
      Effect.map(leases.acquire(owner, ttlMs, [{ shard, floor }]), (taken) => Option.fromNullable(taken.get(shard)))
  )

describe("ShardLeases", () => {
  const suite = (name: string, layer: () => Layer.Layer<ShardLeases | Membership>) =>
    describe(name, () => {
      it.scoped("takes a free shard with a growing epoch and refuses a held one", () =>
        Effect.gen(function*() {
          const leases = yield* ShardLeases
          const first = yield* acquire(7, "a", 10_000, 0)
          expect(Option.isSome(first)).toBe(true)
          expect(yield* acquire(7, "b", 10_000, 0)).toEqual(Option.none())
          // The holder takes it again under a new epoch: the earlier tenure is over.
          const again = Option.getOrThrow(yield* acquire(7, "a", 10_000, 0))
          expect(again).toBe(Option.getOrThrow(first) + 1)
          expect(yield* leases.renew("a", [{ shard: 7, epoch: Option.getOrThrow(first) }], 10_000)).toEqual(new Set())
          yield* leases.release(7, "a", Option.getOrThrow(first))
          expect(yield* acquire(7, "b", 10_000, 0)).toEqual(Option.none())
          yield* leases.release(7, "a", again)
          const second = yield* acquire(7, "b", 10_000, 0)
          expect(Option.getOrThrow(second)).toBeGreaterThan(Option.getOrThrow(first))
          expect(yield* leases.renew("a", [{ shard: 7, epoch: Option.getOrThrow(first) }], 10_000)).toEqual(new Set())
          expect(yield* leases.renew("b", [{ shard: 7, epoch: Option.getOrThrow(second) }], 10_000)).toEqual(
            new Set([7])
          )
        }).pipe(Effect.provide(layer())))

      it.scoped("goes above the floor it is given", () =>
        Effect.gen(function*() {
          expect(yield* acquire(3, "a", 10_000, 41)).toEqual(Option.some(42))
        }).pipe(Effect.provide(layer())))

      it.scoped("a release by a stale holder does nothing", () =>
        Effect.gen(function*() {
          const leases = yield* ShardLeases
          const epoch = Option.getOrThrow(yield* acquire(1, "a", 10_000, 0))
          yield* leases.release(1, "a", epoch + 1)
          yield* leases.release(1, "b", epoch)
          expect(yield* acquire(1, "b", 10_000, 0)).toEqual(Option.none())
        }).pipe(Effect.provide(layer())))

      it.scoped("a batch takes the free shards and its own again, under new epochs, and renews them in one call", () =>
        Effect.gen(function*() {
          const leases = yield* ShardLeases
          const mine = Option.getOrThrow(yield* acquire(2, "a", 10_000, 0))
          yield* acquire(4, "b", 10_000, 0)
          const taken = yield* leases.acquire("a", 10_000, [
            { shard: 2, floor: 0 },
            { shard: 4, floor: 0 },
            { shard: 6, floor: 9 }
          ])
          expect(taken).toEqual(new Map([[2, mine + 1], [6, 10]]))
          expect(yield* leases.acquire("a", 10_000, [])).toEqual(new Map())
          expect(
            yield* leases.renew(
              "a",
              [{ shard: 2, epoch: mine }, { shard: 2, epoch: mine + 1 }, { shard: 4, epoch: 1 }, {
                shard: 6,
                epoch: 10
              }],
              10_000
            )
          )
            .toEqual(new Set([2, 6]))
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
      const epoch = Option.getOrThrow(yield* acquire(5, "a", 4000, 0))
      yield* membership.heartbeat("a", 3000)
      yield* TestClock.adjust("3001 millis")
      expect(yield* membership.members).toEqual([])
      expect(yield* acquire(5, "b", 4000, 0)).toEqual(Option.none())
      yield* TestClock.adjust("1000 millis")
      expect(yield* leases.renew("a", [{ shard: 5, epoch }], 4000)).toEqual(new Set())
      expect(yield* acquire(5, "b", 4000, 0)).toEqual(Option.some(epoch + 1))
    }).pipe(
      Effect.provide(
        Layer.mergeAll(LeasesMemory.layer(LeasesMemory.makeHub()), MembershipMemory.layer(MembershipMemory.makeHub()))
      )
    ))
})
