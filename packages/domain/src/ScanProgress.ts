/**
 * Live progress of a scan: the events `GET /scans/{id}/events` sends (Server-Sent Events), built
 * from the scan's state by the node and published on Redis, so any gateway can forward them.
 */
import { DateTime, HashMap, Schema } from "effect"
import type { TaskStatus } from "./CollectionTask.js"
import { ModuleId, ScanId } from "./Ids.js"
import { isTerminal, ScanStatus } from "./Scan.js"
import type { ScanState } from "./ScanMachine.js"

export const ProgressCounts = Schema.Struct({
  queued: Schema.Int,
  running: Schema.Int,
  completed: Schema.Int,
  failed: Schema.Int,
  cancelled: Schema.Int
})
export type ProgressCounts = typeof ProgressCounts.Type

/** One module's tasks by state, the results they found, and why its latest failed task failed. */
export const ModuleProgress = Schema.Struct({
  module_id: ModuleId,
  ...ProgressCounts.fields,
  result_count: Schema.Int,
  /** The error of the module's last-planned failed task in this scan; null when none failed (absent from old nodes). */
  last_error: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })
})
export type ModuleProgress = typeof ModuleProgress.Type

/**
 * `snapshot`: the first event, the scan as the gateway knows it; `status`: the status changed;
 * `progress`: tasks or results moved; `deleted`: the scan is gone. The stream ends after a
 * terminal status (or a deletion).
 */
export const ProgressEventType = Schema.Literal("snapshot", "status", "progress", "deleted")
export type ProgressEventType = typeof ProgressEventType.Type

export class ScanProgressEvent extends Schema.Class<ScanProgressEvent>("ScanProgressEvent")({
  type: ProgressEventType,
  scan_id: ScanId,
  status: ScanStatus,
  reason: Schema.NullOr(Schema.String),
  progress: Schema.Number,
  result_count: Schema.Int,
  tasks: ProgressCounts,
  /** Per module; empty in a snapshot taken from the read model. */
  modules: Schema.Array(ModuleProgress),
  /** Seq of the scan's log; null in a snapshot taken from the read model. */
  seq: Schema.NullOr(Schema.Int),
  at: Schema.DateTimeUtc
}) {}

/** Whether no event can follow this one. */
export const isFinal = (event: ScanProgressEvent): boolean => event.type === "deleted" || isTerminal(event.status)

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const zero = (): Mutable<ProgressCounts> => ({
  queued: 0,
  running: 0,
  completed: 0,
  failed: 0,
  cancelled: 0
})

const countOf: Record<TaskStatus, keyof ProgressCounts> = {
  QUEUED: "queued",
  RUNNING: "running",
  COMPLETED: "completed",
  FAILED: "failed",
  CANCELLED: "cancelled"
}

const sameCounts = (a: ProgressCounts, b: ProgressCounts): boolean =>
  a.queued === b.queued && a.running === b.running && a.completed === b.completed && a.failed === b.failed &&
  a.cancelled === b.cancelled

/** Each module's tasks and results, in the order of the scan's plan (then first seen). */
export const moduleProgress = (state: ScanState): Array<ModuleProgress> => {
  type Entry = Mutable<ProgressCounts> & { result_count: number; last_error: string | null; failedOrder: number }
  const fresh = (): Entry => ({ ...zero(), result_count: 0, last_error: null, failedOrder: -1 })
  const byModule = new Map<ModuleId, Entry>()
  for (const planned of state.plan) byModule.set(planned.id, fresh())
  for (const task of HashMap.values(state.tasks)) {
    const entry = byModule.get(task.module_id) ?? fresh()
    entry[countOf[task.status]] += 1
    entry.result_count += task.result_count
    if (task.status === "FAILED" && task.error !== null && task.order > entry.failedOrder) {
      entry.last_error = task.error
      entry.failedOrder = task.order
    }
    byModule.set(task.module_id, entry)
  }
  return Array.from(byModule, ([module_id, { failedOrder: _, ...counts }]) => ({ module_id, ...counts }))
}

/**
 * The event a persisted change deserves: a status change or deletion, else progress when tasks or
 * results moved; undefined when nothing a watcher sees changed.
 */
export const progressEvent = (before: ScanState, after: ScanState): ScanProgressEvent | undefined => {
  const type: ProgressEventType | undefined = !before.deleted && after.deleted
    ? "deleted"
    : before.status !== after.status
    ? "status"
    : before.result_count !== after.result_count || before.progress !== after.progress ||
        !sameCounts(before.counts, after.counts)
    ? "progress"
    : undefined
  if (type === undefined) return undefined
  return ScanProgressEvent.make({
    type,
    scan_id: after.id,
    status: after.status,
    reason: after.reason,
    progress: after.progress,
    result_count: after.result_count,
    tasks: { ...after.counts },
    modules: moduleProgress(after),
    seq: after.seq,
    at: DateTime.unsafeMake(after.updated_at)
  })
}
