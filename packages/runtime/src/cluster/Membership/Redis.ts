/** Membership in a Redis sorted set scored by expiry, on the Redis server's clock (no skew between nodes). */
import { Deferred, Effect, Exit, FiberId, Layer } from "effect"
import { PersistenceError } from "../../platform/Errors.js"
import { RedisClient } from "../../platform/RedisClient.js"
import type { RedisConnection } from "../../platform/RedisClient.js"
import { Membership } from "../Membership.js"

const beat = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return now`

const live = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)`

/** The sorted set of live members (node → expiry); read by the readiness check too. */
export const membersKey = (key: RedisConnection["key"]) => key("cluster", "members")

export const layer = Layer.scoped(
  Membership,
  Effect.gen(function*() {
    const { duplicate, key, redis } = yield* RedisClient
    const members = membersKey(key)
    const channel = key("cluster", "changes")
    const attempt = <A>(operation: string, run: () => Promise<A>) =>
      Effect.tryPromise({ try: run, catch: (cause) => new PersistenceError({ operation, cause }) })
    // Waiters for the next announcement; a message from any node wakes them all.
    let waiters: Array<Deferred.Deferred<void>> = []
    const wake = () => {
      const woken = waiters
      waiters = []
      for (const waiter of woken) Deferred.unsafeDone(waiter, Exit.void)
    }
    const subscriber = yield* duplicate
    yield* attempt("subscribe to membership changes", () => subscriber.subscribe(channel)).pipe(Effect.orDie)
    subscriber.on("message", wake)
    const announce = attempt("announce", () => redis.publish(channel, "changed")).pipe(Effect.asVoid)
    return Membership.of({
      heartbeat: (node, ttlMs) =>
        attempt("heartbeat", () => redis.eval(beat, 1, members, node, ttlMs)).pipe(Effect.asVoid),
      members: attempt("members", () => redis.eval(live, 1, members) as Promise<Array<string>>).pipe(
        Effect.map((list) => [...list].sort())
      ),
      leave: (node) => attempt("leave", () => redis.zrem(members, node)).pipe(Effect.zipRight(announce)),
      announce,
      changed: Effect.suspend(() => {
        const waiter = Deferred.unsafeMake<void>(FiberId.none)
        waiters.push(waiter)
        return Deferred.await(waiter)
      })
    })
  })
)
