/**
 * A scan's tasks for an entity: the entity in its canonical form, and one task per module of the plan that takes its
 * type, with an id derived from the scan, the entity and the module (so planning the same entity twice plans nothing
 * new).
 */
import { Either } from "effect"
import { entityKey, normalizeEntity } from "./Entity.js"
import type { Entity } from "./Entity.js"
import { taskIdFor } from "./Ids.js"
import type { PlannedModule, PlannedTask } from "./ScanEvent.js"

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
