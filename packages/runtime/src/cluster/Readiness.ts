/**
 * Readiness: whether the stores a process needs answer a ping within a timeout, and how many of the
 * cluster's shards a live node holds. `/ready` of the gateway and of every node is built from these
 * checks and answers 503 (a problem) when one fails.
 */
import { Duration, Effect } from "effect"
import { MongoDatabase } from "../platform/MongoDatabase.js"
import { PgClient } from "../platform/PgClient.js"
import { RedisClient } from "../platform/RedisClient.js"
import { membersKey } from "./Membership/Redis.js"
import { leaseKey } from "./ShardLeases/Redis.js"

export interface Check {
  readonly name: string
  readonly ok: boolean
  readonly detail: string | null
}

const message = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** Runs a ping; a failure or no answer within `timeoutMs` is a failed check. */
export const check = (name: string, ping: () => Promise<unknown>, timeoutMs: number): Effect.Effect<Check> =>
  Effect.tryPromise({ try: ping, catch: message }).pipe(
    Effect.timeoutFail({ duration: Duration.millis(timeoutMs), onTimeout: () => `no answer within ${timeoutMs} ms` }),
    Effect.match({
      onSuccess: (): Check => ({ name, ok: true, detail: null }),
      onFailure: (detail): Check => ({ name, ok: false, detail })
    })
  )

/** Postgres, Redis and MongoDB pinged at once. */
export const stores = (
  timeoutMs: number
): Effect.Effect<ReadonlyArray<Check>, never, PgClient | RedisClient | MongoDatabase> =>
  Effect.gen(function*() {
    const sql = yield* PgClient
    const redis = yield* RedisClient
    const mongo = yield* MongoDatabase
    return yield* Effect.all([
      check("postgres", () => sql`select 1`, timeoutMs),
      check("redis", () => redis.redis.ping(), timeoutMs),
      check("mongodb", () => mongo.command({ ping: 1 }), timeoutMs)
    ], { concurrency: "unbounded" })
  })

/** The cluster as Redis has it: the live nodes, and the shards whose lease no live node holds. */
export interface Coverage {
  readonly nodes: ReadonlyArray<string>
  readonly shards: number
  readonly unowned: ReadonlyArray<number>
}

/** Members whose heartbeat has not expired, on the Redis server's clock (read-only: expiry is the nodes' to do). */
const liveMembers = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')`

/**
 * Reads the membership set (Membership/Redis) and every shard's lease, `owner|epoch` (ShardLeases/Redis), in one
 * round trip (the client pipelines them); a shard is owned when its lease holder is a live member.
 */
export const coverage = (shards: number, timeoutMs: number): Effect.Effect<Coverage, string, RedisClient> =>
  Effect.flatMap(RedisClient, ({ key, redis }) =>
    Effect.tryPromise({
      try: () =>
        Promise.all([
          redis.eval(liveMembers, 1, membersKey(key)) as Promise<Array<string>>,
          Promise.all(Array.from({ length: shards }, (_, shard) => redis.get(leaseKey(key, shard))))
        ]),
      catch: message
    }).pipe(
      Effect.timeoutFail({ duration: Duration.millis(timeoutMs), onTimeout: () => `no answer within ${timeoutMs} ms` }),
      Effect.map(([members, leases]): Coverage => {
        const live = new Set(members)
        const held = (lease: string | null) => lease !== null && live.has(lease.slice(0, lease.indexOf("|")))
        return {
          nodes: [...members].sort(),
          shards,
          unowned: leases.flatMap((lease, shard) => held(lease) ? [] : [shard])
        }
      })
    ))

/** What is wrong with the coverage, or null when every shard has a live owner. */
export const coverageProblem = ({ shards, unowned }: Coverage): string | null =>
  unowned.length === 0
    ? null
    : unowned.length === shards
    ? `no live node owns any of the ${shards} shards: commands wait until one does`
    : `${unowned.length} of ${shards} shards have no live owner`

/**
 * Whether commands can be applied: some live node owns a shard. Shards without an owner only delay their commands
 * (a node takes them over within a lease's time to live), so they are reported, not failed.
 */
export const shardsCheck = (shards: number, timeoutMs: number): Effect.Effect<Check, never, RedisClient> =>
  Effect.match(coverage(shards, timeoutMs), {
    onFailure: (detail): Check => ({ name: "shards", ok: false, detail: `shard leases unreadable: ${detail}` }),
    onSuccess: (read): Check => ({ name: "shards", ok: read.unowned.length < shards, detail: coverageProblem(read) })
  })

/** The body of a `/ready` answer: `ready` when every check passed, otherwise an RFC 7807 problem listing them. */
export const answer = (checks: ReadonlyArray<Check>) => {
  const failed = checks.filter((c) => !c.ok)
  return failed.length === 0
    ? { status: 200, contentType: "application/json", body: { status: "ready", checks } }
    : {
      status: 503,
      contentType: "application/problem+json",
      body: {
        type: "/problems/not-ready",
        title: "Not ready",
        status: 503,
        detail: failed.map((c) => `${c.name}: ${c.detail ?? "failed"}`).join("; "),
        checks
      }
    }
}
