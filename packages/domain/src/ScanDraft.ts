/**
 * A scan's state changed in place while an actor handles one batch: `decideInto` gives the events `decide` gives and
 * leaves the draft where folding them with `evolve` would. The frequent commands of a running scan (a task started,
 * succeeded or failed) and a scan's start (its task plan) are applied without copying the state per event; every other
 * command, and every event that ends the scan, goes through `decide` and `evolve` themselves, which stay the definition
 * (a property test compares both).
 */
import { Either, HashMap, Option, SortedMap } from "effect"
import { entityKey } from "./Entity.js"
import type { TaskId } from "./Ids.js"
import { isTerminal } from "./Scan.js"
import type { ScanCommand, ScanEvent } from "./ScanEvent.js"
import { decide, evolve, startEvents, taskCompletion } from "./ScanMachine.js"
import type { Rejection, ScanState, TaskCounts, TaskEntry } from "./ScanMachine.js"
import { queuedEntry, withStatus } from "./ScanState.js"
import type { TaskPatch } from "./ScanState.js"
import { tasksStarted } from "./ScanTasks.js"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** A batch's working copy of a scan: readable as a `ScanState` at any time, frozen with `freeze`. */
export interface ScanDraft {
  /** The draft as a state, to read (its maps may still change): not to keep past the next change. */
  readonly current: ScanState
  /** The draft as a state no later change touches; the draft goes on from it. */
  readonly freeze: () => ScanState
}

interface Working {
  state: Omit<Mutable<ScanState>, "counts"> & { counts: Mutable<TaskCounts> }
  /** Whether `state` may be changed in place (its maps are under mutation and nothing outside holds it). */
  open: boolean
}

/**
 * The state's copy a batch changes, its maps under mutation. Written field by field: a spread of the state (an object
 * the machine made elsewhere) costs V8 several times more, once per batch of every scan; the type makes every field
 * be named.
 */
const open = (from: ScanState): Working["state"] => ({
  id: from.id,
  seq: from.seq,
  header: from.header,
  definition: from.definition,
  plan: from.plan,
  seeds: from.seeds,
  status: from.status,
  reason: from.reason,
  deleted: from.deleted,
  created_at: from.created_at,
  updated_at: from.updated_at,
  started_at: from.started_at,
  completed_at: from.completed_at,
  running_ms: from.running_ms,
  running_since: from.running_since,
  seen: HashMap.beginMutation(from.seen),
  tasks: HashMap.beginMutation(from.tasks),
  queue: from.queue,
  counts: {
    queued: from.counts.queued,
    running: from.counts.running,
    completed: from.counts.completed,
    failed: from.counts.failed,
    cancelled: from.counts.cancelled
  },
  result_count: from.result_count,
  progress: from.progress
})

const close = (working: Working): ScanState => {
  if (working.open) {
    working.state.tasks = HashMap.endMutation(working.state.tasks)
    working.state.seen = HashMap.endMutation(working.state.seen)
    working.open = false
  }
  return working.state
}

/** A draft starting from `state`, which it never changes. */
export const makeDraft = (state: ScanState): ScanDraft & { readonly working: Working } => {
  const working: Working = { state: state as Working["state"], open: false }
  return {
    working,
    get current() {
      return working.state
    },
    freeze: () => close(working)
  }
}

const writable = (working: Working): Working["state"] => {
  if (!working.open) {
    working.state = open(working.state)
    working.open = true
  }
  return working.state
}

const countKey = {
  QUEUED: "queued",
  RUNNING: "running",
  COMPLETED: "completed",
  FAILED: "failed",
  CANCELLED: "cancelled"
} as const

/** `setTask` of the machine, in place. */
const setTask = (
  s: Working["state"],
  task: TaskEntry,
  status: TaskEntry["status"],
  patch?: TaskPatch
) => {
  s.counts[countKey[task.status]]--
  s.counts[countKey[status]]++
  s.tasks = HashMap.set(s.tasks, task.task_id, withStatus(task, status, patch))
  if (task.status === "QUEUED") s.queue = SortedMap.remove(s.queue, task.order)
}

/** `evolve`'s bookkeeping after every event: position, time, progress (never called for a terminal status). */
const advance = (s: Working["state"], at: number) => {
  s.seq = s.seq + 1
  s.updated_at = at
  const { cancelled, completed, failed, queued, running } = s.counts
  const done = completed + failed + cancelled
  const total = done + queued + running
  const estimate = total === 0 ? 0 : Math.min(0.99, done / total)
  if (estimate > s.progress) s.progress = estimate
}

/** Applies an event as `evolve` does: in place for the task events of a running scan, through `evolve` otherwise. */
const applyInto = (working: Working, event: ScanEvent): void => {
  const before = working.state
  if (isTerminal(before.status)) {
    working.state = evolve(close(working), event) as Working["state"]
    return
  }
  switch (event._tag) {
    case "TaskStarted":
    case "TasksStarted": {
      const s = writable(working)
      for (const taskId of event._tag === "TaskStarted" ? [event.task_id] : event.task_ids) {
        const task = HashMap.get(s.tasks, taskId)
        if (Option.isSome(task) && task.value.status === "QUEUED") setTask(s, task.value, "RUNNING")
      }
      return advance(s, event.at)
    }
    case "TaskCompleted": {
      const s = writable(working)
      const task = HashMap.get(s.tasks, event.task_id)
      if (Option.isSome(task)) {
        const depth = task.value.depth + 1
        for (const entity of event.discovered) {
          const key = entityKey(entity)
          const seen = HashMap.get(s.seen, key)
          if (Option.isNone(seen) || seen.value > depth) s.seen = HashMap.set(s.seen, key, depth)
        }
        setTask(s, task.value, "COMPLETED", { result_count: event.result_count })
        s.result_count = s.result_count + event.result_count
      }
      return advance(s, event.at)
    }
    case "TaskFailed": {
      const s = writable(working)
      const task = HashMap.get(s.tasks, event.task_id)
      if (Option.isSome(task)) setTask(s, task.value, "FAILED", { error: event.error })
      return advance(s, event.at)
    }
    case "TasksPlanned": {
      const s = writable(working)
      let order = HashMap.size(s.tasks)
      for (const planned of event.tasks) {
        if (HashMap.has(s.tasks, planned.task_id)) continue
        s.queue = SortedMap.set(s.queue, order, planned.task_id)
        s.tasks = HashMap.set(s.tasks, planned.task_id, queuedEntry(planned, order++))
        s.seen = HashMap.set(s.seen, entityKey(planned.entity), planned.depth)
        s.counts.queued++
      }
      return advance(s, event.at)
    }
    default:
      working.state = evolve(close(working), event) as Working["state"]
  }
}

/** The completion a scan has reached after its events, as `decide` appends it. */
const closing = (state: ScanState, at: number): ScanEvent | undefined => {
  if (isTerminal(state.status)) return undefined
  if (state.result_count >= state.definition.configuration.max_results) {
    return { _tag: "ScanCompleted", at, reason: "max_results" }
  }
  if (state.status === "RUNNING" && state.counts.queued === 0 && state.counts.running === 0) {
    return state.counts.failed > 0 && state.counts.completed === 0
      ? { _tag: "ScanFailed", at, reason: "every task failed" }
      : { _tag: "ScanCompleted", at, reason: "quiescent" }
  }
  return undefined
}

/** Applies events, then the completion they bring, if any (pushed onto `events`). */
const settle = (working: Working, events: Array<ScanEvent>, at: number): Array<ScanEvent> => {
  for (const event of events) applyInto(working, event)
  const end = closing(working.state, at)
  if (end !== undefined) {
    events.push(end)
    applyInto(working, end)
  }
  return events
}

/** The task a hot command is about, when the command takes the fast path: a live scan that knows the task. */
const hotTask = (state: ScanState, taskId: TaskId): TaskEntry | undefined =>
  state.deleted ? undefined : Option.getOrUndefined(HashMap.get(state.tasks, taskId))

/**
 * What `decide(draft.current, command, now)` says, with its events applied to the draft as `evolve` would apply them.
 * A refused command leaves the draft as it was.
 */
export const decideInto = (
  draft: ScanDraft,
  command: ScanCommand,
  now: number
): Either.Either<Array<ScanEvent>, Rejection> => {
  const working = (draft as ReturnType<typeof makeDraft>).working
  const state = working.state
  switch (command._tag) {
    case "StartScan": {
      // The start's task plan applied in place, rather than the whole state copied per event twice over.
      if (state.deleted || state.status !== "CREATED") break
      return Either.right(settle(working, startEvents(state, now), now))
    }
    case "MarkTasksStarted": {
      if (state.deleted) break
      const decided = tasksStarted(state, command, now)
      if (Either.isRight(decided)) { for (const event of decided.right) applyInto(working, event) }
      return decided
    }
    case "TaskSucceeded": {
      const task = hotTask(state, command.task_id)
      if (task === undefined) break
      if (isTerminal(state.status) || task.status !== "RUNNING") return Either.right([])
      return Either.right(settle(working, taskCompletion(state, task, command, now), now))
    }
    case "TaskErrored": {
      const task = hotTask(state, command.task_id)
      if (task === undefined) break
      if (isTerminal(state.status) || task.status !== "RUNNING") return Either.right([])
      return Either.right(
        settle(working, [{ _tag: "TaskFailed", at: now, task_id: command.task_id, error: command.error }], now)
      )
    }
  }
  const frozen = close(working)
  const decided = decide(frozen, command, now)
  if (Either.isRight(decided)) working.state = decided.right.reduce(evolve, frozen) as Working["state"]
  return decided
}
