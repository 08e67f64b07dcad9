/**
 * The scan state machine: `decide(state, command, now)` says which events a command causes or
 * why it is refused; `evolve(state, event)` (in ScanEvolve) applies one event. Pure, so the actor, replay and
 * the simulation all share exactly this logic.
 */
import { Either, HashMap, Option } from "effect"
import { entityKey } from "./Entity.js"
import type { Entity } from "./Entity.js"
import type { ScanStatus } from "./Scan.js"
import { isTerminal, overrideConfiguration, ScanDefinition } from "./Scan.js"
import { maxSeeds } from "./ScanEvent.js"
import type { PlannedTask, ScanCommand, ScanEvent } from "./ScanEvent.js"
import { evolve } from "./ScanEvolve.js"
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
import { deadline, type ScanState } from "./ScanState.js"
import { canonicalEntity, planTasks, taskCompletion, tasksStarted } from "./ScanTasks.js"

export * from "./ScanEvolve.js"
export * from "./ScanRejections.js"
export * from "./ScanSnapshot.js"
export * from "./ScanState.js"
export * from "./ScanTasks.js"

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

const isQuiescent = (state: ScanState): boolean => state.counts.queued === 0 && state.counts.running === 0

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

/**
 * A running task's success: the entities it found that the scan has not processed (within the recursion depth),
 * the tasks they plan where in scope, and its result count within `max_results`.
 */
const succeeded = (
  state: ScanState,
  command: Extract<ScanCommand, { readonly _tag: "TaskSucceeded" }>,
  at: number
): Either.Either<Array<ScanEvent>, Rejection> => {
  const task = HashMap.get(state.tasks, command.task_id)
  if (Option.isNone(task)) return Either.left(new UnknownTask({ task_id: command.task_id }))
  if (isTerminal(state.status) || task.value.status !== "RUNNING") return Either.right([])
  return Either.right(closeIfDone(state, taskCompletion(state, task.value, command, at), at))
}

/**
 * A created scan's start, before the completion it may bring (a scan with nothing in scope to run ends at once): it
 * starts, and plans the plan's modules on its target and seeds at depth 0.
 */
export const startEvents = (state: ScanState, at: number): Array<ScanEvent> => {
  const byId = new Map<string, PlannedTask>()
  // A blacklisted target or seed is not processed either: the blacklist wins over everything.
  for (const entity of [state.definition.target, ...state.seeds]) {
    if (!inScope(state.definition.configuration.scope, entity)) continue
    for (const task of planTasks(state.id, state.plan, entity, 0)) {
      if (!byId.has(task.task_id)) byId.set(task.task_id, task)
    }
  }
  const tasks = Array.from(byId.values())
  return [{ _tag: "ScanStarted", at }, ...(tasks.length > 0 ? [{ _tag: "TasksPlanned" as const, at, tasks }] : [])]
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
    case "StartScan":
      if (status !== "CREATED") return reject("start", status)
      return Either.right(closeIfDone(state, startEvents(state, at), at))
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
    case "MarkTasksStarted":
      return tasksStarted(state, command, at)
    case "TaskSucceeded":
      return succeeded(state, command, at)
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
