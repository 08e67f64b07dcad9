/**
 * The module executor on the real Redis and FerretDB against fixture sources: retries and backoff
 * (TestClock), Retry-After, key rotation without keys in logs, the cache, max_results, the
 * collection log; and three nodes sharing one source's rate limit on the wall clock.
 */
import { describe, expect, it } from "@effect/vitest"
import { CrtshServer, FixtureWorld, IntelWorld } from "@mirage/testkit"
import * as DnsServer from "@mirage/testkit/DnsServer"
import * as KeyedSources from "@mirage/testkit/KeyedSources"
import * as ShodanServer from "@mirage/testkit/ShodanServer"
import { Clock, Effect, Fiber, Redacted } from "effect"
import type { CollectionLogEntry, RequestEntry, SummaryEntry } from "../../src/collection/CollectionLog.js"
import * as RateLimiterMemory from "../../src/collection/RateLimiter/Memory.js"
import { cacheKey } from "../../src/collection/RequestCache.js"
import { captureLogs, driven } from "../support/Driven.js"
import { freshStores, node, owner, task } from "../support/Executors.js"

const sandbox = { type: "DOMAIN" as const, value: FixtureWorld.domain }
const sandboxIp = { type: "IP" as const, value: "192.0.2.10" }

const requestsOf = (entries: ReadonlyArray<CollectionLogEntry>): ReadonlyArray<RequestEntry> =>
  entries.filter((entry): entry is RequestEntry => entry.kind === "request")
const summaryOf = (entries: ReadonlyArray<CollectionLogEntry>): SummaryEntry | undefined =>
  entries.find((entry): entry is SummaryEntry => entry.kind === "summary")

/** A crt.sh fixture and a node on fresh stores with the twin limiter. */
const crtshNode = (settings: Parameters<typeof node>[0]["settings"] = {}) =>
  Effect.gen(function*() {
    const crtsh = yield* CrtshServer.make(FixtureWorld.certificates)
    const stores = yield* freshStores
    const hub = RateLimiterMemory.makeHub()
    const n = yield* node({ stores, hub, endpoints: { dnsServers: [], crtsh: crtsh.url }, settings })
    return { crtsh, stores, hub, ...n }
  })

describe("ModuleExecutor", () => {
  it.scoped("retries a 503 with exponential backoff and jitter, then completes", () =>
    Effect.gen(function*() {
      const { crtsh, executor, log } = yield* crtshNode()
      yield* crtsh.failNext(2, { status: 503 })
      const spec = task("crtsh", sandbox)
      const run = yield* driven(executor.execute(spec))
      expect(run.outcome).toBe("completed")
      expect(run.attempts).toBe(3)
      expect(crtsh.requests()).toBe(3)
      const entries = (yield* log.listForTask(spec.task_id, null, 100)).items
      const requests = requestsOf(entries)
      expect(requests.map((r) => [r.attempt, r.status])).toEqual([[1, 503], [2, 503], [3, 200]])
      // Base 200 ms doubling, jittered by 0.8–1.2.
      const [first, second, third] = requests.map((r) => r.at)
      const gap1 = (second ?? 0) - (first ?? 0)
      const gap2 = (third ?? 0) - (second ?? 0)
      expect(gap1).toBeGreaterThanOrEqual(160)
      expect(gap1).toBeLessThanOrEqual(240)
      expect(gap2).toBeGreaterThanOrEqual(320)
      expect(gap2).toBeLessThanOrEqual(480)
      expect(summaryOf(entries)).toMatchObject({ outcome: "completed", attempts: 3, result_count: run.result_count })
    }))

  it.scoped("never retries a 4xx: 400 fails, 401 is auth_failed, one request each", () =>
    Effect.gen(function*() {
      const { crtsh, executor } = yield* crtshNode()
      yield* crtsh.failNext(1, { status: 400 })
      const bad = yield* driven(executor.execute(task("crtsh", sandbox)))
      expect(bad.outcome).toBe("failed")
      expect(crtsh.requests()).toBe(1)
      yield* crtsh.failNext(1, { status: 401 })
      const denied = yield* driven(executor.run(task("crtsh", sandbox)).pipe(Effect.flip))
      expect(denied.kind).toBe("auth_failed")
      expect(crtsh.requests()).toBe(2)
    }))

  it.scoped("stops after the configured retries", () =>
    Effect.gen(function*() {
      const { crtsh, executor } = yield* crtshNode({ retries: 2 })
      yield* crtsh.failNext(10, { status: 502 })
      const run = yield* driven(executor.execute(task("crtsh", sandbox)))
      expect(run.outcome).toBe("failed")
      expect(run.attempts).toBe(3)
      expect(crtsh.requests()).toBe(3)
    }))

  it.scoped("a 429 pauses the source for every node until Retry-After, then the retry goes through", () =>
    Effect.gen(function*() {
      const { crtsh, executor, hub, limiter, log, stores } = yield* crtshNode()
      const other = yield* node({ stores, hub, endpoints: { dnsServers: [], crtsh: crtsh.url } })
      yield* crtsh.failNext(1, { status: 429, retryAfter: "3" })
      const spec = task("crtsh", sandbox)
      const fiber = yield* Effect.fork(driven(executor.execute(spec)))
      // While the first node waits out the pause, the other node sees the source rate limited.
      let seen = false
      while (!seen && crtsh.requests() < 2) {
        seen = (yield* other.limiter.state("crtsh")).state === "rate_limited"
        yield* Effect.yieldNow()
      }
      const run = yield* Fiber.join(fiber)
      expect(seen).toBe(true)
      expect(run.outcome).toBe("completed")
      const requests = requestsOf((yield* log.listForTask(spec.task_id, null, 100)).items)
      expect(requests.map((r) => r.status)).toEqual([429, 200])
      expect((requests[1]?.at ?? 0) - (requests[0]?.at ?? 0)).toBeGreaterThanOrEqual(3000)
      expect((yield* limiter.stats("crtsh")).rateLimited).toBe(1)
    }))

  it.scoped("a Retry-After beyond what a task may wait ends it as rate_limited, the source stays paused", () =>
    Effect.gen(function*() {
      const { crtsh, executor, limiter } = yield* crtshNode()
      yield* crtsh.failNext(1, { status: 429, retryAfter: "3600" })
      const now = yield* Clock.currentTimeMillis
      const run = yield* driven(executor.execute(task("crtsh", sandbox)))
      expect(run.outcome).toBe("rate_limited")
      expect(crtsh.requests()).toBe(1)
      expect(yield* limiter.state("crtsh")).toEqual({ state: "rate_limited", until: now + 3_600_000 })
    }))

  it.scoped("moves to the next key on a 429; keys appear in no log line and no collection log entry", () =>
    Effect.gen(function*() {
      const good = IntelWorld.keys.shodan
      const first = "FirstShodanKeyOutOfQuota0000001"
      const shodan = yield* ShodanServer.make(IntelWorld.shodanHosts, { key: good })
      const stores = yield* freshStores
      const { executor, log, redis } = yield* node({
        stores,
        hub: RateLimiterMemory.makeHub(),
        endpoints: { dnsServers: [], shodan: shodan.url },
        keys: { shodan: [first, good] }
      })
      yield* shodan.failNext(1, { status: 429, retryAfter: "1", body: ShodanServer.rateLimitedBody })
      const logs = captureLogs()
      const spec = task("shodan_host", sandboxIp)
      const run = yield* logs.provide(driven(executor.execute(spec)))
      expect(run.outcome).toBe("completed")
      expect(shodan.requestLog()).toEqual([
        `/shodan/host/192.0.2.10?key=${first}`,
        `/shodan/host/192.0.2.10?key=${good}`
      ])
      expect(logs.lines.length).toBeGreaterThan(0)
      for (const secret of [first, good]) {
        expect(logs.lines.join("\n")).not.toContain(secret)
      }
      const entries = (yield* log.listForTask(spec.task_id, null, 100)).items
      expect(requestsOf(entries).map((r) => r.url)).toEqual([
        `${shodan.url}/shodan/host/192.0.2.10`,
        `${shodan.url}/shodan/host/192.0.2.10`
      ])
      expect(JSON.stringify(entries)).not.toContain(good)
      expect(JSON.stringify(entries)).not.toContain(first)
      // The cached answer is keyed by a hash: neither its key nor its value holds the key.
      const keys = yield* Effect.promise(() => redis.redis.keys(`${stores.prefix}:*`))
      const values = yield* Effect.promise(() =>
        Promise.all(keys.map((k) => redis.redis.type(k).then((t) => (t === "string" ? redis.redis.get(k) : ""))))
      )
      expect(JSON.stringify([keys, values])).not.toContain(good)

      // A key given with the task wins over the configured ones.
      const override = yield* driven(
        executor.execute(task("shodan_host", sandboxIp, { api_key: Redacted.make("TaskOwnShodanKey") }))
      )
      expect(override.outcome).toBe("auth_failed")
      expect(shodan.requestLog()[2]).toBe("/shodan/host/192.0.2.10?key=TaskOwnShodanKey")
    }))

  it.scoped("a cache hit makes no upstream request, takes no rate token, and shows in the log", () =>
    Effect.gen(function*() {
      const { cache, crtsh, executor, limiter, log } = yield* crtshNode()
      const scan = owner()
      const first = task("crtsh", sandbox, { owner: scan })
      const second = task("crtsh", sandbox, { owner: scan })
      const a = yield* driven(executor.execute(first))
      const b = yield* driven(executor.execute(second))
      expect(b.findings).toEqual(a.findings)
      expect(crtsh.requests()).toBe(1)
      expect(yield* cache.stats("crtsh")).toEqual({ hits: 1, misses: 1 })
      expect((yield* limiter.stats("crtsh")).acquired).toBe(1)
      const hit = requestsOf((yield* log.listForTask(second.task_id, null, 100)).items)
      expect(hit).toHaveLength(1)
      expect(hit[0]).toMatchObject({ cache_hit: true, status: 200, attempt: 1, proxy: null })
      expect(hit[0]?.url).toBe(`${crtsh.url}/?q=%25.${FixtureWorld.domain}&output=json`)
      // The whole scan's log, in pages.
      const page1 = yield* log.listForOwner(scan, null, 2)
      expect(page1.items).toHaveLength(2)
      const page2 = yield* log.listForOwner(scan, page1.next_cursor, 10)
      expect(page2.items.map((e) => e.kind)).toEqual(["request", "summary"])
      expect(page2.next_cursor).toBeNull()
    }))

  it.scoped("a POST takes a rate token each time, is recorded as a POST and is never answered from the cache", () =>
    Effect.gen(function*() {
      const urlhaus = yield* KeyedSources.urlhaus(IntelWorld.malwareUrls, { key: IntelWorld.keys.urlhaus })
      const { cache, executor, limiter, log } = yield* node({
        stores: yield* freshStores,
        hub: RateLimiterMemory.makeHub(),
        endpoints: { dnsServers: [], urlhaus: urlhaus.url },
        keys: { urlhaus: [IntelWorld.keys.urlhaus] }
      })
      const legacy = { type: "DOMAIN" as const, value: "legacy.mirage-sandbox.test" }
      const scan = owner()
      const first = yield* driven(executor.execute(task("urlhaus_host", legacy, { owner: scan })))
      const second = task("urlhaus_host", legacy, { owner: scan })
      const again = yield* driven(executor.execute(second))
      expect(first.outcome).toBe("completed")
      expect(again.findings).toEqual(first.findings)
      expect(urlhaus.requests()).toBe(2)
      expect((yield* limiter.stats("urlhaus")).acquired).toBe(2)
      expect(yield* cache.stats("urlhaus")).toEqual({ hits: 0, misses: 0 })
      const recorded = requestsOf((yield* log.listForTask(second.task_id, null, 100)).items)
      expect(recorded).toHaveLength(1)
      expect(recorded[0]).toMatchObject({
        method: "POST",
        cache_hit: false,
        status: 200,
        url: `${urlhaus.url}/v1/host/`
      })
      expect(JSON.stringify(recorded)).not.toContain(IntelWorld.keys.urlhaus)
    }))

  it.scoped("every DNS lookup takes a token of the resolvers' rate limit; past the burst, lookups wait", () =>
    Effect.gen(function*() {
      const dns = yield* DnsServer.make(FixtureWorld.zone)
      const hub = RateLimiterMemory.makeHub()
      const { executor, limiter } = yield* node({
        stores: yield* freshStores,
        hub,
        endpoints: { dnsServers: [dns.address] },
        settings: { sources: { dns: { rate_limit: { requests: 2, perSeconds: 1, burst: 2 } } } }
      })
      const words = ["www", "mail", "api", "dev", "vpn", "shop"]
      const brute = {
        ...task("dns_brute", sandbox),
        config: { wordlist: words, use_builtin_wordlist: false, wildcard_probes: 0, concurrency: 1 }
      }
      const started = yield* Clock.currentTimeMillis
      const run = yield* driven(executor.execute(brute))
      expect(run.outcome).toBe("completed")
      const asked = dns.questions().length
      expect(asked).toBeGreaterThanOrEqual(words.length)
      const stats = yield* limiter.stats("dns")
      expect(stats.acquired).toBe(asked)
      // Two at once, then two a second: the clock moved by at least the time the rest had to wait.
      expect(stats.waits).toBeGreaterThan(0)
      expect((yield* Clock.currentTimeMillis) - started).toBeGreaterThanOrEqual(((asked - 2) / 2) * 1000 - 1)
    }))

  it.scoped("keys separate cache entries without being part of the key material in clear", () =>
    Effect.sync(() => {
      const url = "https://api.example.test/v1/search"
      const a = cacheKey(
        url,
        { headers: { authorization: "Bearer tenant-a", accept: "json" }, query: { q: "x" } },
        null
      )
      const b = cacheKey(
        url,
        { headers: { authorization: "Bearer tenant-b", accept: "json" }, query: { q: "x" } },
        null
      )
      const a2 = cacheKey(
        url,
        { headers: { accept: "json", authorization: "Bearer tenant-a" }, query: { q: "x" } },
        null
      )
      expect(a).not.toBe(b)
      expect(a2).toBe(a)
      expect(cacheKey(url, { query: { q: "x", key: "k1" } }, null)).not.toBe(
        cacheKey(url, { query: { q: "x", key: "k2" } }, null)
      )
      expect(cacheKey(url, {}, "k1")).not.toBe(cacheKey(url, {}, "k2"))
      expect(cacheKey(url, { query: { q: "y" } }, null)).not.toBe(cacheKey(url, { query: { q: "x" } }, null))
      expect(a).toMatch(/^[0-9a-f]{64}$/)
    }))

  it.scoped("more findings than max_results: cut, and the outcome is result_limited", () =>
    Effect.gen(function*() {
      const { executor, log } = yield* crtshNode()
      const spec = task("crtsh", sandbox, { max_results: 2 })
      const run = yield* driven(executor.execute(spec))
      expect(run.outcome).toBe("result_limited")
      expect(run.findings).toHaveLength(2)
      expect(summaryOf((yield* log.listForTask(spec.task_id, null, 10)).items)).toMatchObject({
        outcome: "result_limited",
        result_count: 2
      })
      expect(yield* executor.run(task("crtsh", sandbox, { max_results: 2 }))).toHaveLength(2)
    }))

  it.scoped("an unknown module is bad_config and still leaves a summary", () =>
    Effect.gen(function*() {
      const { executor, log } = yield* crtshNode()
      const spec = task("no_such_module", sandbox)
      const failure = yield* Effect.flip(executor.run(spec))
      expect(failure.kind).toBe("bad_config")
      expect(summaryOf((yield* log.listForTask(spec.task_id, null, 10)).items)?.outcome).toBe("bad_config")
    }))

  // The one wall-clock test: the limit is enforced by Redis's clock across nodes, as upstream sees it.
  it.live(
    "three nodes hammering one source never exceed its rate (+ burst) as the source sees it",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const rate = 5
        const burst = 1
        const crtsh = yield* CrtshServer.make(FixtureWorld.certificates)
        const stores = yield* freshStores
        const settings = {
          cacheTtlMs: 0,
          sources: { crtsh: { rate_limit: { requests: rate, perSeconds: 1, burst } } }
        }
        const nodes = yield* Effect.forEach(
          [1, 2, 3],
          () => node({ stores, endpoints: { dnsServers: [], crtsh: crtsh.url }, settings })
        )
        const workers = nodes.flatMap((n) =>
          [1, 2, 3].map(() => n.executor.execute(task("crtsh", sandbox)).pipe(Effect.forever))
        )
        const fibers = yield* Effect.forEach(workers, (worker) => Effect.fork(worker))
        yield* Effect.sleep("3000 millis")
        yield* Fiber.interruptAll(fibers)
        const arrivals = crtsh.received().map((r) => r.at).sort((x, y) => x - y)
        let busiest = 0
        for (const [i, start] of arrivals.entries()) {
          const inWindow = arrivals.slice(i).filter((at) => at < start + 1000).length
          busiest = Math.max(busiest, inWindow)
        }
        const span = (arrivals[arrivals.length - 1] ?? 0) - (arrivals[0] ?? 0)
        yield* Effect.log(`three nodes: ${arrivals.length} requests in ${span} ms, busiest second ${busiest}`)
        expect(busiest).toBeLessThanOrEqual(rate + burst)
        // And the limiter let the rate through: the nodes were not simply idle.
        expect(arrivals.length).toBeGreaterThanOrEqual(rate * 2)
      })),
    20_000
  )
})
