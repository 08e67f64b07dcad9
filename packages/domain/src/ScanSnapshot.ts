/** A scan's state as a snapshot in Postgres, for bounded replay on recovery: its schema and the two conversions. */
import { HashMap, Order, Schema, SortedMap } from "effect"
import { Entity } from "./Entity.js"
import { ModuleId, ScanId, TaskId } from "./Ids.js"
import { ScanDefinition, ScanStatus } from "./Scan.js"
import { PlannedModule, ScanHeader } from "./ScanEvent.js"
import type { ScanState } from "./ScanMachine.js"

const TaskEntryJson = Schema.Struct({
  task_id: TaskId,
  module_id: ModuleId,
  entity: Entity,
  depth: Schema.Int,
  status: Schema.Literal("QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"),
  order: Schema.Int,
  result_count: Schema.Int,
  error: Schema.NullOr(Schema.String)
})

/** A snapshot of a state as stored in Postgres: bounded replay on recovery. */
export const ScanSnapshot = Schema.Struct({
  id: ScanId,
  seq: Schema.Int,
  header: ScanHeader,
  definition: ScanDefinition,
  plan: Schema.Array(PlannedModule),
  seeds: Schema.optionalWith(Schema.Array(Entity), { default: () => [] }),
  status: ScanStatus,
  reason: Schema.NullOr(Schema.String),
  deleted: Schema.Boolean,
  created_at: Schema.Number,
  updated_at: Schema.Number,
  started_at: Schema.NullOr(Schema.Number),
  completed_at: Schema.NullOr(Schema.Number),
  running_ms: Schema.Number,
  running_since: Schema.NullOr(Schema.Number),
  seen: Schema.Array(Schema.Tuple(Schema.String, Schema.Int)),
  tasks: Schema.Array(TaskEntryJson),
  counts: Schema.Struct({
    queued: Schema.Int,
    running: Schema.Int,
    completed: Schema.Int,
    failed: Schema.Int,
    cancelled: Schema.Int
  }),
  result_count: Schema.Int,
  progress: Schema.Number
})
export type ScanSnapshot = typeof ScanSnapshot.Type

/** A snapshot holds the tasks once: the dispatch queue is derived from them. */
export const toSnapshot = ({ queue: _, ...state }: ScanState): ScanSnapshot => ({
  ...state,
  seen: Array.from(state.seen),
  tasks: Array.from(HashMap.values(state.tasks))
})

export const fromSnapshot = (snapshot: ScanSnapshot): ScanState => ({
  ...snapshot,
  seen: HashMap.fromIterable(snapshot.seen),
  tasks: HashMap.fromIterable(snapshot.tasks.map((t) => [t.task_id, t] as const)),
  queue: SortedMap.fromIterable(
    snapshot.tasks.flatMap((t) => (t.status === "QUEUED" ? [[t.order, t.task_id] as const] : [])),
    Order.number
  )
})
