/**
 * The scan state machine: `decide(state, command, now)` says which events a command causes or
 * why it is refused; `evolve(state, event)` applies one event. Pure, so the actor, replay and
 * the simulation all share exactly this logic.
 */
import { Either, HashMap, Option, Order, SortedMap } from "effect"
import type { TaskStatus } from "./CollectionTask.js"
import { entityKey, normalizeEntity } from "./Entity.js"
import type { Entity } from "./Entity.js"
import type { TaskId } from "./Ids.js"
import { taskIdFor } from "./Ids.js"
import type { ScanStatus } from "./Scan.js"
import { isTerminal, overrideConfiguration, ScanDefinition } from "./Scan.js"
import { maxSeeds } from "./ScanEvent.js"
import type { PlannedModule, PlannedTask, ScanCommand, ScanCreated, ScanEvent } from "./ScanEvent.js"
import {
  IllegalTransition,
  InvalidUpdate,
  PreconditionFailed,
  type Rejection,
  ScanAlreadyExists,
  ScanNotFound,
  UnknownTask
} from "./ScanRejections.js"
import { inScope } from "./ScanScope.js"
import { deadline, runningTime, type ScanState, type TaskCounts, type TaskEntry } from "./ScanState.js"

export * from "./ScanRejections.js"
export * from "./ScanSnapshot.js"
export * from "./ScanState.js"

/** The command's If-Match against the scan's log position, when it carries one. */
const precondition = (state: ScanState, command: ScanCommand): Option.Option<PreconditionFailed> =>
  "expected_seq" in command && command.expected_seq !== undefined && command.expected_seq !== state.seq
    ? Option.some(new PreconditionFailed({ expected: command.expected_seq, current: state.seq }))
    : Option.none()

/** The definition with the update's fields merged in, or why they cannot apply to the scan as it is. */
const patched = (
  state: ScanState,
  command: Extract<ScanCommand, { readonly _tag: "UpdateScan" }>
): Either.Either<ScanDefinition, InvalidUpdate> => {
  const current = state.definition
  const target = command.target === undefined ? current.target : canonicalEntity(command.target)
  const moved = entityKey(target) !== entityKey(canonicalEntity(current.target))
  if (state.status !== "CREATED" && moved) {
    return Either.left(
      new InvalidUpdate({ field: "target", reason: "the target of a scan that has started cannot change" })
    )
  }
  if (command.depends_on !== undefined && state.status !== "CREATED") {
    return Either.left(
      new InvalidUpdate({ field: "depends_on", reason: "only a scan that has not started can change its dependencies" })
    )
  }
  return Either.right(ScanDefinition.make({
    name: command.name ?? current.name,
    description: command.description ?? current.description,
    target,
    modules: command.modules ?? current.modules,
    configuration: overrideConfiguration(current.configuration, command.configuration)
  }))
}

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

const isQuiescent = (state: ScanState): boolean => state.counts.queued === 0 && state.counts.running === 0

/**
 * The canonical form of an entity, so that "WWW.Example.COM." and "www.example.com" are one entity of
 * the scan (a value that is not of its type is kept as it is).
 */
export const canonicalEntity = (entity: Entity): Entity => Either.getOrElse(normalizeEntity(entity), () => entity)

/** The tasks that process one entity: every module of the plan that takes its type. */
export const planTasks = (
  scanId: string,
  plan: ReadonlyArray<PlannedModule>,
  entity: Entity,
  depth: number
): Array<PlannedTask> => {
  const canonical = canonicalEntity(entity)
  return plan
    .filter((m) => m.input_types.includes(canonical.type))
    .map((m) => ({
      task_id: taskIdFor(scanId, entityKey(canonical), m.id),
      module_id: m.id,
      entity: canonical,
      depth
    }))
}

/** A task leaves QUEUED at most once: nothing puts it back. */
const setTask = (state: ScanState, task: TaskEntry, status: TaskStatus, patch: Partial<TaskEntry> = {}) => {
  const from = countKey(task.status)
  const to = countKey(status)
  const counts = { ...state.counts, [from]: state.counts[from] - 1 }
  counts[to] = counts[to] + 1
  return {
    tasks: HashMap.set(state.tasks, task.task_id, { ...task, ...patch, status }),
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
      tasks = HashMap.set(tasks, task.task_id, { ...task, status: "CANCELLED" })
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
        tasks = HashMap.set(tasks, planned.task_id, {
          ...planned,
          status: "QUEUED",
          order: order++,
          result_count: 0,
          error: null
        })
        seen = HashMap.set(seen, entityKey(planned.entity), planned.depth)
        queued++
      }
      return { ...state, tasks, queue, seen, counts: { ...state.counts, queued } }
    }
    case "TaskStarted": {
      const task = HashMap.get(state.tasks, event.task_id)
      if (Option.isNone(task) || task.value.status !== "QUEUED") return state
      return { ...state, ...setTask(state, task.value, "RUNNING") }
    }
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

const reject = (command: string, status: ScanStatus) => Either.left(new IllegalTransition({ command, status }))

/** Follows `events` with the completion a scan has reached once they apply, if any. */
const closeIfDone = (state: ScanState, events: Array<ScanEvent>, at: number): Array<ScanEvent> => {
  const after = events.reduce(evolve, state)
  if (isTerminal(after.status)) return events
  if (after.result_count >= after.definition.configuration.max_results) {
    return [...events, { _tag: "ScanCompleted", at, reason: "max_results" }]
  }
  if (after.status === "RUNNING" && isQuiescent(after)) {
    if (after.counts.failed > 0 && after.counts.completed === 0) {
      return [...events, { _tag: "ScanFailed", at, reason: "every task failed" }]
    }
    return [...events, { _tag: "ScanCompleted", at, reason: "quiescent" }]
  }
  return events
}

/** The events a command causes in a scan's current state, or why it is refused. */
export const decide = (
  state: ScanState | undefined,
  command: ScanCommand,
  now: number
): Either.Either<Array<ScanEvent>, Rejection> => {
  const at = now
  if (command._tag === "CreateScan") {
    if (state !== undefined) return Either.left(new ScanAlreadyExists({ scan_id: command.scan_id }))
    return Either.right([{
      _tag: "ScanCreated",
      at,
      scan_id: command.scan_id,
      header: command.header,
      definition: command.definition,
      plan: command.plan
    }])
  }
  if (state === undefined || state.deleted) return Either.left(new ScanNotFound({ scan_id: state?.id ?? "" }))
  const status = state.status
  const stale = precondition(state, command)
  if (Option.isSome(stale)) return Either.left(stale.value)
  switch (command._tag) {
    case "UpdateScan": {
      if (status !== "CREATED" && status !== "PAUSED") return reject("update", status)
      return Either.map(patched(state, command), (definition) => [{
        _tag: "ScanUpdated" as const,
        at,
        definition,
        plan: command.plan ?? state.plan,
        ...(command.depends_on === undefined ? {} : { depends_on: command.depends_on }),
        ...(command.webhook_change === undefined ? {} : { webhook_change: command.webhook_change })
      }])
    }
    case "AddSeeds": {
      if (status !== "CREATED") return reject("add targets to", status)
      const known = new Set([state.definition.target, ...state.seeds].map((e) => entityKey(canonicalEntity(e))))
      const entities: Array<Entity> = []
      for (const found of command.entities) {
        const entity = canonicalEntity(found)
        const key = entityKey(entity)
        if (known.has(key) || state.seeds.length + entities.length >= maxSeeds) continue
        known.add(key)
        entities.push(entity)
      }
      return Either.right(entities.length === 0 ? [] : [{ _tag: "SeedsAdded", at, entities }])
    }
    case "StartScan": {
      if (status !== "CREATED") return reject("start", status)
      const byId = new Map<string, PlannedTask>()
      // A blacklisted target or seed is not processed either: the blacklist wins over everything.
      for (const entity of [state.definition.target, ...state.seeds]) {
        if (!inScope(state.definition.configuration.scope, entity)) continue
        for (const task of planTasks(state.id, state.plan, entity, 0)) {
          if (!byId.has(task.task_id)) byId.set(task.task_id, task)
        }
      }
      const tasks = Array.from(byId.values())
      return Either.right(closeIfDone(state, [
        { _tag: "ScanStarted", at },
        ...(tasks.length > 0 ? [{ _tag: "TasksPlanned" as const, at, tasks }] : [])
      ], at))
    }
    case "PauseScan":
      if (status !== "RUNNING") return reject("pause", status)
      return Either.right([{ _tag: "ScanPaused", at }])
    case "ResumeScan":
      if (status !== "PAUSED") return reject("resume", status)
      return Either.right(closeIfDone(state, [{ _tag: "ScanResumed", at }], at))
    case "StopScan":
      if (isTerminal(status)) return reject("stop", status)
      return Either.right([{ _tag: "ScanCancelled", at, reason: "stopped by user" }])
    case "DeleteScan":
      return Either.right([
        ...(isTerminal(status) ? [] : [{ _tag: "ScanCancelled" as const, at, reason: "deleted by user" }]),
        { _tag: "ScanDeleted", at }
      ])
    case "FailScan":
      if (isTerminal(status)) return reject("fail", status)
      return Either.right([{ _tag: "ScanFailed", at, reason: command.reason }])
    case "Tick": {
      const ends = deadline(state)
      if (status !== "RUNNING" || ends === null || now < ends) return Either.right([])
      return Either.right([{ _tag: "ScanCompleted", at, reason: "max_duration" }])
    }
    case "MarkTaskStarted": {
      const task = HashMap.get(state.tasks, command.task_id)
      if (Option.isNone(task)) return Either.left(new UnknownTask({ task_id: command.task_id }))
      if (status !== "RUNNING" || task.value.status !== "QUEUED") return Either.right([])
      return Either.right([{ _tag: "TaskStarted", at, task_id: command.task_id }])
    }
    case "TaskSucceeded": {
      const task = HashMap.get(state.tasks, command.task_id)
      if (Option.isNone(task)) return Either.left(new UnknownTask({ task_id: command.task_id }))
      if (isTerminal(status) || task.value.status !== "RUNNING") return Either.right([])
      const depth = task.value.depth + 1
      const limit = state.definition.configuration.recursion_depth
      const discovered: Array<Entity> = []
      const fresh = new Set<string>()
      for (const found of command.entities) {
        const entity = canonicalEntity(found)
        const key = entityKey(entity)
        if (fresh.has(key)) continue
        const seenAt = HashMap.get(state.seen, key)
        // Seen only beyond the recursion depth, an entity was never processed: found within it, it is new.
        if (Option.isSome(seenAt) && !(seenAt.value > limit && depth <= limit)) continue
        fresh.add(key)
        discovered.push(entity)
      }
      // What the series knew before a new-entities-only scan is recorded, not expanded.
      const known = new Set(command.known ?? [])
      const planned = depth <= limit
        ? discovered.filter((entity) =>
          inScope(state.definition.configuration.scope, entity) && !known.has(entityKey(entity))
        )
          .flatMap((entity) => planTasks(state.id, state.plan, entity, depth))
          .filter((task) => !HashMap.has(state.tasks, task.task_id))
        : []
      const remaining = state.definition.configuration.max_results - state.result_count
      return Either.right(closeIfDone(state, [
        {
          _tag: "TaskCompleted",
          at,
          task_id: command.task_id,
          result_count: Math.max(0, Math.min(command.result_count, remaining)),
          discovered
        },
        ...(planned.length > 0 ? [{ _tag: "TasksPlanned" as const, at, tasks: planned }] : [])
      ], at))
    }
    case "TaskErrored": {
      const task = HashMap.get(state.tasks, command.task_id)
      if (Option.isNone(task)) return Either.left(new UnknownTask({ task_id: command.task_id }))
      if (isTerminal(status) || task.value.status !== "RUNNING") return Either.right([])
      return Either.right(closeIfDone(state, [
        { _tag: "TaskFailed", at, task_id: command.task_id, error: command.error }
      ], at))
    }
  }
}
