/**
 * The rate limiter in memory on Effect's Clock, the twin of RateLimiter/Redis: the same token
 * bucket arithmetic, so TestClock drives it; several nodes of a simulation share one hub.
 */
import { Clock, Effect, Layer } from "effect"
import { bucketOf, make, RateLimiter } from "../RateLimiter.js"
import type { RateLimiterBackend } from "../RateLimiter.js"

// Floating point: 499 ms at 0.002 tokens/ms is 0.998, not 0.99800000001; do not round a wait up by it.
const epsilon = 1e-9

export interface RateLimiterHub {
  readonly buckets: Map<string, { tokens: number; ts: number }>
  /** Epoch ms until which each source is paused. */
  readonly pauses: Map<string, number>
}

export const makeHub = (): RateLimiterHub => ({ buckets: new Map(), pauses: new Map() })

export const backend = (hub: RateLimiterHub): RateLimiterBackend => {
  const pausedFor = (source: string, now: number) => Math.max(0, (hub.pauses.get(source) ?? 0) - now)
  return {
    take: (source, limit, most) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const paused = pausedFor(source, now)
        if (paused > 0) return { taken: 0, waitMs: paused }
        const { capacity, perMs } = bucketOf(limit)
        const bucket = hub.buckets.get(source) ?? { tokens: capacity, ts: now }
        if (now > bucket.ts) {
          bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.ts) * perMs)
          bucket.ts = now
        }
        hub.buckets.set(source, bucket)
        if (bucket.tokens >= 1 - epsilon) {
          const taken = Math.max(1, Math.min(Math.floor(most), Math.floor(bucket.tokens + epsilon)))
          bucket.tokens = Math.max(0, bucket.tokens - taken)
          return { taken, waitMs: 0 }
        }
        return { taken: 0, waitMs: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs - epsilon)) }
      }),
    pauseFor: (source, ms) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        hub.pauses.set(source, Math.max(hub.pauses.get(source) ?? 0, now + ms))
      }),
    pausedFor: (source) => Effect.map(Clock.currentTimeMillis, (now) => pausedFor(source, now))
  }
}

/** A limiter over a shared hub: give each simulated node its own layer over the same hub. */
export const layer = (hub: RateLimiterHub) => Layer.effect(RateLimiter, make(backend(hub)))

/** A limiter of its own. */
export const layerFresh = Layer.effect(RateLimiter, Effect.suspend(() => make(backend(makeHub()))))
