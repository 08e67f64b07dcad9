/**
 * The proxy pool against a local forward proxy that counts what it relays and a proxy that is not
 * there: round-robin, health checks evicting the dead one, and tasks going through the pool.
 */
import { describe, expect, it } from "@effect/vitest"
import { CrtshServer, FixtureWorld } from "@mirage/testkit"
import { Context, Effect, Layer, Option, TestClock, TestServices } from "effect"
import { ProxyPool } from "../../src/collection/ProxyPool.js"
import * as ProxyPoolLive from "../../src/collection/ProxyPool.js"
import * as RateLimiterMemory from "../../src/collection/RateLimiter/Memory.js"
import { driven } from "../support/Driven.js"
import { freshStores, node, task } from "../support/Executors.js"
import * as ForwardProxy from "../support/ForwardProxy.js"

const settings = (proxies: ReadonlyArray<string>, checkUrl: string) => ({
  proxies,
  cooldownMs: 60_000,
  checkUrl,
  checkIntervalMs: 30_000,
  checkTimeoutMs: 2_000
})

const sandbox = { type: "DOMAIN" as const, value: FixtureWorld.domain }

const poll = TestServices.provideLive(Effect.sleep("5 millis"))

describe("ProxyPool", () => {
  it.scoped("hands out proxies in turn; a health check evicts the dead one for the cool-down", () =>
    Effect.gen(function*() {
      const crtsh = yield* CrtshServer.make(FixtureWorld.certificates)
      const live1 = yield* ForwardProxy.make
      const live2 = yield* ForwardProxy.make
      const dead = yield* ForwardProxy.dead
      const pool = yield* ProxyPoolLive.make(settings([live1.url, dead, live2.url], `${crtsh.url}/`))
      const ids = [] as Array<string>
      for (let i = 0; i < 3; i++) ids.push(Option.getOrThrow(yield* pool.next).id)
      expect(ids).toEqual([live1.url, dead, live2.url])

      yield* pool.check
      // The checks went through the live proxies to the check URL.
      expect(live1.relayed()).toBe(1)
      expect(live2.relayed()).toBe(1)
      expect(crtsh.requests()).toBe(2)
      const status = yield* pool.status
      expect(status.map((s) => [s.id, s.healthy])).toEqual([[live1.url, true], [dead, false], [live2.url, true]])
      const turns = [] as Array<string>
      for (let i = 0; i < 4; i++) turns.push(Option.getOrThrow(yield* pool.next).id)
      expect(turns).not.toContain(dead)
      expect(new Set(turns)).toEqual(new Set([live1.url, live2.url]))
    }))

  it.scoped("checks run periodically on the clock from the layer; proxy userinfo never shows", () =>
    Effect.gen(function*() {
      const crtsh = yield* CrtshServer.make(FixtureWorld.certificates)
      const live = yield* ForwardProxy.make
      const withUser = live.url.replace("http://", "http://user:hunter2@")
      const context = yield* Layer.build(ProxyPoolLive.layerWith(settings([withUser], `${crtsh.url}/`)))
      const pool = Context.get(context, ProxyPool)
      while (live.relayed() < 1) yield* poll
      expect(JSON.stringify(yield* pool.status)).not.toContain("hunter2")
      // The first check has ended only when the schedule sleeps towards the next one: moving the clock earlier
      // (while its response is still on the way) would pass the next check's time before it is set.
      while (!Array.from(yield* TestClock.sleeps()).some((at) => at >= 30_000)) yield* poll
      yield* driven(Effect.sleep("30 seconds"))
      while (live.relayed() < 2) yield* poll
      expect(live.relayed()).toBe(2)
    }))

  it.scoped("a task with use_proxy goes through the pool; a dead proxy is evicted and the retry takes the next", () =>
    Effect.gen(function*() {
      const crtsh = yield* CrtshServer.make(FixtureWorld.certificates)
      const live = yield* ForwardProxy.make
      const dead = yield* ForwardProxy.dead
      const stores = yield* freshStores
      // No periodic check: the failed request is what evicts the dead proxy.
      const proxies = Layer.scoped(ProxyPool, ProxyPoolLive.make(settings([dead, live.url], `${crtsh.url}/`)))
      const { executor, log } = yield* node({
        stores,
        hub: RateLimiterMemory.makeHub(),
        endpoints: { dnsServers: [], crtsh: crtsh.url },
        proxies
      })
      const spec = task("crtsh", sandbox, { use_proxy: true })
      const run = yield* driven(executor.execute(spec))
      expect(run.outcome).toBe("completed")
      expect(live.relayed()).toBe(1)
      expect(live.targets()[0]).toContain(crtsh.url.replace("http://", ""))
      expect(crtsh.requests()).toBe(1)
      const requests = (yield* log.listForTask(spec.task_id, null, 10)).items.filter((e) => e.kind === "request")
      expect(requests.map((r) => r.kind === "request" ? [r.proxy, r.status] : [])).toEqual([[dead, null], [
        live.url,
        200
      ]])

      // Without use_proxy and with the module allowing it, the default is to use the configured pool too.
      const plain = yield* driven(executor.execute(task("crtsh", { type: "DOMAIN", value: "other.test" })))
      expect(plain.outcome).toBe("completed")
      expect(live.relayed()).toBe(2)
      // A task may opt out.
      yield* driven(executor.execute(task("crtsh", { type: "DOMAIN", value: "third.test" }, { use_proxy: false })))
      expect(live.relayed()).toBe(2)
      expect(crtsh.requests()).toBe(3)
    }))

  it.scoped("use_proxy with no healthy proxy fails rather than going direct", () =>
    Effect.gen(function*() {
      const crtsh = yield* CrtshServer.make(FixtureWorld.certificates)
      const stores = yield* freshStores
      const { executor } = yield* node({
        stores,
        hub: RateLimiterMemory.makeHub(),
        endpoints: { dnsServers: [], crtsh: crtsh.url },
        settings: { retries: 1 }
      })
      const run = yield* driven(executor.execute(task("crtsh", sandbox, { use_proxy: true })))
      expect(run.outcome).toBe("failed")
      expect(crtsh.requests()).toBe(0)
    }))
})
