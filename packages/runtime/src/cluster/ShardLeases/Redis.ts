/**
 * Shard leases in Redis: the lease and its epoch counter share a hash tag, so this runs on Redis Cluster too. Each
 * batch of acquisitions or renewals goes out as one pipeline of scripts: one round trip however many shards.
 */
import { Effect, Layer } from "effect"
import type { ChainableCommander } from "ioredis"
import { PersistenceError } from "../../platform/Errors.js"
import { RedisClient } from "../../platform/RedisClient.js"
import type { RedisConnection } from "../../platform/RedisClient.js"
import { ShardLeases } from "../ShardLeases.js"

const acquire = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local sep = string.find(cur, '|', 1, true)
  if string.sub(cur, 1, sep - 1) ~= ARGV[1] then
    return 0
  end
end
local e = redis.call('INCR', KEYS[2])
if e <= tonumber(ARGV[3]) then
  e = tonumber(ARGV[3]) + 1
  redis.call('SET', KEYS[2], e)
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. e, 'PX', ARGV[2])
return e`

const renew = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`

const release = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`

/** Where a shard's lease (`owner|epoch`) lives; read by the readiness check too. */
export const leaseKey = (key: RedisConnection["key"], shard: number) => key(`s${shard}`, "lease")

/** The scripts as commands (sent by hash, the script only when Redis does not know it yet). */
interface LeaseCommands {
  mirageLeaseAcquire(lease: string, epoch: string, owner: string, ttlMs: number, floor: number): ChainableCommander
  mirageLeaseRenew(lease: string, holder: string, ttlMs: number): ChainableCommander
}

export const layer = Layer.effect(
  ShardLeases,
  Effect.gen(function*() {
    const { key, redis } = yield* RedisClient
    redis.defineCommand("mirageLeaseAcquire", { numberOfKeys: 2, lua: acquire })
    redis.defineCommand("mirageLeaseRenew", { numberOfKeys: 1, lua: renew })
    const lease = (shard: number) => leaseKey(key, shard)
    const attempt = <A>(operation: string, run: () => Promise<A>) =>
      Effect.tryPromise({ try: run, catch: (cause) => new PersistenceError({ operation, cause }) })

    /** Runs one script per item in a single pipeline; any failed item fails the batch. */
    const batch = <T>(
      operation: string,
      items: ReadonlyArray<T>,
      queue: (pipeline: ChainableCommander & LeaseCommands, item: T) => void
    ) =>
      items.length === 0 ? Effect.succeed([]) : attempt(operation, async () => {
        const pipeline = redis.pipeline() as ChainableCommander & LeaseCommands
        for (const item of items) queue(pipeline, item)
        const replies = (await pipeline.exec()) ?? []
        return replies.map(([error, reply]) => {
          if (error !== null) throw error
          return Number(reply)
        })
      })

    return ShardLeases.of({
      acquire: (owner, ttlMs, wanted) =>
        batch(
          "acquire leases",
          wanted,
          (pipeline, { floor, shard }) =>
            pipeline.mirageLeaseAcquire(lease(shard), key(`s${shard}`, "epoch"), owner, ttlMs, floor)
        ).pipe(
          Effect.map((epochs) =>
            new Map(wanted.flatMap(({ shard }, i) => (epochs[i]! > 0 ? [[shard, epochs[i]!] as const] : [])))
          )
        ),
      renew: (owner, leases, ttlMs) =>
        batch(
          "renew leases",
          leases,
          (pipeline, { epoch, shard }) => pipeline.mirageLeaseRenew(lease(shard), `${owner}|${epoch}`, ttlMs)
        ).pipe(
          Effect.map((held) => new Set(leases.flatMap(({ shard }, i) => (held[i] === 1 ? [shard] : []))))
        ),
      release: (shard, owner, epoch) =>
        attempt("release lease", () => redis.eval(release, 1, lease(shard), `${owner}|${epoch}`)).pipe(Effect.asVoid)
    })
  })
)
