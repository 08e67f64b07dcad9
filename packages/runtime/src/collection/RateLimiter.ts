/**
 * The global per-source rate limit: a token bucket per data source shared by every node, and a
 * pause a 429 puts on a source that every node honours. Adapters only decide "take a token or say
 * how long to wait"; the waiting loop and the counters live here so both adapters behave alike.
 */
import { Clock, Context, Duration, Effect, Layer, Metric, Ref } from "effect"
import type { PersistenceError } from "../platform/Errors.js"
import * as Metrics from "../platform/Metrics.js"

/** A source's limit, as a module declares it (`source.rateLimit`). */
export interface RateLimit {
  readonly requests: number
  readonly perSeconds: number
  /** Tokens a quiet source may spend at once; `requests` when absent. */
  readonly burst?: number
}

export type SourceState =
  | { readonly state: "ok" }
  | { readonly state: "rate_limited"; readonly until: number }

export interface RateLimiterStats {
  /** Tokens taken. */
  readonly acquired: number
  /** Times an acquire had to wait (for a token or a pause), and for how long in total. */
  readonly waits: number
  readonly waitedMs: number
  /** Pauses put on the source (429s and quota answers). */
  readonly rateLimited: number
}

/** What one take got: `taken` tokens (at least one, at most those asked for), or none and `waitMs` until one may be. */
export interface Grant {
  readonly taken: number
  readonly waitMs: number
}

export interface RateLimiterService {
  /** Takes a token now (0) or says how many ms to wait before asking again. */
  readonly tryAcquire: (source: string, limit: RateLimit) => Effect.Effect<number, PersistenceError>
  /** Takes up to `most` tokens at once, as many as the bucket holds whole; none when it holds less than one. */
  readonly tryAcquireUpTo: (source: string, limit: RateLimit, most: number) => Effect.Effect<Grant, PersistenceError>
  /** Waits (on Effect's Clock) until the source has a token for us and takes it. */
  readonly acquire: (source: string, limit: RateLimit) => Effect.Effect<void, PersistenceError>
  /** No node takes a token of `source` before `untilMs` (epoch ms on the caller's clock); never shortens a pause. */
  readonly pause: (source: string, untilMs: number) => Effect.Effect<void, PersistenceError>
  readonly state: (source: string) => Effect.Effect<SourceState, PersistenceError>
  /** This instance's counters for `source`. */
  readonly stats: (source: string) => Effect.Effect<RateLimiterStats>
}

export class RateLimiter extends Context.Tag("@mirage/runtime/RateLimiter")<RateLimiter, RateLimiterService>() {}

/** Tokens per millisecond and bucket size of a limit. */
export const bucketOf = (limit: RateLimit): { readonly perMs: number; readonly capacity: number } => ({
  perMs: limit.requests / (limit.perSeconds * 1000),
  capacity: Math.max(1, limit.burst ?? limit.requests)
})

/** What an adapter provides: the atomic decisions, against its own store and clock. */
export interface RateLimiterBackend {
  /** Up to `most` tokens, or none and the ms until one may be (or until the pause ends). */
  readonly take: (source: string, limit: RateLimit, most: number) => Effect.Effect<Grant, PersistenceError>
  /** Extends the pause of `source` to at least `ms` from now. */
  readonly pauseFor: (source: string, ms: number) => Effect.Effect<void, PersistenceError>
  /** ms left of the pause of `source`, 0 when none. */
  readonly pausedFor: (source: string) => Effect.Effect<number, PersistenceError>
}

const emptyStats: RateLimiterStats = { acquired: 0, waits: 0, waitedMs: 0, rateLimited: 0 }

// Never sleep less than this: a wait of 0 after a refusal would spin on the store.
const minWaitMs = 1

export const make = (backend: RateLimiterBackend): Effect.Effect<RateLimiterService> =>
  Effect.gen(function*() {
    const counters = yield* Ref.make(new Map<string, RateLimiterStats>())
    const count = (source: string, update: (stats: RateLimiterStats) => RateLimiterStats) =>
      Ref.update(counters, (all) => new Map(all).set(source, update(all.get(source) ?? emptyStats)))

    const acquire = (source: string, limit: RateLimit): Effect.Effect<void, PersistenceError> =>
      Effect.gen(function*() {
        let waited = 0
        for (;;) {
          const { taken, waitMs: wait } = yield* backend.take(source, limit, 1)
          if (taken > 0) break
          const ms = Math.max(minWaitMs, wait)
          waited += ms
          yield* Effect.sleep(Duration.millis(ms))
        }
        yield* count(source, (stats) => ({
          ...stats,
          acquired: stats.acquired + 1,
          waits: stats.waits + (waited > 0 ? 1 : 0),
          waitedMs: stats.waitedMs + waited
        }))
        if (waited > 0) {
          yield* Metric.increment(Metrics.tagged(Metrics.rateLimitWaits, { source }))
          yield* Effect.logDebug("rate limit wait").pipe(Effect.annotateLogs({ source, waited_ms: waited }))
        }
      })

    return RateLimiter.of({
      tryAcquire: (source, limit) => Effect.map(backend.take(source, limit, 1), (grant) => grant.waitMs),
      tryAcquireUpTo: backend.take,
      acquire,
      pause: (source, untilMs) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          yield* count(source, (stats) => ({ ...stats, rateLimited: stats.rateLimited + 1 }))
          if (untilMs > now) yield* backend.pauseFor(source, Math.ceil(untilMs - now))
          yield* Effect.logInfo("source paused").pipe(
            Effect.annotateLogs({ source, pause_ms: Math.max(0, untilMs - now) })
          )
        }),
      state: (source) =>
        Effect.gen(function*() {
          const left = yield* backend.pausedFor(source)
          if (left <= 0) return { state: "ok" } as const
          const now = yield* Clock.currentTimeMillis
          return { state: "rate_limited", until: now + left } as const
        }),
      stats: (source) => Effect.map(Ref.get(counters), (all) => all.get(source) ?? emptyStats)
    })
  })

/** A limiter that never makes anyone wait and honours no pause: for hosts whose sources are all local fixtures. */
export const layerUnlimited: Layer.Layer<RateLimiter> = Layer.effect(
  RateLimiter,
  make({
    take: (_source, _limit, most) => Effect.succeed({ taken: most, waitMs: 0 }),
    pauseFor: () => Effect.void,
    pausedFor: () => Effect.succeed(0)
  })
)
