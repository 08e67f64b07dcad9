/** The rate limiter: token bucket math and waits on the twin (TestClock), and on Redis shared by two nodes. */
import { describe, expect, it } from "@effect/vitest"
import { TestStores } from "@mirage/testkit"
import { Clock, Context, Effect, Fiber, Layer, Option, TestClock, TestServices } from "effect"
import { RateLimiter } from "../../src/collection/RateLimiter.js"
import type { RateLimiterService } from "../../src/collection/RateLimiter.js"
import * as RateLimiterMemory from "../../src/collection/RateLimiter/Memory.js"
import * as RateLimiterRedis from "../../src/collection/RateLimiter/Redis.js"
import * as RedisClient from "../../src/platform/RedisClient.js"

// REDIS_URL, else the local default its declaration gives.
const redisUrl = Effect.runSync(TestStores.redisUrl)

/** A limiter on its own Redis connection under `prefix`: one "node". */
const redisNode = (prefix: string) =>
  Layer.build(RateLimiterRedis.layer.pipe(Layer.provide(RedisClient.layerWith({ url: redisUrl, prefix })))).pipe(
    Effect.map((context): RateLimiterService => Context.get(context, RateLimiter))
  )

/** Two nodes, each on its own connection, sharing a fresh prefix. */
const twoRedisNodes = Effect.gen(function*() {
  const prefix = (yield* TestStores.freshRedisPrefix).replace(/:$/, "")
  return { a: yield* redisNode(prefix), b: yield* redisNode(prefix) }
})

describe("RateLimiter (memory twin, TestClock)", () => {
  const limit = { requests: 2, perSeconds: 1, burst: 4 }

  it.effect("a quiet source spends its burst, then refills at the rate", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter
      for (let i = 0; i < 4; i++) expect(yield* limiter.tryAcquire("s", limit)).toBe(0)
      // 2 per second: the next token is 500 ms away.
      expect(yield* limiter.tryAcquire("s", limit)).toBe(500)
      yield* TestClock.adjust("499 millis")
      expect(yield* limiter.tryAcquire("s", limit)).toBe(1)
      yield* TestClock.adjust("1 millis")
      expect(yield* limiter.tryAcquire("s", limit)).toBe(0)
      // A long quiet spell refills only up to the burst.
      yield* TestClock.adjust("60 seconds")
      for (let i = 0; i < 4; i++) expect(yield* limiter.tryAcquire("s", limit)).toBe(0)
      expect(yield* limiter.tryAcquire("s", limit)).toBeGreaterThan(0)
      // Sources do not share buckets.
      expect(yield* limiter.tryAcquire("other", limit)).toBe(0)
    }).pipe(Effect.provide(RateLimiterMemory.layerFresh)))

  it.effect("several tokens at once: whole tokens only, at most those asked for, none and the wait when empty", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter
      expect(yield* limiter.tryAcquireUpTo("s", limit, 3)).toEqual({ taken: 3, waitMs: 0 })
      // One left of the burst of four: one taken, though three were asked for.
      expect(yield* limiter.tryAcquireUpTo("s", limit, 3)).toEqual({ taken: 1, waitMs: 0 })
      expect(yield* limiter.tryAcquireUpTo("s", limit, 3)).toEqual({ taken: 0, waitMs: 500 })
      // 1.5 tokens refilled: one whole token is taken, the half stays in the bucket.
      yield* TestClock.adjust("750 millis")
      expect(yield* limiter.tryAcquireUpTo("s", limit, 3)).toEqual({ taken: 1, waitMs: 0 })
      expect(yield* limiter.tryAcquireUpTo("s", limit, 3)).toEqual({ taken: 0, waitMs: 250 })
    }).pipe(Effect.provide(RateLimiterMemory.layerFresh)))

  it.effect("acquire waits on the clock: ten tokens at 5/s with a burst of 1 take 1.8 s", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const fiber = yield* Effect.fork(
        Effect.forEach(Array.from({ length: 10 }), () => limiter.acquire("s", { requests: 5, perSeconds: 1, burst: 1 }))
      )
      yield* TestClock.adjust("1799 millis")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(fiber)
      const stats = yield* limiter.stats("s")
      expect(stats).toEqual({ acquired: 10, waits: 9, waitedMs: 1800, rateLimited: 0 })
    }).pipe(Effect.provide(RateLimiterMemory.layerFresh)))

  it.effect("a pause stops every node sharing the hub until it passes, and is never shortened", () =>
    Effect.gen(function*() {
      const hub = RateLimiterMemory.makeHub()
      const a = yield* Effect.provide(RateLimiter, RateLimiterMemory.layer(hub))
      const b = yield* Effect.provide(RateLimiter, RateLimiterMemory.layer(hub))
      const now = yield* Clock.currentTimeMillis
      yield* a.pause("s", now + 3000)
      yield* a.pause("s", now + 1000)
      expect(yield* b.state("s")).toEqual({ state: "rate_limited", until: now + 3000 })
      expect(yield* b.tryAcquire("s", limit)).toBe(3000)
      const waiting = yield* Effect.fork(b.acquire("s", limit))
      yield* TestClock.adjust("2999 millis")
      expect(Option.isNone(yield* Fiber.poll(waiting))).toBe(true)
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(waiting)
      expect(yield* b.state("s")).toEqual({ state: "ok" })
      expect((yield* a.stats("s")).rateLimited).toBe(2)
      expect((yield* b.stats("s")).waitedMs).toBe(3000)
    }))
})

describe("RateLimiter (Redis, two nodes)", () => {
  it.scoped("the bucket is one for all nodes", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoRedisNodes
      const limit = { requests: 10, perSeconds: 1, burst: 3 }
      expect(yield* a.tryAcquire("crtsh", limit)).toBe(0)
      expect(yield* b.tryAcquire("crtsh", limit)).toBe(0)
      expect(yield* a.tryAcquire("crtsh", limit)).toBe(0)
      // Three spent between them: the next token is at most 100 ms away (10/s), for either node.
      const wait = yield* b.tryAcquire("crtsh", limit)
      expect(wait).toBeGreaterThan(0)
      expect(wait).toBeLessThanOrEqual(100)
    }))

  it.scoped("several tokens at once come out of the one bucket, whole tokens only", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoRedisNodes
      // 1 a minute: nothing refills during the test.
      const limit = { requests: 1, perSeconds: 60, burst: 5 }
      expect(yield* a.tryAcquireUpTo("crtsh", limit, 3)).toEqual({ taken: 3, waitMs: 0 })
      expect(yield* b.tryAcquireUpTo("crtsh", limit, 3)).toEqual({ taken: 2, waitMs: 0 })
      const refused = yield* a.tryAcquireUpTo("crtsh", limit, 3)
      expect(refused.taken).toBe(0)
      expect(refused.waitMs).toBeGreaterThan(59_000)
      expect(refused.waitMs).toBeLessThanOrEqual(60_000)
      expect(yield* b.tryAcquire("crtsh", limit)).toBeGreaterThan(59_000)
    }))

  it.scoped("a pause put by one node is honoured by the other", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoRedisNodes
      const limit = { requests: 100, perSeconds: 1 }
      const now = yield* Clock.currentTimeMillis
      yield* a.pause("shodan", now + 5000)
      // Redis counts the pause down in real time: allow for the round trips.
      const wait = yield* b.tryAcquire("shodan", limit)
      expect(wait).toBeGreaterThan(4500)
      expect(wait).toBeLessThanOrEqual(5000)
      const state = yield* b.state("shodan")
      expect(state.state).toBe("rate_limited")
      expect(state.state === "rate_limited" ? state.until : 0).toBeGreaterThan(now + 4500)
      // b's acquire is parked on a sleep of that length (TestClock), not spinning on Redis.
      const waiting = yield* Effect.fork(b.acquire("shodan", limit))
      let sleeps: ReadonlyArray<number> = []
      while (sleeps.length === 0) {
        yield* TestServices.provideLive(Effect.sleep("2 millis"))
        sleeps = Array.from(yield* TestClock.sleeps())
      }
      expect(Math.min(...sleeps) - now).toBeGreaterThan(4500)
      yield* Fiber.interrupt(waiting)
      // Other sources are not paused.
      expect(yield* b.tryAcquire("crtsh", limit)).toBe(0)
      expect(yield* b.state("crtsh")).toEqual({ state: "ok" })
      expect((yield* a.stats("shodan")).rateLimited).toBe(1)
    }))
})
