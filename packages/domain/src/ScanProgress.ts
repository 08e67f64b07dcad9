/**
 * Live progress of a scan: the events `GET /scans/{id}/events` sends (Server-Sent Events), built
 * from the scan's state by the node and published on Redis, so any gateway can forward them.
 */
import { DateTime, HashMap, Option, Schema } from "effect"
import type { TaskStatus } from "./CollectionTask.js"
import { ModuleId, ScanId } from "./Ids.js"
import type { TaskId } from "./Ids.js"
import { isTerminal, ScanStatus } from "./Scan.js"
import type { ScanEvent } from "./ScanEvent.js"
import type { ScanState, TaskEntry } from "./ScanMachine.js"

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

type Entry = Mutable<ProgressCounts> & { result_count: number; last_error: string | null; failedOrder: number }

/** Each module's tasks and results as of the state at `seq`, kept so that the next batch's change can be added to it. */
export interface ModuleTally {
  readonly seq: number
  readonly modules: Map<ModuleId, Entry>
}

const fresh = (): Entry => ({ ...zero(), result_count: 0, last_error: null, failedOrder: -1 })

const count = (modules: Map<ModuleId, Entry>, task: TaskEntry, sign: 1 | -1) => {
  let entry = modules.get(task.module_id)
  if (entry === undefined) modules.set(task.module_id, entry = fresh())
  entry[countOf[task.status]] += sign
  entry.result_count += sign * task.result_count
  if (sign === 1 && task.status === "FAILED" && task.error !== null && task.order > entry.failedOrder) {
    entry.last_error = task.error
    entry.failedOrder = task.order
  }
}

/** Every task of the state counted: in the order of the scan's plan, then of first sight. */
export const tallyModules = (state: ScanState): ModuleTally => {
  const modules = new Map<ModuleId, Entry>()
  for (const planned of state.plan) modules.set(planned.id, fresh())
  for (const task of HashMap.values(state.tasks)) count(modules, task, 1)
  return { seq: state.seq, modules }
}

/** The tasks a batch's events changed, when those are all it changed (other events may change tasks they do not name). */
const namedTasks = (events: ReadonlyArray<ScanEvent>): Set<TaskId> | undefined => {
  const ids = new Set<TaskId>()
  for (const event of events) {
    switch (event._tag) {
      case "TaskStarted":
      case "TaskCompleted":
      case "TaskFailed":
        ids.add(event.task_id)
        break
      case "TasksStarted":
        for (const id of event.task_ids) ids.add(id)
        break
      case "TasksPlanned":
        for (const task of event.tasks) ids.add(task.task_id)
        break
      default:
        return undefined
    }
  }
  return ids
}

/**
 * The tally of `after`, from the tally of `before` and the events between them: only the tasks they name are counted
 * again (every batch of a running scan), rather than every task of the scan. Anything else (another event, a tally of
 * another state, a failed task counted again, which could hold the module's last error) counts them all.
 */
export const advanceTally = (
  tally: ModuleTally | undefined,
  before: ScanState,
  after: ScanState,
  events: ReadonlyArray<ScanEvent>
): ModuleTally => {
  const named = tally === undefined || tally.seq !== before.seq ? undefined : namedTasks(events)
  if (tally === undefined || named === undefined) return tallyModules(after)
  // A failed task may hold its module's last error, which a count taken back cannot restore. The machine never moves
  // a task out of FAILED by these events; the guard keeps the tally right should it ever.
  for (const id of named) {
    const was = HashMap.get(before.tasks, id)
    if (Option.isSome(was) && was.value.status === "FAILED") return tallyModules(after)
  }
  for (const id of named) {
    const was = HashMap.get(before.tasks, id)
    if (Option.isSome(was)) count(tally.modules, was.value, -1)
    const is = HashMap.get(after.tasks, id)
    if (Option.isSome(is)) count(tally.modules, is.value, 1)
  }
  return { seq: after.seq, modules: tally.modules }
}

/** A tally as the event's per-module progress. */
export const tallyProgress = (tally: ModuleTally): Array<ModuleProgress> =>
  Array.from(tally.modules, ([module_id, { failedOrder: _, ...counts }]) => ({ module_id, ...counts }))

/** Each module's tasks and results, in the order of the scan's plan (then first seen). */
export const moduleProgress = (state: ScanState): Array<ModuleProgress> => tallyProgress(tallyModules(state))

/**
 * The event a persisted change deserves: a status change or deletion, else progress when tasks or
 * results moved; undefined when nothing a watcher sees changed.
 */
export const progressEvent = (
  before: ScanState,
  after: ScanState,
  modules: () => Array<ModuleProgress> = () => moduleProgress(after)
): ScanProgressEvent | undefined => {
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
    modules: modules(),
    seq: after.seq,
    at: DateTime.unsafeMake(after.updated_at)
  })
}
