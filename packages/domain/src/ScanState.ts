/** A scan's state as the state machine keeps it, and what can be read from it without changing it. */
import { DateTime, HashMap, SortedMap } from "effect"
import type { TaskStatus } from "./CollectionTask.js"
import type { Entity, EntityType } from "./Entity.js"
import type { ModuleId, ScanId, TaskId } from "./Ids.js"
import { isTerminal, Scan } from "./Scan.js"
import type { ScanDefinition, ScanStatus } from "./Scan.js"
import type { PlannedModule, PlannedTask, ScanHeader } from "./ScanEvent.js"

export interface TaskEntry {
  readonly task_id: TaskId
  readonly module_id: ModuleId
  readonly entity: Entity
  readonly depth: number
  readonly status: TaskStatus
  /** Planning order: the dispatch queue is rebuilt from it on replay. */
  readonly order: number
  readonly result_count: number
  readonly error: string | null
}

export interface TaskCounts {
  readonly queued: number
  readonly running: number
  readonly completed: number
  readonly failed: number
  readonly cancelled: number
}

export interface ScanState {
  readonly id: ScanId
  readonly seq: number
  readonly header: ScanHeader
  readonly definition: ScanDefinition
  readonly plan: ReadonlyArray<PlannedModule>
  /** Extra targets (chaining), processed at depth 0 like the target. */
  readonly seeds: ReadonlyArray<Entity>
  readonly status: ScanStatus
  readonly reason: string | null
  readonly deleted: boolean
  readonly created_at: number
  readonly updated_at: number
  readonly started_at: number | null
  readonly completed_at: number | null
  /** Running time before the current running stretch, in ms. */
  readonly running_ms: number
  /** When the current running stretch began, null unless RUNNING. */
  readonly running_since: number | null
  /** Entities seen by this scan (entity key → depth). */
  readonly seen: HashMap.HashMap<string, number>
  readonly tasks: HashMap.HashMap<TaskId, TaskEntry>
  /** The QUEUED tasks by planning order, so that dispatch takes the first few without looking at the rest. */
  readonly queue: SortedMap.SortedMap<number, TaskId>
  readonly counts: TaskCounts
  readonly result_count: number
  readonly progress: number
}

/**
 * A planned task as it enters the state: QUEUED at its planning order. Its fields are written out rather than spread
 * from the planned task (an object of another shape), which V8 copies several times slower: every task of every
 * scan is made here and copied by `withStatus` twice more.
 */
export const queuedEntry = (planned: PlannedTask, order: number): TaskEntry => ({
  task_id: planned.task_id,
  module_id: planned.module_id,
  entity: planned.entity,
  depth: planned.depth,
  status: "QUEUED",
  order,
  result_count: 0,
  error: null
})

/** What a change of a task's status may bring besides the status: its result count, its error. */
export interface TaskPatch {
  readonly result_count?: number
  readonly error?: string
}

/** The task in another status, with its result count or error when the change brings one. */
export const withStatus = (task: TaskEntry, status: TaskStatus, patch: TaskPatch = {}): TaskEntry => ({
  task_id: task.task_id,
  module_id: task.module_id,
  entity: task.entity,
  depth: task.depth,
  status,
  order: task.order,
  result_count: patch.result_count === undefined ? task.result_count : patch.result_count,
  error: patch.error === undefined ? task.error : patch.error
})

/** Running time in ms at `now`: paused time does not count. */
export const runningTime = (state: ScanState, now: number): number =>
  state.running_ms + (state.running_since === null ? 0 : Math.max(0, now - state.running_since))

/** When max_duration expires if the scan keeps running, or null when it is not running. */
export const deadline = (state: ScanState): number | null =>
  state.running_since === null
    ? null
    : state.running_since + state.definition.configuration.max_duration * 1000 - state.running_ms

/** The first `limit` tasks waiting to be dispatched, in planning order: O(limit + log n), whatever the scan's size. */
export const queuedTasks = (state: ScanState, limit = Infinity): Array<TaskEntry> => {
  const next: Array<TaskEntry> = []
  if (limit <= 0) return next
  for (const taskId of SortedMap.values(state.queue)) {
    next.push(HashMap.unsafeGet(state.tasks, taskId))
    if (next.length >= limit) break
  }
  return next
}

/** Tasks started but not finished: on recovery these run again. */
export const runningTasks = (state: ScanState): Array<TaskEntry> =>
  Array.from(HashMap.values(state.tasks)).filter((t) => t.status === "RUNNING").sort((a, b) => a.order - b.order)

/** The queued tasks a running scan starts now: as many as `concurrency` leaves room for beside those running. */
export const dueTasks = (state: ScanState, concurrency: number): Array<TaskEntry> =>
  state.status === "RUNNING" ? queuedTasks(state, concurrency - state.counts.running) : []

/**
 * Whether going from `before` to `after` took the scan out of play: it reached a terminal status or was deleted. Its
 * organization's quota slot is then free and the scans that depend on it can go on.
 */
export const hasEnded = (before: ScanState, after: ScanState): boolean =>
  (!isTerminal(before.status) && isTerminal(after.status)) || (!before.deleted && after.deleted)

/** How the wire Scan looks for a state. */
export const toScan = (state: ScanState): Scan =>
  Scan.make(
    {
      id: state.id,
      name: state.definition.name,
      description: state.definition.description,
      user_id: state.header.user_id,
      organization_id: state.header.organization_id,
      status: state.status,
      progress: state.progress,
      target: state.definition.target,
      modules: state.definition.modules,
      created_at: DateTime.unsafeMake(state.created_at),
      updated_at: DateTime.unsafeMake(state.updated_at),
      started_at: state.started_at === null ? null : DateTime.unsafeMake(state.started_at),
      completed_at: state.completed_at === null ? null : DateTime.unsafeMake(state.completed_at),
      configuration: state.definition.configuration,
      result_count: state.result_count,
      // The correlation findings are results outside the state machine: the read model counts them.
      correlation_count: 0,
      status_reason: state.reason,
      template_id: state.header.template_id,
      depends_on: state.header.depends_on
    },
    // The state holds only what its events decoded to: the constructor need not check it again.
    true
  )

/** Types the scan can still produce: for the planner's report and the dry run. */
export const outputTypes = (state: ScanState): ReadonlySet<EntityType> =>
  new Set(state.plan.flatMap((m) => m.output_types))
