/**
 * How a scan's state follows its events: `initial` from the creation event, `evolve` for each later one, `replay` for
 * a log. Pure: the actor, replay from the event store and the simulation share exactly this.
 */
import { HashMap, Option, Order, SortedMap } from "effect"
import type { TaskStatus } from "./CollectionTask.js"
import { entityKey } from "./Entity.js"
import type { TaskId } from "./Ids.js"
import type { ScanStatus } from "./Scan.js"
import { isTerminal } from "./Scan.js"
import { maxSeeds } from "./ScanEvent.js"
import type { ScanCreated, ScanEvent } from "./ScanEvent.js"
import {
  queuedEntry,
  runningTime,
  type ScanState,
  type TaskCounts,
  type TaskEntry,
  type TaskPatch,
  withStatus
} from "./ScanState.js"
import { canonicalEntity } from "./ScanTasks.js"

const zeroCounts: TaskCounts = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 }

const countKey = (status: TaskStatus): keyof TaskCounts => {
  switch (status) {
    case "QUEUED":
      return "queued"
    case "RUNNING":
      return "running"
    case "COMPLETED":
      return "completed"
    case "FAILED":
      return "failed"
    case "CANCELLED":
      return "cancelled"
  }
}

const emptyQueue: SortedMap.SortedMap<number, TaskId> = SortedMap.empty(Order.number)

/** A task leaves QUEUED at most once: nothing puts it back. */
const setTask = (
  state: ScanState,
  task: TaskEntry,
  status: TaskStatus,
  patch?: TaskPatch
) => {
  const from = countKey(task.status)
  const to = countKey(status)
  const counts = { ...state.counts, [from]: state.counts[from] - 1 }
  counts[to] = counts[to] + 1
  return {
    tasks: HashMap.set(state.tasks, task.task_id, withStatus(task, status, patch)),
    queue: task.status === "QUEUED" ? SortedMap.remove(state.queue, task.order) : state.queue,
    counts
  }
}

const stopClock = (state: ScanState, at: number) => ({
  running_ms: runningTime(state, at),
  running_since: null
})

/** Moves to a terminal status: the clock stops and every unfinished task is cancelled. */
const terminate = (state: ScanState, status: ScanStatus, reason: string, at: number): ScanState => {
  let tasks = state.tasks
  let cancelled = state.counts.cancelled
  for (const task of HashMap.values(state.tasks)) {
    if (task.status === "QUEUED" || task.status === "RUNNING") {
      tasks = HashMap.set(tasks, task.task_id, withStatus(task, "CANCELLED"))
      cancelled++
    }
  }
  return {
    ...state,
    ...stopClock(state, at),
    status,
    reason,
    tasks,
    queue: emptyQueue,
    counts: { ...state.counts, queued: 0, running: 0, cancelled },
    completed_at: at,
    progress: status === "COMPLETED" ? 1 : state.progress
  }
}

const withProgress = (state: ScanState): ScanState => {
  if (state.status === "COMPLETED") return { ...state, progress: 1 }
  if (isTerminal(state.status)) return state
  const { cancelled, completed, failed, queued, running } = state.counts
  const done = completed + failed + cancelled
  const total = done + queued + running
  const estimate = total === 0 ? 0 : Math.min(0.99, done / total)
  return estimate > state.progress ? { ...state, progress: estimate } : state
}

const applyEvent = (state: ScanState, event: ScanEvent): ScanState => {
  const at = event.at
  switch (event._tag) {
    case "ScanCreated":
      return state
    case "ScanUpdated":
      return {
        ...state,
        definition: event.definition,
        plan: event.plan,
        header: event.depends_on === undefined ? state.header : { ...state.header, depends_on: event.depends_on }
      }
    case "SeedsAdded": {
      const keys = new Set(state.seeds.map(entityKey))
      const seeds = [...state.seeds]
      for (const entity of event.entities) {
        const key = entityKey(entity)
        if (!keys.has(key) && seeds.length < maxSeeds) {
          keys.add(key)
          seeds.push(entity)
        }
      }
      return { ...state, seeds }
    }
    case "ScanStarted":
      return {
        ...state,
        status: "RUNNING",
        started_at: at,
        running_since: at,
        seen: HashMap.fromIterable(
          [state.definition.target, ...state.seeds].map((entity) => [entityKey(canonicalEntity(entity)), 0] as const)
        )
      }
    case "ScanPaused":
      return { ...state, ...stopClock(state, at), status: "PAUSED" }
    case "ScanResumed":
      return { ...state, status: "RUNNING", running_since: at }
    case "TasksPlanned": {
      let tasks = state.tasks
      let queue = state.queue
      let seen = state.seen
      let order = HashMap.size(state.tasks)
      let queued = state.counts.queued
      for (const planned of event.tasks) {
        if (HashMap.has(tasks, planned.task_id)) continue
        queue = SortedMap.set(queue, order, planned.task_id)
        tasks = HashMap.set(tasks, planned.task_id, queuedEntry(planned, order++))
        seen = HashMap.set(seen, entityKey(planned.entity), planned.depth)
        queued++
      }
      return { ...state, tasks, queue, seen, counts: { ...state.counts, queued } }
    }
    case "TaskStarted":
      return started(state, [event.task_id])
    case "TasksStarted":
      return started(state, event.task_ids)
    case "TaskCompleted": {
      const task = HashMap.get(state.tasks, event.task_id)
      if (Option.isNone(task)) return state
      let seen = state.seen
      for (const entity of event.discovered) {
        const key = entityKey(entity)
        const before = HashMap.get(seen, key)
        if (Option.isNone(before) || before.value > task.value.depth + 1) {
          seen = HashMap.set(seen, key, task.value.depth + 1)
        }
      }
      return {
        ...state,
        ...setTask(state, task.value, "COMPLETED", { result_count: event.result_count }),
        seen,
        result_count: state.result_count + event.result_count
      }
    }
    case "TaskFailed": {
      const task = HashMap.get(state.tasks, event.task_id)
      if (Option.isNone(task)) return state
      return { ...state, ...setTask(state, task.value, "FAILED", { error: event.error }) }
    }
    case "ScanCompleted":
      return terminate(state, "COMPLETED", event.reason, at)
    case "ScanFailed":
      return terminate(state, "FAILED", event.reason, at)
    case "ScanCancelled":
      return terminate(state, "CANCELLED", event.reason, at)
    case "ScanDeleted":
      return { ...state, deleted: true }
  }
}

/** The state a scan starts in, from its creation event. */
export const initial = (event: typeof ScanCreated.Type): ScanState => ({
  id: event.scan_id,
  seq: 1,
  header: event.header,
  definition: event.definition,
  plan: event.plan,
  seeds: [],
  status: "CREATED",
  reason: null,
  deleted: false,
  created_at: event.at,
  updated_at: event.at,
  started_at: null,
  completed_at: null,
  running_ms: 0,
  running_since: null,
  seen: HashMap.empty(),
  tasks: HashMap.empty(),
  queue: emptyQueue,
  counts: zeroCounts,
  result_count: 0,
  progress: 0
})

/** The queued ones of `taskIds` marked running, one after the other. */
const started = (state: ScanState, taskIds: ReadonlyArray<TaskId>): ScanState => {
  let next = state
  for (const taskId of taskIds) {
    const task = HashMap.get(next.tasks, taskId)
    if (Option.isSome(task) && task.value.status === "QUEUED") {
      next = { ...next, ...setTask(next, task.value, "RUNNING") }
    }
  }
  return next
}

/** Applies one event to an existing scan (a second creation event changes nothing). */
export const evolve = (state: ScanState, event: ScanEvent): ScanState =>
  event._tag === "ScanCreated"
    ? state
    : withProgress({ ...applyEvent(state, event), seq: state.seq + 1, updated_at: event.at })

/**
 * Folds a log into a state: from a snapshot, or from the creation event that begins every log.
 * Undefined when there is neither.
 */
export const replay = (events: Iterable<ScanEvent>, from?: ScanState): ScanState | undefined => {
  let state = from
  for (const event of events) {
    state = state === undefined ? (event._tag === "ScanCreated" ? initial(event) : undefined) : evolve(state, event)
  }
  return state
}
