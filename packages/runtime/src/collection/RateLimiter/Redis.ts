/**
 * The rate limiter in Redis: one token bucket per source, refilled by elapsed time on the Redis
 * server's clock (so nodes with skewed clocks agree), and a pause key with PX that every node's
 * take consults first. Bucket and pause share a hash tag, so the script runs on Redis Cluster too.
 */
import { Effect, Layer, Schema } from "effect"
import { PersistenceError } from "../../platform/Errors.js"
import { RedisClient } from "../../platform/RedisClient.js"
import { bucketOf, make, RateLimiter } from "../RateLimiter.js"
import type { RateLimiterBackend } from "../RateLimiter.js"

// KEYS: bucket, pause. ARGV: tokens per ms, capacity, the most tokens to take. Returns {tokens taken, ms to wait}:
// at least one token and no wait, or none and the wait.
const take = `
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return {0, paused} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate)
  ts = now
end
local taken = 0
local wait = 0
if tokens >= 1 - 1e-9 then
  taken = math.max(1, math.min(tonumber(ARGV[3]), math.floor(tokens + 1e-9)))
  tokens = math.max(0, tokens - taken)
else
  wait = math.max(1, math.ceil((1 - tokens) / rate - 1e-9))
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
return {taken, wait}`

// KEYS: pause. ARGV: ms. Only ever extends a pause.
const pause = `
local left = redis.call('PTTL', KEYS[1])
if left < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1`

const Millis = Schema.Number
const Taken = Schema.Tuple(Schema.Number, Schema.Number)

interface LimiterCommands {
  mirageRateTake(bucket: string, pause: string, perMs: string, capacity: string, most: number): Promise<unknown>
}

const makeRedis = Effect.gen(function*() {
  const { key, redis } = yield* RedisClient
  // By its digest (EVALSHA): the script's text is sent once per connection, not with every take.
  redis.defineCommand("mirageRateTake", { numberOfKeys: 2, lua: take })
  const commands = redis as unknown as LimiterCommands
  const keys = (source: string) => ({ bucket: key(`rl:${source}`, "bucket"), pause: key(`rl:${source}`, "pause") })
  const attempt = <A, I>(operation: string, schema: Schema.Schema<A, I>, run: () => Promise<unknown>) =>
    Effect.tryPromise({ try: run, catch: (cause) => new PersistenceError({ operation, cause }) }).pipe(
      Effect.flatMap(Schema.decodeUnknown(schema)),
      Effect.mapError((cause) =>
        cause._tag === "PersistenceError" ? cause : new PersistenceError({ operation: `${operation}: decode`, cause })
      )
    )
  const backend: RateLimiterBackend = {
    take: (source, limit, most) => {
      const { capacity, perMs } = bucketOf(limit)
      const { bucket, pause } = keys(source)
      return attempt(
        "RateLimiter.take",
        Taken,
        () => commands.mirageRateTake(bucket, pause, String(perMs), String(capacity), Math.max(1, Math.floor(most)))
      ).pipe(Effect.map(([taken, waitMs]) => ({ taken, waitMs })))
    },
    pauseFor: (source, ms) =>
      attempt(
        "RateLimiter.pause",
        Millis,
        () => redis.eval(pause, 1, keys(source).pause, Math.max(1, Math.ceil(ms)))
      ).pipe(Effect.asVoid),
    pausedFor: (source) =>
      attempt("RateLimiter.state", Millis, () => redis.pttl(keys(source).pause)).pipe(
        Effect.map((ms) => Math.max(0, ms))
      )
  }
  return yield* make(backend)
})

export const layer = Layer.effect(RateLimiter, makeRedis)
