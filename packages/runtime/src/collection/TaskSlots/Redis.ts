/**
 * Task slots in Redis: one sorted set per organization (`<prefix>:{quota:<org>}:tasks`), members
 * the holders, scores their lease expiry. Acquire is one Lua script: drop expired leases, then add
 * the holder if there is room.
 */
import type { OrganizationId } from "@mirage/domain/Ids"
import { Clock, Deferred, Duration, Effect, Exit, FiberId, Layer } from "effect"
import type { Scope } from "effect"
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

interface SlotCommands {
  mirageSlotAcquire(
    slots: string,
    now: number,
    expiry: number,
    holder: string,
    max: number,
    keyTtlMs: number
  ): Promise<unknown>
}

/**
 * The slots this process's tasks hold, by organization, renewed together by one fiber every third of a lease (one ZADD
 * per organization) rather than by a fiber of each task. The fiber runs while slots are held, in `scope`, and is
 * started by the task that takes the first one, on that task's clock.
 */
const makeHolding = (
  renew: (organizationId: OrganizationId, holders: ReadonlySet<string>, now: number) => Effect.Effect<void>,
  leaseMs: number,
  scope: Scope.Scope
) => {
  const holding = new Map<OrganizationId, Set<string>>()
  let renewing = false
  const renewAll = Effect.flatMap(
    Clock.currentTimeMillis,
    (now) =>
      Effect.forEach(Array.from(holding), ([organizationId, holders]) => renew(organizationId, holders, now), {
        discard: true
      })
  )
  const renewer: Effect.Effect<void> = Effect.sleep(Duration.millis(Math.max(1, Math.floor(leaseMs / 3)))).pipe(
    Effect.zipRight(Effect.suspend(() => {
      if (holding.size > 0) return Effect.zipRight(renewAll, renewer)
      // In the same step as the check: a slot taken from now on starts a renewer of its own.
      renewing = false
      return Effect.void
    }))
  )
  return {
    hold: (organizationId: OrganizationId, holder: string) =>
      Effect.suspend(() => {
        let holders = holding.get(organizationId)
        if (holders === undefined) holding.set(organizationId, holders = new Set())
        holders.add(holder)
        if (renewing) return Effect.void
        renewing = true
        // Interruptible although started inside `withSlot`'s mask: closing the service's scope stops it.
        const loop = Effect.interruptible(renewer).pipe(Effect.ensuring(Effect.sync(() => {
          renewing = false
        })))
        return Effect.asVoid(Effect.forkIn(loop, scope))
      }),
    drop: (organizationId: OrganizationId, holder: string) => {
      const holders = holding.get(organizationId)
      if (holders !== undefined && holders.delete(holder) && holders.size === 0) holding.delete(organizationId)
    }
  }
}

/**
 * Waiters of each organization on this process, woken when one of its tasks here gives a slot back: a slot freed on
 * this node is taken at once rather than at the waiters' next poll (tasks that end within milliseconds would otherwise
 * leave the quota's slots empty most of the time). Slots freed on other nodes are found by polling.
 */
const freedSignals = () => {
  const freed = new Map<OrganizationId, Deferred.Deferred<void>>()
  return {
    signal: (organizationId: OrganizationId) => {
      let signal = freed.get(organizationId)
      if (signal === undefined) freed.set(organizationId, signal = Deferred.unsafeMake<void>(FiberId.none))
      return signal
    },
    wake: (organizationId: OrganizationId) =>
      Effect.sync(() => {
        const signal = freed.get(organizationId)
        if (signal === undefined) return
        freed.delete(organizationId)
        Deferred.unsafeDone(signal, Exit.void)
      })
  }
}

export const make = (options: { readonly leaseMs: number; readonly pollMs: number }) =>
  Effect.gen(function*() {
    const { key, redis } = yield* RedisClient
    const quotas = yield* ScanQuotas
    // By its digest (EVALSHA): the script's text is sent once per connection, not with every task.
    redis.defineCommand("mirageSlotAcquire", { numberOfKeys: 1, lua: acquireScript })
    const commands = redis as unknown as SlotCommands
    const slotsKey = (organizationId: string) => key(`quota:${organizationId}`, "tasks")
    const cache = new Map<string, { readonly at: number; readonly limits: QuotaLimits }>()
    const scope = yield* Effect.scope

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
          commands.mirageSlotAcquire(
            slotsKey(organizationId),
            now,
            now + options.leaseMs,
            holder,
            max,
            options.leaseMs * 4
          )).pipe(Effect.map((taken) => taken === 1)))

    /** Extends the leases of slots still held (XX: a slot that expired meanwhile is not taken again). */
    const extend = (organizationId: OrganizationId, holders: Iterable<string>, now: number) =>
      attempt("renew task slots", () =>
        redis.zadd(
          slotsKey(organizationId),
          "XX",
          ...Array.from(holders, (holder) => [now + options.leaseMs, holder] as const).flat()
        ))

    const renew = (organizationId: OrganizationId, holder: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => extend(organizationId, [holder], now)).pipe(Effect.asVoid)

    const release = (organizationId: OrganizationId, holder: string) =>
      attempt("release task slot", () => redis.zrem(slotsKey(organizationId), holder)).pipe(Effect.asVoid)

    const held = (organizationId: OrganizationId) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        attempt("count task slots", () => redis.zcount(slotsKey(organizationId), `(${now}`, "+inf")))

    const once = (organizationId: OrganizationId, holder: string) =>
      Effect.flatMap(limitOf(organizationId), (max) =>
        tryAcquire(organizationId, holder, max)).pipe(
          // A store failure is not a reason to hold the task forever: it is retried like a full quota.
          Effect.orElseSucceed(() => false)
        )

    const { signal: freedSignal, wake: wakeWaiters } = freedSignals()
    const poll = Effect.sleep(Duration.millis(options.pollMs))

    // The signal is taken before the try, so a slot given back between a refused try and the wait is not missed.
    const acquire = (organizationId: OrganizationId, holder: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        const signal = freedSignal(organizationId)
        return Effect.flatMap(once(organizationId, holder), (taken) =>
          taken
            ? Effect.void
            : Effect.zipRight(Effect.race(poll, Deferred.await(signal)), acquire(organizationId, holder)))
      })

    const holding = makeHolding(
      (organizationId, holders, now) => Effect.ignore(extend(organizationId, holders, now)),
      options.leaseMs,
      scope
    )
    const letGo = (organizationId: OrganizationId, holder: string) =>
      Effect.suspend(() => {
        holding.drop(organizationId, holder)
        return Effect.zipRight(release(organizationId, holder), wakeWaiters(organizationId))
      }).pipe(Effect.ignore)

    return TaskSlots.of({
      tryAcquire,
      renew,
      release,
      held,
      withSlot: (organizationId, holder, task) =>
        // Waiting for a slot stays interruptible (a pause or a shutdown must not hang on a full quota).
        Effect.uninterruptibleMask((restore) =>
          restore(acquire(organizationId, holder)).pipe(
            Effect.onInterrupt(() => letGo(organizationId, holder)),
            Effect.zipRight(holding.hold(organizationId, holder)),
            Effect.zipRight(restore(task).pipe(Effect.ensuring(letGo(organizationId, holder))))
          )
        )
    })
  })

export const layer = Layer.scoped(TaskSlots, Effect.flatMap(TaskSlotsConfig, make))
export const layerWith = (options: { readonly leaseMs: number; readonly pollMs: number }) =>
  Layer.scoped(TaskSlots, make(options))
