/**
 * Job options: the Redis adapter on the real server (round trip, where and how long the entry lives, removal,
 * expiry), its in-memory twin on the TestClock, and the executor applying a job's key and proxy choice
 * (looked up by the task's scan id) where the task sets none.
 */
import { describe, expect, it, layer } from "@effect/vitest"
import { IntelWorld } from "@mirage/testkit"
import * as ShodanServer from "@mirage/testkit/ShodanServer"
import { freshRedisPrefix, redisUrl } from "@mirage/testkit/TestStores"
import { Effect, Layer, Option, Redacted, TestClock, TestServices } from "effect"
import { randomUUID } from "node:crypto"
import { JobOptions, makeMemory, marginMs, ttlFor } from "../../src/collection/JobOptions.js"
import * as JobOptionsRedis from "../../src/collection/JobOptions/Redis.js"
import * as RateLimiterMemory from "../../src/collection/RateLimiter/Memory.js"
import * as RedisClient from "../../src/platform/RedisClient.js"
import { captureLogs, driven } from "../support/Driven.js"
import { freshStores, node, task } from "../support/Executors.js"

const TestLayer = Layer.unwrapScoped(Effect.gen(function*() {
  const prefix = (yield* freshRedisPrefix).replace(/:$/, "")
  const url = yield* redisUrl
  return JobOptionsRedis.layer.pipe(Layer.provideMerge(RedisClient.layerWith({ url, prefix })))
}))

const keyed = (key: string, useProxy?: boolean) => ({
  api_key: Option.some(Redacted.make(key)),
  use_proxy: Option.fromNullable(useProxy)
})

layer(TestLayer)("JobOptions/Redis", (it) => {
  it.effect("put then get gives the options back; the entry is the job's, with the TTL as PTTL", () =>
    Effect.gen(function*() {
      const options = yield* JobOptions
      const { prefix, redis } = yield* RedisClient.RedisClient
      const job = randomUUID()
      expect(yield* options.get(job)).toEqual(Option.none())
      yield* options.put(job, keyed("JobKey-roundtrip-1", true), 60_000)
      const found = yield* options.get(job)
      expect(Option.isSome(found)).toBe(true)
      if (Option.isNone(found)) return
      expect(Option.map(found.value.api_key, Redacted.value)).toEqual(Option.some("JobKey-roundtrip-1"))
      expect(found.value.use_proxy).toEqual(Option.some(true))
      // One string under the scan's hash tag, expiring within the TTL.
      const entry = `${prefix}:{scan-${job}}:options`
      expect(yield* Effect.promise(() => redis.type(entry))).toBe("string")
      const pttl = yield* Effect.promise(() => redis.pttl(entry))
      expect(pttl).toBeGreaterThan(50_000)
      expect(pttl).toBeLessThanOrEqual(60_000)

      // Options without a key, or without a proxy choice, come back as they were put.
      const other = randomUUID()
      yield* options.put(other, { api_key: Option.none(), use_proxy: Option.some(false) }, 60_000)
      expect(yield* options.get(other)).toEqual(Option.some({ api_key: Option.none(), use_proxy: Option.some(false) }))
    }))

  it.effect("remove deletes the entry at once", () =>
    Effect.gen(function*() {
      const options = yield* JobOptions
      const { prefix, redis } = yield* RedisClient.RedisClient
      const job = randomUUID()
      yield* options.put(job, keyed("JobKey-remove-2"), 60_000)
      yield* options.remove(job)
      expect(yield* options.get(job)).toEqual(Option.none())
      expect(yield* Effect.promise(() => redis.exists(`${prefix}:{scan-${job}}:options`))).toBe(0)
      // Removing what is not there is no error.
      yield* options.remove(job)
    }))

  it.effect("the key is not readable once the TTL has passed", () =>
    Effect.gen(function*() {
      const options = yield* JobOptions
      const { prefix, redis } = yield* RedisClient.RedisClient
      const job = randomUUID()
      yield* options.put(job, keyed("JobKey-expiry-3"), 20)
      // Redis's own clock expires it: a short real wait, not a schedule.
      yield* TestServices.provideLive(Effect.sleep("80 millis"))
      expect(yield* options.get(job)).toEqual(Option.none())
      const all = yield* Effect.promise(() => redis.keys(`${prefix}:*`))
      const values = yield* Effect.promise(() => Promise.all(all.map((k) => redis.get(k).catch(() => ""))))
      expect(JSON.stringify(values)).not.toContain("JobKey-expiry-3")
    }))

  it.effect("the TTL of a job is its timeout plus the margin", () =>
    Effect.sync(() => {
      expect(ttlFor(30)).toBe(30_000 + marginMs)
    }))
})

describe("JobOptions in memory", () => {
  it.effect("lives exactly its TTL on the clock; remove deletes", () =>
    Effect.gen(function*() {
      const options = makeMemory()
      yield* options.put("job-a", keyed("k"), 1000)
      yield* TestClock.adjust("999 millis")
      expect(Option.isSome(yield* options.get("job-a"))).toBe(true)
      yield* TestClock.adjust("1 millis")
      expect(yield* options.get("job-a")).toEqual(Option.none())
      yield* options.put("job-b", keyed("k"), 1000)
      yield* options.remove("job-b")
      expect(yield* options.get("job-b")).toEqual(Option.none())
    }))
})

describe("the executor with job options", () => {
  const sandboxIp = { type: "IP" as const, value: "192.0.2.10" }

  it.scoped("uses the job's key and proxy choice where the task sets none; the task's own win", () =>
    Effect.gen(function*() {
      const jobKey = `JobOwnShodanKey-${randomUUID()}`
      const shodan = yield* ShodanServer.make(IntelWorld.shodanHosts, { key: jobKey })
      const stores = yield* freshStores
      const { executor, redis } = yield* node({
        stores,
        hub: RateLimiterMemory.makeHub(),
        endpoints: { dnsServers: [], shodan: shodan.url },
        // The node's own key, which the job's overrides.
        keys: { shodan: [IntelWorld.keys.shodan] },
        settings: { retries: 1, retryBaseMs: 20, cacheTtlMs: 0 },
        jobOptions: JobOptionsRedis.layer
      })
      const options = yield* Effect.provideService(JobOptionsRedis.make, RedisClient.RedisClient, redis)
      const job = randomUUID()
      yield* options.put(job, keyed(jobKey), 60_000)

      const logs = captureLogs()
      const run = yield* logs.provide(driven(executor.execute(task("shodan_host", sandboxIp, { scan_id: job }))))
      expect(run.outcome).toBe("completed")
      expect(run.result_count).toBeGreaterThan(0)
      expect(shodan.requestLog()).toEqual([`/shodan/host/192.0.2.10?key=${jobKey}`])
      expect(logs.lines.length).toBeGreaterThan(0)
      expect(logs.lines.join("\n")).not.toContain(jobKey)

      // A task of another scan has no options: the node's key, which this source refuses.
      const plain = yield* driven(executor.execute(task("shodan_host", sandboxIp, { scan_id: randomUUID() })))
      expect(plain.outcome).toBe("auth_failed")
      expect(shodan.requestLog()[1]).toBe(`/shodan/host/192.0.2.10?key=${IntelWorld.keys.shodan}`)

      // A key set on the task itself wins over the job's.
      const own = yield* driven(
        executor.execute(task("shodan_host", sandboxIp, { scan_id: job, api_key: Redacted.make("TaskOwnKey") }))
      )
      expect(own.outcome).toBe("auth_failed")
      expect(shodan.requestLog()[2]).toBe("/shodan/host/192.0.2.10?key=TaskOwnKey")

      // use_proxy from the job with no proxy configured: the executor's error, and no request at all.
      const proxied = randomUUID()
      yield* options.put(proxied, keyed(jobKey, true), 60_000)
      const before = shodan.requests()
      const failed = yield* driven(executor.execute(task("shodan_host", sandboxIp, { scan_id: proxied })))
      expect(failed.outcome).toBe("failed")
      expect(Option.map(failed.failure, (f) => f.reason)).toEqual(Option.some("no healthy proxy in the pool"))
      expect(shodan.requests()).toBe(before)
      // …unless the task says otherwise.
      const direct = yield* driven(
        executor.execute(task("shodan_host", sandboxIp, { scan_id: proxied, use_proxy: false }))
      )
      expect(direct.outcome).toBe("completed")
    }))
})
