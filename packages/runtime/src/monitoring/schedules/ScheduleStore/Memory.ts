/**
 * Schedules in memory, the twin of ScheduleStore/Postgres for simulations and unit tests: records are fenced by the
 * same fences as the in-memory event store, and at most one is kept per (schedule, due time).
 */
import { Effect, Layer, Option } from "effect"
import { StaleEpoch } from "../../../platform/Errors.js"
import type { EventStoreMemory } from "../../../scans/EventStore/Memory.js"
import { ScheduleStore } from "../ScheduleStore.js"
import type { RunRecord, ScheduleStoreService, StoredSchedule } from "../ScheduleStore.js"

export interface ScheduleStoreMemory {
  readonly schedules: Map<string, StoredSchedule>
  /** By schedule id, then due time. */
  readonly runs: Map<string, Map<number, RunRecord>>
  seq: number
}

export const makeStore = (): ScheduleStoreMemory => ({ schedules: new Map(), runs: new Map(), seq: 0 })

const runsOf = (store: ScheduleStoreMemory, id: string) => {
  let runs = store.runs.get(id)
  if (runs === undefined) {
    runs = new Map()
    store.runs.set(id, runs)
  }
  return runs
}

const byDue = (runs: Iterable<RunRecord>) => Array.from(runs).sort((a, b) => a.due_at - b.due_at)

export const make = (store: ScheduleStoreMemory, events: Pick<EventStoreMemory, "fences">): ScheduleStoreService => {
  const stale = (shard: number, epoch: number) => events.fences.get(shard) !== epoch
  const bump = (stored: Omit<StoredSchedule, "seq">) => {
    store.seq += 1
    store.schedules.set(stored.schedule.id, { ...stored, seq: store.seq })
  }
  return {
    insert: (stored) => Effect.sync(() => bump({ ...stored, deleted: false })),
    replace: (schedule, expectedVersion) =>
      Effect.sync(() => {
        const current = store.schedules.get(schedule.id)
        if (current === undefined || current.deleted || current.schedule.version !== expectedVersion) return false
        bump({ ...current, schedule })
        return true
      }),
    remove: (organizationId, id) =>
      Effect.sync(() => {
        const current = store.schedules.get(id)
        if (current === undefined || current.deleted || current.schedule.organization_id !== organizationId) {
          return false
        }
        bump({ ...current, deleted: true })
        return true
      }),
    get: (organizationId, id) =>
      Effect.sync(() =>
        Option.fromNullable(store.schedules.get(id)).pipe(
          Option.filter((s) => !s.deleted && s.schedule.organization_id === organizationId)
        )
      ),
    list: (organizationId, after, limit) =>
      Effect.sync(() => {
        const all = Array.from(store.schedules.values()).filter((s) =>
          !s.deleted && s.schedule.organization_id === organizationId
        )
        const from = after === null ? 0 : all.findIndex((s) => s.schedule.id === after) + 1
        return all.slice(from, from + limit)
      }),
    ofShards: (shards) =>
      Effect.sync(() => Array.from(store.schedules.values()).filter((s) => !s.deleted && shards.includes(s.shard))),
    changes: (shards, afterSeq) =>
      Effect.sync(() =>
        Array.from(store.schedules.values()).filter((s) => s.seq > afterSeq && shards.includes(s.shard))
          .sort((a, b) => a.seq - b.seq)
      ),
    record: ({ epoch, shard }, run) =>
      Effect.suspend((): Effect.Effect<{ readonly existing: RunRecord | null }, StaleEpoch> => {
        if (stale(shard, epoch)) return Effect.fail(new StaleEpoch({ shard, epoch }))
        const runs = runsOf(store, run.schedule_id)
        const existing = runs.get(run.due_at)
        if (existing !== undefined) return Effect.succeed({ existing })
        runs.set(run.due_at, { ...run, launched: false })
        return Effect.succeed({ existing: null })
      }),
    launched: ({ epoch, shard }, id, dueAt) =>
      Effect.suspend(() => {
        if (stale(shard, epoch)) return Effect.fail(new StaleEpoch({ shard, epoch }))
        const runs = runsOf(store, id)
        const existing = runs.get(dueAt)
        if (existing !== undefined) runs.set(dueAt, { ...existing, launched: true, outcome: "started" })
        return Effect.void
      }),
    progress: (id) =>
      Effect.sync(() => {
        const runs = byDue(runsOf(store, id).values())
        return {
          last: runs.at(-1) ?? null,
          lastStarted: runs.filter((r) => r.outcome === "started").at(-1) ?? null,
          unlaunched: runs.filter((r) => (r.outcome === "started" || r.outcome === "queued") && !r.launched)
        }
      }),
    runs: (id, beforeDue, limit) =>
      Effect.sync(() =>
        byDue(runsOf(store, id).values()).reverse().filter((r) => beforeDue === null || r.due_at < beforeDue)
          .slice(0, limit)
      )
  }
}

export const layer = (store: ScheduleStoreMemory, events: Pick<EventStoreMemory, "fences">) =>
  Layer.succeed(ScheduleStore, make(store, events))
