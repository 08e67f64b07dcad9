/**
 * Task slots in Redis: one sorted set per organization (`<prefix>:{quota:<org>}:tasks`), members
 * the holders, scores their lease expiry. Acquire is one Lua script: drop expired leases, then add
 * the holder if there is room.
 */
import type { OrganizationId } from "@mirage/domain/Ids"
import { Clock, Duration, Effect, Layer, Schedule } from "effect"
import { attempt } from "../../platform/Errors.js"
import { RedisClient } from "../../platform/RedisClient.js"
import { ScanQuotas } from "../../scans/Quotas.js"
import type { QuotaLimits } from "../../scans/Quotas.js"
import { TaskSlots, TaskSlotsConfig } from "../TaskSlots.js"

const acquireScript = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  return 1
end
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0`

/** How long a cached organization limit is used before it is read again. */
const limitCacheMs = 10_000

export const make = (options: { readonly leaseMs: number; readonly pollMs: number }) =>
  Effect.gen(function*() {
    const { key, redis } = yield* RedisClient
    const quotas = yield* ScanQuotas
    const slotsKey = (organizationId: string) => key(`quota:${organizationId}`, "tasks")
    const cache = new Map<string, { readonly at: number; readonly limits: QuotaLimits }>()

    const limitOf = (organizationId: OrganizationId) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const cached = cache.get(organizationId)
        if (cached !== undefined && now - cached.at < limitCacheMs) return cached.limits.max_concurrent_tasks
        const limits = yield* quotas.limits(organizationId)
        cache.set(organizationId, { at: now, limits })
        return limits.max_concurrent_tasks
      })

    const tryAcquire = (organizationId: OrganizationId, holder: string, max: number) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        attempt("acquire task slot", () =>
          redis.eval(
            acquireScript,
            1,
            slotsKey(organizationId),
            now,
            now + options.leaseMs,
            holder,
            max,
            options.leaseMs * 4
          )).pipe(Effect.map((taken) => taken === 1)))

    const renew = (organizationId: OrganizationId, holder: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        attempt("renew task slot", () =>
          redis.zadd(slotsKey(organizationId), "XX", now + options.leaseMs, holder)))
        .pipe(Effect.asVoid)

    const release = (organizationId: OrganizationId, holder: string) =>
      attempt("release task slot", () =>
        redis.zrem(slotsKey(organizationId), holder)).pipe(Effect.asVoid)

    const held = (organizationId: OrganizationId) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        attempt("count task slots", () =>
          redis.zcount(slotsKey(organizationId), `(${now}`, "+inf")))

    const acquire = (organizationId: OrganizationId, holder: string) =>
      Effect.gen(function*() {
        const max = yield* limitOf(organizationId)
        return yield* tryAcquire(organizationId, holder, max)
      }).pipe(
        // A store failure is not a reason to hold the task forever: it is retried like a full quota.
        Effect.orElseSucceed(() =>
          false
        ),
        Effect.repeat({ schedule: Schedule.spaced(Duration.millis(options.pollMs)), until: (taken) => taken })
      )

    return TaskSlots.of({
      tryAcquire,
      renew,
      release,
      held,
      withSlot: (organizationId, holder, task) =>
        // Waiting for a slot stays interruptible (a pause or a shutdown must not hang on a full quota).
        Effect.uninterruptibleMask((restore) => {
          const giveBack = release(organizationId, holder).pipe(Effect.ignore)
          const renewing = renew(organizationId, holder).pipe(
            Effect.ignore,
            Effect.repeat(Schedule.spaced(Duration.millis(Math.max(1, Math.floor(options.leaseMs / 3)))))
          )
          return restore(acquire(organizationId, holder)).pipe(
            Effect.onInterrupt(() => giveBack),
            Effect.zipRight(
              restore(Effect.scoped(Effect.zipRight(Effect.forkScoped(renewing), task))).pipe(Effect.ensuring(giveBack))
            )
          )
        })
    })
  })

export const layer = Layer.effect(TaskSlots, Effect.flatMap(TaskSlotsConfig, make))
export const layerWith = (options: { readonly leaseMs: number; readonly pollMs: number }) =>
  Layer.effect(TaskSlots, make(options))
