/**
 * The pool of forward proxies requests may go through: handed out round-robin, checked
 * periodically through themselves, and evicted for a cool-down when a check or a request through
 * them fails. A proxy is an undici ProxyAgent, the dispatcher of a module's HttpClient.
 */
import { HttpClient } from "@mirage/modules"
import { Clock, Config, Context, Duration, Effect, Layer, Metric, Option, Ref, Schedule } from "effect"
import type { Scope } from "effect"
import type { Dispatcher } from "undici"
import { ProxyAgent } from "undici"
import * as Metrics from "../platform/Metrics.js"
import * as Settings from "./Settings.js"

export interface Proxy {
  /** The proxy's URL without userinfo: what logs and status show. */
  readonly id: string
  readonly dispatcher: Dispatcher
}

export interface ProxyStatus {
  readonly id: string
  readonly healthy: boolean
  /** Epoch ms until which it is evicted, when it is. */
  readonly evicted_until: number | null
  readonly failures: number
  readonly requests: number
}

export interface ProxyPoolService {
  /** The next healthy proxy in turn, or none when the pool is empty or all are evicted. */
  readonly next: Effect.Effect<Option.Option<Proxy>>
  /** A request or check through `id` failed: evict it for the cool-down. */
  readonly markFailed: (id: string) => Effect.Effect<void>
  /** Checks every proxy once (what the periodic check runs). */
  readonly check: Effect.Effect<void>
  readonly status: Effect.Effect<ReadonlyArray<ProxyStatus>>
}

export class ProxyPool extends Context.Tag("@mirage/runtime/ProxyPool")<ProxyPool, ProxyPoolService>() {}

export interface ProxyPoolSettings {
  /** http://, https:// (or socks5://, experimental in undici) proxy URLs, userinfo allowed. */
  readonly proxies: ReadonlyArray<string>
  readonly cooldownMs: number
  /** Fetched through each proxy by the health check; any answer below 500 counts as healthy. */
  readonly checkUrl: string
  readonly checkIntervalMs: number
  readonly checkTimeoutMs: number
}

export const ProxyPoolConfig = Config.all({
  proxies: Settings.proxies,
  cooldownMs: Config.map(Settings.proxyCooldown, Duration.toMillis),
  checkUrl: Settings.proxyCheckUrl,
  checkIntervalMs: Config.map(Settings.proxyCheckInterval, Duration.toMillis),
  checkTimeoutMs: Config.map(Settings.proxyCheckTimeout, Duration.toMillis)
})

const displayId = (url: string): string => {
  if (!URL.canParse(url)) return "invalid proxy URL"
  const parsed = new URL(url)
  parsed.username = ""
  parsed.password = ""
  return parsed.toString().replace(/\/$/, "")
}

interface Entry {
  readonly proxy: Proxy
  readonly evictedUntil: number
  readonly failures: number
  readonly requests: number
}

/** The pool, its agents closed with the Scope; no periodic check (see `withHealthChecks`). */
export const make = (settings: ProxyPoolSettings): Effect.Effect<ProxyPoolService, never, Scope.Scope> =>
  Effect.gen(function*() {
    const proxies = yield* Effect.forEach(
      settings.proxies.filter((url) => URL.canParse(url)),
      (url) =>
        Effect.acquireRelease(
          // Plain-HTTP targets go as absolute-URI requests (what a forward proxy expects and can
          // account for per request); HTTPS targets are tunnelled with CONNECT.
          Effect.sync((): Proxy => ({
            id: displayId(url),
            dispatcher: new ProxyAgent({ uri: url, proxyTunnel: false })
          })),
          (proxy) => Effect.promise(() => proxy.dispatcher.close().catch(() => undefined))
        )
    )
    const entries = yield* Ref.make<ReadonlyArray<Entry>>(
      proxies.map((proxy) => ({ proxy, evictedUntil: 0, failures: 0, requests: 0 }))
    )
    const turn = yield* Ref.make(0)

    // The gauge follows evictions and checks; a cool-down that simply runs out shows at the next check.
    const gauge = (entry: Entry, now: number) =>
      Metric.set(Metrics.tagged(Metrics.proxyHealthy, { proxy: entry.proxy.id }), entry.evictedUntil <= now ? 1 : 0)
    const update = (id: string, change: (entry: Entry) => Entry) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const all = yield* Ref.updateAndGet(
          entries,
          (list) => list.map((entry) => (entry.proxy.id === id ? change(entry) : entry))
        )
        const changed = all.find((entry) => entry.proxy.id === id)
        if (changed !== undefined) yield* gauge(changed, now)
      })
    yield* Effect.forEach(yield* Ref.get(entries), (entry) => gauge(entry, 0), { discard: true })

    const markFailed = (id: string) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        yield* update(id, (entry) => ({
          ...entry,
          evictedUntil: now + settings.cooldownMs,
          failures: entry.failures + 1
        }))
        yield* Effect.logWarning("proxy evicted").pipe(
          Effect.annotateLogs({ proxy: id, cooldown_ms: settings.cooldownMs })
        )
      })

    const next = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const all = yield* Ref.get(entries)
      if (all.length === 0) return Option.none<Proxy>()
      const start = yield* Ref.getAndUpdate(turn, (n) => n + 1)
      for (let i = 0; i < all.length; i++) {
        const entry = all[(start + i) % all.length]
        if (entry !== undefined && entry.evictedUntil <= now) {
          if (i > 0) yield* Ref.update(turn, (n) => n + i)
          yield* update(entry.proxy.id, (e) => ({ ...e, requests: e.requests + 1 }))
          return Option.some(entry.proxy)
        }
      }
      return Option.none<Proxy>()
    })

    const checkOne = (proxy: Proxy) =>
      HttpClient.makeHttpClient({
        dispatcher: proxy.dispatcher,
        timeoutMs: settings.checkTimeoutMs,
        label: "proxy-check"
      })
        .get(settings.checkUrl)
        .pipe(
          Effect.map((response) => response.status < 500),
          Effect.orElseSucceed(() => false),
          Effect.timeoutTo({
            duration: Duration.millis(settings.checkTimeoutMs * 2),
            onTimeout: () => false,
            onSuccess: (ok) => ok
          }),
          Effect.flatMap((healthy) =>
            healthy ? update(proxy.id, (entry) => ({ ...entry, evictedUntil: 0 })) : markFailed(proxy.id)
          )
        )

    const check = Effect.flatMap(
      Ref.get(entries),
      (all) => Effect.forEach(all, (entry) => checkOne(entry.proxy), { concurrency: "unbounded", discard: true })
    )

    const status = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      return (yield* Ref.get(entries)).map((entry) => ({
        id: entry.proxy.id,
        healthy: entry.evictedUntil <= now,
        evicted_until: entry.evictedUntil > now ? entry.evictedUntil : null,
        failures: entry.failures,
        requests: entry.requests
      }))
    })

    return ProxyPool.of({ next, markFailed, check, status })
  })

/** Runs the pool's health check now and then every `intervalMs` (Effect's Clock) until the Scope closes. */
export const withHealthChecks = (pool: ProxyPoolService, intervalMs: number) =>
  Effect.forkScoped(pool.check.pipe(Effect.repeat(Schedule.spaced(Duration.millis(intervalMs))))).pipe(Effect.as(pool))

/** The pool from configuration, health-checked in the background. */
export const layer = Layer.scoped(
  ProxyPool,
  Effect.gen(function*() {
    const config = yield* ProxyPoolConfig
    const proxies = config.proxies.split(",").map((url) => url.trim()).filter((url) => url.length > 0)
    const pool = yield* make({ ...config, proxies })
    return proxies.length === 0 ? pool : yield* withHealthChecks(pool, config.checkIntervalMs)
  })
)

/** A pool of the given proxies, health-checked every `checkIntervalMs` on Effect's Clock. */
export const layerWith = (settings: ProxyPoolSettings) =>
  Layer.scoped(ProxyPool, Effect.flatMap(make(settings), (pool) => withHealthChecks(pool, settings.checkIntervalMs)))

/** No proxies: tasks asking for one fail as if every proxy were down. */
export const layerEmpty = Layer.scoped(
  ProxyPool,
  make({ proxies: [], cooldownMs: 0, checkUrl: "http://127.0.0.1/", checkIntervalMs: 60_000, checkTimeoutMs: 1_000 })
)
