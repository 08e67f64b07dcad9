/**
 * The schedule actors of a node: one per enabled schedule of each shard the node holds, under that shard's epoch.
 * It follows the node's leases (actors of a shard lost or re-taken under another epoch stop) and the schedules'
 * change feed (new, edited, disabled and deleted schedules), restarting any actor that ended.
 */
import { Duration, Effect, Fiber } from "effect"
import type { ShardLease } from "../../cluster/ShardLeases.js"
import * as ScheduleActor from "./ScheduleActor.js"
import type { ScheduleLauncher } from "./ScheduleLauncher.js"
import { ScheduleStore } from "./ScheduleStore.js"
import type { StoredSchedule } from "./ScheduleStore.js"
import { ScheduleConfig } from "./Settings.js"
import type { ScheduleSettings } from "./Settings.js"

interface Running {
  readonly shard: number
  readonly epoch: number
  readonly version: number
  readonly fiber: Fiber.RuntimeFiber<unknown, unknown>
  readonly stored: StoredSchedule
}

/** Changes can commit out of their seq order: each refresh looks this far behind the highest seq it saw. */
const lookback = 200

export const make = (settings: ScheduleSettings, leases: () => ReadonlyArray<ShardLease>) =>
  Effect.gen(function*() {
    const store = yield* ScheduleStore
    const context = yield* Effect.context<ScheduleStore | ScheduleLauncher>()
    const scope = yield* Effect.scope
    const actors = new Map<string, Running>()
    const tenures = new Map<number, number>()
    let cursor = 0

    const start = (stored: StoredSchedule, epoch: number) =>
      Effect.gen(function*() {
        const fiber = yield* ScheduleActor.run(stored, { shard: stored.shard, epoch }, settings).pipe(
          Effect.catchAllCause((cause) => Effect.logWarning("schedule actor ended", cause)),
          Effect.provide(context),
          Effect.forkIn(scope)
        )
        actors.set(stored.schedule.id, {
          shard: stored.shard,
          epoch,
          version: stored.schedule.version,
          fiber,
          stored
        })
      })

    const stop = (id: string) =>
      Effect.suspend(() => {
        const running = actors.get(id)
        if (running === undefined) return Effect.void
        actors.delete(id)
        return Fiber.interrupt(running.fiber)
      })

    const wanted = (stored: StoredSchedule) => !stored.deleted && stored.schedule.enabled

    const refresh = Effect.gen(function*() {
      const current = new Map(leases().map(({ epoch, shard }) => [shard, epoch]))
      for (const [shard, epoch] of tenures) {
        if (current.get(shard) === epoch) continue
        tenures.delete(shard)
        const ending = Array.from(actors).filter(([, running]) => running.shard === shard)
        yield* Effect.forEach(ending, ([id]) => stop(id), { discard: true, concurrency: "unbounded" })
      }
      const taken = Array.from(current).filter(([shard]) => !tenures.has(shard))
      if (taken.length > 0) {
        const schedules = yield* store.ofShards(taken.map(([shard]) => shard))
        for (const [shard, epoch] of taken) tenures.set(shard, epoch)
        for (const stored of schedules) {
          cursor = Math.max(cursor, stored.seq)
          if (wanted(stored)) yield* start(stored, tenures.get(stored.shard)!)
        }
      }
      const changes = yield* store.changes(Array.from(tenures.keys()), Math.max(0, cursor - lookback))
      for (const stored of changes) {
        cursor = Math.max(cursor, stored.seq)
        const running = actors.get(stored.schedule.id)
        const same = running !== undefined && running.version === stored.schedule.version
        if (same && wanted(stored)) continue
        if (running !== undefined) yield* stop(stored.schedule.id)
        const epoch = tenures.get(stored.shard)
        if (epoch !== undefined && wanted(stored)) yield* start(stored, epoch)
      }
      // An actor that ended (its store failing beyond its retries) starts again under the same tenure.
      for (const [id, running] of actors) {
        if (running.fiber.unsafePoll() === null) continue
        actors.delete(id)
        if (tenures.get(running.shard) === running.epoch) yield* start(running.stored, running.epoch)
      }
    }).pipe(Effect.catchAll((error) => Effect.logWarning("schedule refresh failed", error)))

    yield* Effect.forkIn(
      Effect.forever(Effect.zipRight(refresh, Effect.sleep(Duration.millis(settings.refreshMs)))),
      scope
    )
    return {
      refresh,
      /** Schedules whose actors run here now. */
      running: () => actors.size
    }
  })

/** The host with its settings from the environment. */
export const fromConfig = (leases: () => ReadonlyArray<ShardLease>) =>
  Effect.flatMap(ScheduleConfig, (settings) => make(settings, leases))
