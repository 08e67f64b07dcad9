/**
 * The Collection Task and Collection Result of the data collection contract, as on the wire.
 * An API key given with a task is accepted but never echoed back.
 */
import { Schema } from "effect"
import { Entity, EntityType } from "./Entity.js"
import { ModuleId, ResultId, ScanId, TaskId } from "./Ids.js"

export const TaskStatus = Schema.Literal("QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED")
export type TaskStatus = typeof TaskStatus.Type

export const taskLimits = { maxTimeoutSeconds: 600, maxResults: 100_000 } as const

/** Task configuration as submitted: `api_key` is held as a Redacted value from the moment it is decoded. */
export const CollectionTaskConfigInput = Schema.Struct({
  timeout: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, taskLimits.maxTimeoutSeconds)), {
    default: () => 30
  }),
  max_results: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, taskLimits.maxResults)), {
    default: () => 1000
  }),
  use_proxy: Schema.optional(Schema.Boolean),
  api_key: Schema.optional(Schema.Redacted(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(512))))
})

/** Task configuration as returned: whether a key was given, never the key. */
export const CollectionTaskConfig = Schema.Struct({
  timeout: Schema.Int,
  max_results: Schema.Int,
  use_proxy: Schema.Boolean,
  api_key: Schema.NullOr(Schema.Literal("[redacted]"))
})

export class CollectTaskRequest extends Schema.Class<CollectTaskRequest>("CollectTaskRequest")({
  module_id: ModuleId,
  target: Entity,
  config: Schema.optionalWith(CollectionTaskConfigInput, { default: () => ({ timeout: 30, max_results: 1000 }) }),
  module_config: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}) {}

const Timestamp = Schema.NullOr(Schema.DateTimeUtc)

export class CollectionTask extends Schema.Class<CollectionTask>("CollectionTask")({
  id: TaskId,
  scan_id: Schema.NullOr(ScanId),
  module_id: ModuleId,
  target: Entity,
  status: TaskStatus,
  config: CollectionTaskConfig,
  created_at: Schema.DateTimeUtc,
  started_at: Timestamp,
  completed_at: Timestamp,
  result_count: Schema.Int,
  error: Schema.NullOr(Schema.String)
}) {}

export class CollectionResult extends Schema.Class<CollectionResult>("CollectionResult")({
  id: ResultId,
  task_id: TaskId,
  scan_id: Schema.NullOr(ScanId),
  module_id: ModuleId,
  data_type: EntityType,
  data: Schema.String,
  source_data: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  confidence: Schema.Number.pipe(Schema.between(0, 1)),
  collected_at: Schema.DateTimeUtc,
  metadata: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  hash: Schema.String,
  /**
   * The `hash` of the entity this result was discovered from (the entity its task ran on): another result of the
   * scan, or the scan's target. Null for results stored before parents were kept.
   */
  parent: Schema.NullOr(Schema.String)
}) {}
