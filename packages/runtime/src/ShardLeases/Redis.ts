/** Shard leases in Redis: the lease and its epoch counter share a hash tag, so this runs on Redis Cluster too. */
import { Effect, Layer, Option } from "effect"
import { PersistenceError } from "../Errors.js"
import { RedisClient } from "../RedisClient.js"
import { ShardLeases } from "../ShardLeases.js"

const acquire = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local sep = string.find(cur, '|', 1, true)
  if string.sub(cur, 1, sep - 1) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(string.sub(cur, sep + 1))
  end
  return 0
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

export const layer = Layer.effect(
  ShardLeases,
  Effect.gen(function*() {
    const { key, redis } = yield* RedisClient
    const lease = (shard: number) => key(`s${shard}`, "lease")
    const attempt = <A>(operation: string, run: () => Promise<A>) =>
      Effect.tryPromise({ try: run, catch: (cause) => new PersistenceError({ operation, cause }) })
    return ShardLeases.of({
      acquire: (shard, owner, ttlMs, floor) =>
        attempt(
          "acquire lease",
          () => redis.eval(acquire, 2, lease(shard), key(`s${shard}`, "epoch"), owner, ttlMs, floor)
        )
          .pipe(Effect.map((epoch) => (Number(epoch) > 0 ? Option.some(Number(epoch)) : Option.none()))),
      renew: (owner, leases, ttlMs) =>
        Effect.forEach(
          leases,
          ({ epoch, shard }) =>
            attempt("renew lease", () => redis.eval(renew, 1, lease(shard), `${owner}|${epoch}`, ttlMs)).pipe(
              Effect.map((held) => (Number(held) === 1 ? shard : -1))
            ),
          { concurrency: "unbounded" }
        ).pipe(Effect.map((held) => new Set(held.filter((shard) => shard >= 0)))),
      release: (shard, owner, epoch) =>
        attempt("release lease", () => redis.eval(release, 1, lease(shard), `${owner}|${epoch}`)).pipe(Effect.asVoid)
    })
  })
)
