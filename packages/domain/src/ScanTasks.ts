/**
 * A scan's tasks for an entity: the entity in its canonical form, and one task per module of the plan that takes its
 * type, with an id derived from the scan, the entity and the module (so planning the same entity twice plans nothing
 * new).
 */
import { Either, HashMap, Option } from "effect"
import { entityKey, normalizeEntity } from "./Entity.js"
import type { Entity } from "./Entity.js"
import { taskIdFor } from "./Ids.js"
import type { TaskId } from "./Ids.js"
import type { MarkTasksStarted, PlannedModule, PlannedTask, ScanCommand, ScanEvent } from "./ScanEvent.js"
import { UnknownTask } from "./ScanRejections.js"
import { inScope } from "./ScanScope.js"
import type { ScanState, TaskEntry } from "./ScanState.js"

/**
 * What `MarkTasksStarted` decides: one `TasksStarted` of the queued ones among its tasks, each once, in order (none
 * when the scan is not running or none is queued); the first task the scan does not have refuses it. `decide` and
 * the scan draft share it.
 */
export const tasksStarted = (
  state: ScanState,
  command: typeof MarkTasksStarted.Type,
  at: number
): Either.Either<Array<ScanEvent>, UnknownTask> => {
  const started = new Set<TaskId>()
  for (const taskId of command.task_ids) {
    const task = HashMap.get(state.tasks, taskId)
    if (Option.isNone(task)) return Either.left(new UnknownTask({ task_id: taskId }))
    if (task.value.status === "QUEUED") started.add(taskId)
  }
  const [first, ...rest] = started
  if (state.status !== "RUNNING" || first === undefined) return Either.right([])
  return Either.right([{ _tag: "TasksStarted", at, task_ids: [first, ...rest] }])
}

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

/**
 * The events of a running task's success, before any completion of the scan they bring: its result count within
 * `max_results`, the entities it found that the scan has not processed, and the tasks they plan — within the
 * recursion depth, in scope, not known to the series already, not planned before. `decide` and the scan draft share it.
 */
export const taskCompletion = (
  state: ScanState,
  task: TaskEntry,
  command: Extract<ScanCommand, { readonly _tag: "TaskSucceeded" }>,
  at: number
): Array<ScanEvent> => {
  const depth = task.depth + 1
  const configuration = state.definition.configuration
  const limit = configuration.recursion_depth
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
  const planned: Array<PlannedTask> = []
  if (depth <= limit) {
    // What the series knew before a new-entities-only scan is recorded, not expanded.
    const known = command.known === undefined ? undefined : new Set(command.known)
    for (const entity of discovered) {
      if (!inScope(configuration.scope, entity) || known?.has(entityKey(entity)) === true) continue
      for (const next of planTasks(state.id, state.plan, entity, depth)) {
        if (!HashMap.has(state.tasks, next.task_id)) planned.push(next)
      }
    }
  }
  const remaining = configuration.max_results - state.result_count
  const events: Array<ScanEvent> = [{
    _tag: "TaskCompleted",
    at,
    task_id: command.task_id,
    result_count: Math.max(0, Math.min(command.result_count, remaining)),
    discovered
  }]
  if (planned.length > 0) events.push({ _tag: "TasksPlanned", at, tasks: planned })
  return events
}
