/** The Redis connection and the key namespace every Redis key of Mirage lives under. */
import { Config, Context, Effect, Layer, Redacted } from "effect"
import type { Scope } from "effect"
import { Redis } from "ioredis"
import * as Settings from "./Settings.js"

export interface RedisConnection {
  readonly redis: Redis
  /** Opens another connection with the same settings (blocking reads and subscriptions need their own). */
  readonly duplicate: Effect.Effect<Redis, never, Scope.Scope>
  /** Key namespace, e.g. "mirage"; tests use a unique one each. */
  readonly prefix: string
  /** A Redis Cluster-safe key: everything in one `tag` lands in one hash slot. */
  readonly key: (tag: string, ...parts: ReadonlyArray<string | number>) => string
}

export class RedisClient extends Context.Tag("@mirage/runtime/RedisClient")<RedisClient, RedisConnection>() {}

export const RedisConfig = Config.all({
  url: Settings.redisUrl,
  prefix: Settings.redisPrefix
})

const connect = (url: Redacted.Redacted) =>
  Effect.acquireRelease(
    Effect.sync(() => new Redis(Redacted.value(url), { maxRetriesPerRequest: null, enableAutoPipelining: true })),
    (redis) => Effect.promise(() => redis.quit().catch(() => "OK"))
  )

export const make = (options: { readonly url: Redacted.Redacted; readonly prefix: string }) =>
  Effect.gen(function*() {
    const redis = yield* connect(options.url)
    return RedisClient.of({
      redis,
      duplicate: connect(options.url),
      prefix: options.prefix,
      key: (tag, ...parts) => [`${options.prefix}:{${tag}}`, ...parts].join(":")
    })
  })

export const layer = Layer.scoped(RedisClient, Effect.flatMap(RedisConfig, make))

export const layerWith = (options: { readonly url: string; readonly prefix: string }) =>
  Layer.scoped(RedisClient, make({ url: Redacted.make(options.url), prefix: options.prefix }))
