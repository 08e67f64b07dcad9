/**
 * The shard leases a node holds: taken in batches under a fence, renewed together with the node's heartbeat on a
 * schedule of their own, and self-fenced — their actors stopped — when a renewal does not come back in time.
 */
import { Clock, Effect, Metric } from "effect"
import type { PersistenceError } from "../../platform/Errors.js"
import * as Metrics from "../../platform/Metrics.js"
import { EventStore } from "../../scans/EventStore.js"
import { Membership } from "../Membership.js"
import type { ShardHost } from "../ShardHost.js"
import { ShardLeases } from "../ShardLeases.js"
import type { ShardLease } from "../ShardLeases.js"

export interface NodeLeases {
  /** Takes a batch of wanted shards: one round trip for the leases, then their fences together. */
  readonly take: (wanted: ReadonlyArray<number>) => Effect.Effect<void, PersistenceError | string>
  /** The node's heartbeat and the renewal of all its leases; a lease not renewed is lost. */
  readonly renewal: Effect.Effect<void>
  /** Stops the actors of the leases not renewed in time, before they can expire in the store and move. */
  readonly watchdog: Effect.Effect<void>
  /** Stops the actors of each lease still held under its epoch, and gives the lease back if `release`. */
  readonly lose: (lost: ReadonlyArray<ShardLease>, release: boolean) => Effect.Effect<void>
  /**
   * Leaves the cluster for good: no heartbeat after it, while the leases still held (of shards draining their tasks)
   * go on being renewed. A heartbeat would make the node a member again, and the others would leave its shards alone
   * until that heartbeat expired (a SIGTERM handoff waited the member TTL).
   */
  readonly leave: Effect.Effect<void, PersistenceError>
}

/** What the leases need of the node's settings. */
export interface LeaseSettings {
  readonly nodeId: string
  readonly leaseTtlMs: number
  readonly memberTtlMs: number
  readonly roundMs: number
}

export const makeNodeLeases = (
  settings: LeaseSettings,
  host: ShardHost
): Effect.Effect<NodeLeases, never, Membership | ShardLeases | EventStore> =>
  Effect.gen(function*() {
    const membership = yield* Membership
    const leases = yield* ShardLeases
    const store = yield* EventStore
    const me = settings.nodeId
    // The fence each shard must be taken above: the lease store's epoch fell behind the event store's.
    const floors = new Map<number, number>()
    // Local clock time by which each held lease must have been renewed again, or its actors stop (self-fencing): a
    // margin before the lease can expire in the store, counted from before the call that took or renewed it.
    const deadlines = new Map<number, number>()
    const fenceMarginMs = Math.max(settings.roundMs, Math.floor(settings.leaseTtlMs / 4))
    // A heartbeat and the leave never interleave, so one in flight cannot land after the leave and undo it.
    const membershipLock = yield* Effect.makeSemaphore(1)
    let left = false
    const heartbeat = membershipLock.withPermits(1)(
      Effect.suspend(() => left ? Effect.void : membership.heartbeat(me, settings.memberTtlMs))
    )
    const leave = membershipLock.withPermits(1)(
      Effect.suspend(() => {
        left = true
        return membership.leave(me)
      })
    )
    const holds = (lease: ShardLease) => host.epochOf(lease.shard) === lease.epoch
    const extend = (lease: ShardLease, at: number) => {
      if (holds(lease)) deadlines.set(lease.shard, at + settings.leaseTtlMs - fenceMarginMs)
    }

    const lose = (lost: ReadonlyArray<ShardLease>, release: boolean) =>
      Effect.forEach(lost, (lease) =>
        Effect.gen(function*() {
          if (!(yield* host.lose(lease))) return
          deadlines.delete(lease.shard)
          if (release) yield* leases.release(lease.shard, me, lease.epoch).pipe(Effect.ignore)
        }), { discard: true })

    /**
     * One round trip each, on their own schedule: nothing the ownership round does (acquisitions, fences, claims) can
     * make them late.
     */
    const renewal = Effect.gen(function*() {
      const at = yield* Clock.currentTimeMillis
      const current = host.epochs()
      const [, kept] = yield* Effect.all([
        heartbeat.pipe(
          Effect.catchAll((error) => Effect.logWarning("heartbeat failed", error))
        ),
        current.length === 0 ? Effect.succeed(new Set<number>()) : leases.renew(me, current, settings.leaseTtlMs)
      ], { concurrency: "unbounded" }).pipe(
        // A call that does not come back within a lease's time is of no use: the next renewal goes out instead.
        Effect.timeoutFail({ duration: settings.leaseTtlMs, onTimeout: () => "renewal timed out" })
      )
      yield* Metric.incrementBy(Metrics.leaseRenewals, kept.size)
      for (const lease of current) if (kept.has(lease.shard)) extend(lease, at)
      yield* lose(current.filter((lease) => !kept.has(lease.shard)), false)
    }).pipe(Effect.catchAll((error) => Effect.logWarning("lease renewal failed", error)))

    const watchdog = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      // From the deadlines, not the held leases: this runs twice a round, and nothing is due most of the time.
      const overdue: Array<ShardLease> = []
      for (const [shard, deadline] of deadlines) {
        const epoch = deadline <= now ? host.epochOf(shard) : undefined
        if (epoch !== undefined) overdue.push({ shard, epoch })
      }
      if (overdue.length === 0) return
      yield* Effect.logWarning("leases not renewed in time: their actors stop").pipe(
        Effect.annotateLogs({ shards: overdue.length })
      )
      yield* Metric.incrementBy(Metrics.leasesSelfFenced, overdue.length)
      yield* lose(overdue, false)
    })

    /** A shard whose fence is already higher (the lease store lost its counter) is given back and taken above it next time. */
    const take = (wanted: ReadonlyArray<number>) =>
      Effect.gen(function*() {
        const at = yield* Clock.currentTimeMillis
        const taken = yield* leases.acquire(
          me,
          settings.leaseTtlMs,
          wanted.map((shard) => ({ shard, floor: floors.get(shard) ?? 0 }))
        ).pipe(
          // Leases a lost answer gave this node expire unused; a later round takes them again under new epochs.
          Effect.timeoutFail({ duration: settings.leaseTtlMs, onTimeout: () => "lease acquisition timed out" })
        )
        yield* Effect.forEach(taken, ([shard, epoch]) =>
          Effect.gen(function*() {
            const fenced = yield* store.fence(shard, epoch)
            if (fenced !== epoch) {
              floors.set(shard, fenced)
              return yield* leases.release(shard, me, epoch).pipe(Effect.ignore)
            }
            yield* host.acquire(shard, epoch)
            extend({ shard, epoch }, at)
            yield* Metric.increment(Metrics.tagged(Metrics.takeovers, { from: epoch === 1 ? "none" : "node" }))
            yield* Effect.logDebug("shard acquired").pipe(Effect.annotateLogs({ shard, epoch }))
          }).pipe(
            // Not taken this time; the lease, still ours in the store, is taken again by a later round.
            Effect.catchAll((error) => Effect.logWarning("shard fence failed", error))
          ), { concurrency: "unbounded", discard: true })
      })

    return { take, renewal, watchdog, lose, leave }
  })
