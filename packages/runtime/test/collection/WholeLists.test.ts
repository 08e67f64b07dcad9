/**
 * Whole lists (CISA's KEV catalog, OpenPhish's feed, Spamhaus DROP): read once per node for the source's cache TTL
 * and shared by its tasks — concurrent tasks wait for the one read, later ones use it, and once the TTL is over the
 * next task reads it again; a failed read is not kept.
 */
import { describe, expect, it } from "@effect/vitest"
import * as ThreatSources from "@mirage/testkit/ThreatSources"
import { Effect, TestClock } from "effect"
import * as RateLimiterMemory from "../../src/collection/RateLimiter/Memory.js"
import * as RequestCacheMemory from "../../src/collection/RequestCache/Memory.js"
import { driven } from "../support/Driven.js"
import { freshStores, node, task } from "../support/Executors.js"

const ttlMs = 600_000
const vuln = (value: string) => ({ type: "VULNERABILITY" as const, value })

const withCatalog = Effect.gen(function*() {
  const kev = yield* ThreatSources.cisaKev
  // Each request takes a while, so every concurrent task asks while the first read is in flight.
  yield* kev.setLatency(100)
  const n = yield* node({
    stores: yield* freshStores,
    hub: RateLimiterMemory.makeHub(),
    // The request cache's twin on the TestClock, so the raw answer expires with the list.
    cache: RequestCacheMemory.makeStore(),
    endpoints: { dnsServers: [], cisa_kev: kev.url },
    settings: {
      cacheTtlMs: ttlMs,
      // No rate limit to serialize the tasks: without sharing, each would read the catalog.
      sources: { cisa_kev: { rate_limit: { requests: 1000, perSeconds: 1 } } }
    }
  })
  const run = (ids: ReadonlyArray<string>) =>
    driven(Effect.forEach(ids, (id) => n.executor.execute(task("cisa_kev", vuln(id))), { concurrency: "unbounded" }))
  return { kev, run }
})

describe("whole lists", () => {
  it.scoped("N concurrent tasks read the catalog once; it is read again only after the source's cache TTL", () =>
    Effect.gen(function*() {
      const { kev, run } = yield* withCatalog
      const first = yield* run(["CVE-2024-23897", "CVE-2024-6387", "CVE-2024-23897", "CVE-2024-6387", "CVE-2024-23897"])
      expect(first.map((r) => r.outcome)).toEqual(["completed", "completed", "completed", "completed", "completed"])
      // Every task found what the catalog says of its CVE: the listed one known exploited, the other nothing.
      expect(first.map((r) => r.findings.filter((f) => f.type === "VULNERABILITY").length)).toEqual([1, 0, 1, 0, 1])
      expect(kev.requests()).toBe(1)

      yield* TestClock.adjust(ttlMs - 1000)
      const later = yield* run(["CVE-2024-23897", "CVE-2024-6387"])
      expect(later.map((r) => r.findings.length)).toEqual([2, 0])
      expect(kev.requests()).toBe(1)

      yield* TestClock.adjust(2000)
      const expired = yield* run(["CVE-2024-23897", "CVE-2024-23897", "CVE-2024-23897"])
      expect(expired.every((r) => r.outcome === "completed" && r.findings.length === 2)).toBe(true)
      expect(kev.requests()).toBe(2)
    }))

  it.scoped("a failed read is not kept: the next task reads the catalog again", () =>
    Effect.gen(function*() {
      const { kev, run } = yield* withCatalog
      yield* kev.failNext(1, { status: 500 })
      const first = yield* run(["CVE-2024-23897"])
      // The task's own retry read it again.
      expect(first[0]?.outcome).toBe("completed")
      expect(kev.requests()).toBe(2)
      const next = yield* run(["CVE-2024-23897", "CVE-2024-23897"])
      expect(next.every((r) => r.findings.length === 2)).toBe(true)
      expect(kev.requests()).toBe(2)
    }))
})
