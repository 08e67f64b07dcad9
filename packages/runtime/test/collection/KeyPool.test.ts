/**
 * Key pools: several keys of one source taken in turn per request, a key the source refuses (401) parked in Redis for
 * every node and shown as such in `/sources` by its label and fingerprint, with its reason and end, a 429 pausing only
 * its key's bucket — and keys never in a log or an answer.
 */
import { describe, expect, it } from "@effect/vitest"
import { IntelWorld } from "@mirage/testkit"
import * as ShodanServer from "@mirage/testkit/ShodanServer"
import { Clock, DateTime, Effect, Option, Redacted, TestClock } from "effect"
import * as Sources from "../../src/collection/CollectService/Sources.js"
import { bucketOf, fingerprintOf } from "../../src/collection/Credentials.js"
import * as RateLimiterMemory from "../../src/collection/RateLimiter/Memory.js"
import { captureLogs, driven } from "../support/Driven.js"
import { freshStores, node, task } from "../support/Executors.js"

const refused = "RefusedShodanKeyRevoked00000001"
const good = IntelWorld.keys.shodan
const second = "SecondShodanKeyOfTheAccount0002"
const ip = (value: string) => ({ type: "IP" as const, value })

const pooled = Effect.gen(function*() {
  const shodan = yield* ShodanServer.make(IntelWorld.shodanHosts, { key: good, alsoAccepts: [second] })
  const stores = yield* freshStores
  const n = yield* node({
    stores,
    hub: RateLimiterMemory.makeHub(),
    endpoints: { dnsServers: [], shodan: shodan.url },
    keys: { shodan: [refused, good, second] },
    // Every request reaches the source, so the turn of keys shows in its log.
    settings: { cacheTtlMs: 0 }
  })
  const sources = () =>
    Effect.map(
      Sources.one({ limiter: n.limiter, credentials: n.credentials, collectionLog: n.log })("shodan"),
      (source) => ({ source, text: JSON.stringify(source) })
    )
  return { shodan, sources, ...n }
})

const keyOf = (path: string | undefined) => new URL(`http://x${path ?? ""}`).searchParams.get("key")

describe("key pools", () => {
  it.scoped("requests take the keys in turn; a refused key is parked, shown by its label, and the task still runs", () =>
    Effect.gen(function*() {
      const { executor, shodan, sources } = yield* pooled
      const logs = captureLogs()
      const first = yield* logs.provide(driven(executor.execute(task("shodan_host", ip("192.0.2.10")))))
      expect(first.outcome).toBe("completed")
      const rest = yield* Effect.forEach(
        ["192.0.2.11", "192.0.2.10", "192.0.2.11"],
        (value) => logs.provide(driven(executor.execute(task("shodan_host", ip(value)))))
      )
      expect(rest.map((run) => run.outcome)).toEqual(["completed", "completed", "completed"])
      // key-1 refused (401) then parked: the retry and every later request go round key-2 and key-3.
      expect(shodan.requestLog().map(keyOf)).toEqual([refused, second, good, second, good])
      const { source, text } = yield* sources()
      expect(source.keys.map((k) => [k.label, k.fingerprint, k.state])).toEqual([
        ["key-1", fingerprintOf(Redacted.make(refused)), "parked"],
        ["key-2", fingerprintOf(Redacted.make(good)), "ok"],
        ["key-3", fingerprintOf(Redacted.make(second)), "ok"]
      ])
      expect(source.keys[0]?.parked_reason).toBe("credentials rejected (HTTP 401)")
      expect(source.keys[0]?.parked_until).not.toBeNull()
      expect(source.keys[1]?.parked_reason).toBeNull()
      expect(source.key_configured).toBe(true)
      expect(source.state).toBe("ok")
      for (const secret of [refused, good, second]) {
        expect(text).not.toContain(secret)
        expect(logs.lines.join("\n")).not.toContain(secret)
      }
      expect(logs.lines.join("\n")).toContain("key-1")
    }))

  it.scoped("a 429 pauses only the key that met it: the next request takes another key at once", () =>
    Effect.gen(function*() {
      const { executor, limiter, shodan, sources } = yield* pooled
      // Take key-1 out first (its retry takes key-3), so the next turn is key-2's.
      yield* driven(executor.execute(task("shodan_host", ip("192.0.2.10"))))
      yield* shodan.failNext(1, { status: 429, retryAfter: "600", body: ShodanServer.rateLimitedBody })
      const now = yield* Clock.currentTimeMillis
      const limited = yield* driven(executor.execute(task("shodan_host", ip("192.0.2.11"))))
      // Retry-After (600 s) is beyond what a task waits, but another key is free: the retry used it.
      expect(limited.outcome).toBe("completed")
      const used = shodan.requestLog().map(keyOf)
      expect(used.slice(-2)).toEqual([good, second])
      expect(yield* limiter.state(bucketOf("shodan", Option.some("key-2"), 3))).toEqual({
        state: "rate_limited",
        until: now + 600_000
      })
      expect(yield* limiter.state("shodan")).toEqual({ state: "ok" })
      const { source } = yield* sources()
      expect(source.keys.map((k) => k.state)).toEqual(["parked", "rate_limited", "ok"])
      expect(source.keys[1]?.rate_limited_until).not.toBeNull()
      expect(source.state).toBe("ok")
      // The paused key is skipped: the next request, key-2's turn, goes to key-3.
      yield* driven(executor.execute(task("shodan_host", ip("192.0.2.10"))))
      expect(shodan.requestLog().map(keyOf).at(-1)).toBe(second)
    }))

  it.scoped("every key refused: the source shows auth_failed and the task ends auth_failed", () =>
    Effect.gen(function*() {
      const shodan = yield* ShodanServer.make(IntelWorld.shodanHosts, { key: good })
      const stores = yield* freshStores
      const n = yield* node({
        stores,
        hub: RateLimiterMemory.makeHub(),
        endpoints: { dnsServers: [], shodan: shodan.url },
        keys: { shodan: [refused, second] }
      })
      const run = yield* driven(n.executor.execute(task("shodan_host", ip("192.0.2.10"))))
      expect(run.outcome).toBe("auth_failed")
      expect(shodan.requestLog().map(keyOf)).toEqual([refused, second])
      const source = yield* Sources.one({ limiter: n.limiter, credentials: n.credentials, collectionLog: n.log })(
        "shodan"
      )
      expect(source.keys.map((k) => k.state)).toEqual(["parked", "parked"])
      expect(source.state).toBe("auth_failed")
    }))

  it.scoped("a key refused on one node is parked for every node, shown with its reason and end, and tried after it", () =>
    Effect.gen(function*() {
      const shodan = yield* ShodanServer.make(IntelWorld.shodanHosts, { key: good, alsoAccepts: [second] })
      const stores = yield* freshStores
      const hub = RateLimiterMemory.makeHub()
      const parkMs = 600_000
      const nodeOf = () =>
        node({
          stores,
          hub,
          endpoints: { dnsServers: [], shodan: shodan.url },
          keys: { shodan: [refused, good, second] },
          parkMs,
          settings: { cacheTtlMs: 0 }
        })
      const a = yield* nodeOf()
      const b = yield* nodeOf()
      const parkedAt = yield* Clock.currentTimeMillis
      yield* driven(a.executor.execute(task("shodan_host", ip("192.0.2.10"))))
      expect(shodan.requestLog().map(keyOf)).toEqual([refused, second])
      // Node b never sent it: its first turn, key-1's, went to the next usable key.
      const onB = yield* Effect.forEach(
        ["192.0.2.10", "192.0.2.11", "192.0.2.10"],
        (value) => driven(b.executor.execute(task("shodan_host", ip(value))))
      )
      expect(onB.map((run) => run.outcome)).toEqual(["completed", "completed", "completed"])
      expect(shodan.requestLog().slice(2).map(keyOf)).not.toContain(refused)
      // Either node's /sources shows it parked, by label and fingerprint, with the source's reason and its end.
      const shown = yield* Sources.one({ limiter: b.limiter, credentials: b.credentials, collectionLog: b.log })(
        "shodan"
      )
      const parked = shown.keys[0]!
      expect(parked).toMatchObject({
        label: "key-1",
        fingerprint: fingerprintOf(Redacted.make(refused)),
        state: "parked",
        parked_reason: "credentials rejected (HTTP 401)"
      })
      const until = parked.parked_until === null ? 0 : DateTime.toEpochMillis(parked.parked_until)
      expect(until).toBeGreaterThanOrEqual(parkedAt + parkMs)
      expect(until).toBeLessThanOrEqual((yield* Clock.currentTimeMillis) + parkMs)
      expect(JSON.stringify(shown)).not.toContain(refused)
      // The mark is in Redis under the fingerprint, never the key.
      const marks = yield* Effect.promise(() => b.redis.redis.keys(`${stores.prefix}:*keypark*`))
      expect(marks).toHaveLength(1)
      expect(marks[0]).toContain(fingerprintOf(Redacted.make(refused)))
      expect(marks.join(" ")).not.toContain(refused)

      // Once its time is over, every node may try it again: the source refuses it once more, and it is parked again.
      yield* TestClock.adjust(parkMs)
      const after = yield* Sources.one({ limiter: a.limiter, credentials: a.credentials, collectionLog: a.log })(
        "shodan"
      )
      expect(after.keys.map((k) => k.state)).toEqual(["ok", "ok", "ok"])
      const before = shodan.requestLog().length
      yield* Effect.forEach(
        ["192.0.2.10", "192.0.2.11", "192.0.2.10"],
        (value) => driven(b.executor.execute(task("shodan_host", ip(value))))
      )
      expect(shodan.requestLog().slice(before).map(keyOf).filter((key) => key === refused)).toHaveLength(1)
      const again = yield* Sources.one({ limiter: a.limiter, credentials: a.credentials, collectionLog: a.log })(
        "shodan"
      )
      expect(again.keys[0]?.state).toBe("parked")
    }))
})
