/**
 * The events of a scan's log in Postgres, and the commands that produce them. Both cross
 * process boundaries (stream entries, database rows) so both are schemas.
 */
import { Schema } from "effect"
import { Entity, EntityType } from "./Entity.js"
import { ModuleId, OrganizationId, ScanId, TaskId, TemplateId, UserId } from "./Ids.js"
import { Dependencies, ModuleConfig, ScanConfigurationInput, ScanDefinition, UpdateScanRequest } from "./Scan.js"

/** At most this many extra targets a chained scan takes from its dependencies. */
export const maxSeeds = 1000

/** A module as the scan resolved it at creation: replay never depends on today's registry. */
export const PlannedModule = Schema.Struct({
  id: ModuleId,
  input_types: Schema.Array(EntityType),
  output_types: Schema.Array(EntityType),
  config: ModuleConfig
})
export type PlannedModule = typeof PlannedModule.Type

/** Who owns a scan and where it came from; fixed at creation. */
export const ScanHeader = Schema.Struct({
  organization_id: OrganizationId,
  user_id: UserId,
  template_id: Schema.NullOr(TemplateId),
  depends_on: Schema.NullOr(Dependencies)
})
export type ScanHeader = typeof ScanHeader.Type

export const PlannedTask = Schema.Struct({
  task_id: TaskId,
  module_id: ModuleId,
  entity: Entity,
  depth: Schema.Int
})
export type PlannedTask = typeof PlannedTask.Type

export const CompletionReason = Schema.Literal("quiescent", "max_results", "max_duration")
export type CompletionReason = typeof CompletionReason.Type

const At = { at: Schema.Number }

export const ScanCreated = Schema.TaggedStruct("ScanCreated", {
  ...At,
  scan_id: ScanId,
  header: ScanHeader,
  definition: ScanDefinition,
  plan: Schema.Array(PlannedModule)
})
export const ScanUpdated = Schema.TaggedStruct("ScanUpdated", {
  ...At,
  definition: ScanDefinition,
  plan: Schema.Array(PlannedModule),
  /** Present when the update changed the dependencies (null: none any more). */
  depends_on: Schema.optional(Schema.NullOr(Dependencies)),
  /**
   * Present when the update changed the webhook: the id of the change the gateway staged (the secret never enters
   * the log). Applied to the scan's webhook once this event is stored, so a refused update changes nothing.
   */
  webhook_change: Schema.optional(Schema.UUID)
})
/** Extra targets of a chained scan (its dependencies' results), processed at depth 0 when it starts. */
export const SeedsAdded = Schema.TaggedStruct("SeedsAdded", { ...At, entities: Schema.Array(Entity) })
export const ScanStarted = Schema.TaggedStruct("ScanStarted", At)
export const ScanPaused = Schema.TaggedStruct("ScanPaused", At)
export const ScanResumed = Schema.TaggedStruct("ScanResumed", At)
export const TasksPlanned = Schema.TaggedStruct("TasksPlanned", { ...At, tasks: Schema.Array(PlannedTask) })
/** One task started: what logs written before `TasksStarted` hold. Still read, no longer written. */
export const TaskStarted = Schema.TaggedStruct("TaskStarted", { ...At, task_id: TaskId })
/** The tasks a batch started, in the order they were started: one event for all of them. */
export const TasksStarted = Schema.TaggedStruct("TasksStarted", { ...At, task_ids: Schema.NonEmptyArray(TaskId) })
export const TaskCompleted = Schema.TaggedStruct("TaskCompleted", {
  ...At,
  task_id: TaskId,
  result_count: Schema.Int,
  discovered: Schema.Array(Entity)
})
export const TaskFailed = Schema.TaggedStruct("TaskFailed", { ...At, task_id: TaskId, error: Schema.String })
export const ScanCompleted = Schema.TaggedStruct("ScanCompleted", { ...At, reason: CompletionReason })
export const ScanFailed = Schema.TaggedStruct("ScanFailed", { ...At, reason: Schema.String })
export const ScanCancelled = Schema.TaggedStruct("ScanCancelled", { ...At, reason: Schema.String })
export const ScanDeleted = Schema.TaggedStruct("ScanDeleted", At)

export const ScanEvent = Schema.Union(
  ScanCreated,
  ScanUpdated,
  SeedsAdded,
  ScanStarted,
  ScanPaused,
  ScanResumed,
  TasksPlanned,
  TaskStarted,
  TasksStarted,
  TaskCompleted,
  TaskFailed,
  ScanCompleted,
  ScanFailed,
  ScanCancelled,
  ScanDeleted
)
export type ScanEvent = typeof ScanEvent.Type
export type ScanEventTag = ScanEvent["_tag"]

/** Commands from users (through the gateway) and from the scan's own task actors. */
export const CreateScan = Schema.TaggedStruct("CreateScan", {
  scan_id: ScanId,
  header: ScanHeader,
  definition: ScanDefinition,
  plan: Schema.Array(PlannedModule)
})
/**
 * An update as a patch: only the fields the user named (validated by the gateway), merged by the scan's actor into
 * the definition it owns, so concurrent updates of different fields all land. `plan` comes with `modules`.
 * `expected_seq` (from If-Match) refuses the update when the scan has changed since the client read it.
 */
export const UpdateScan = Schema.TaggedStruct("UpdateScan", {
  name: UpdateScanRequest.fields.name,
  description: UpdateScanRequest.fields.description,
  target: Schema.optional(Entity),
  modules: Schema.optional(ScanDefinition.fields.modules),
  plan: Schema.optional(Schema.Array(PlannedModule)),
  configuration: Schema.optional(ScanConfigurationInput),
  depends_on: Schema.optional(Schema.NullOr(Dependencies)),
  /** A webhook change staged by the gateway (WebhookStore), applied when the update is stored. */
  webhook_change: Schema.optional(Schema.UUID),
  expected_seq: Schema.optional(Schema.Int)
})
/** Chaining: adds targets to a scan that has not started yet. */
export const AddSeeds = Schema.TaggedStruct("AddSeeds", {
  entities: Schema.Array(Entity).pipe(Schema.maxItems(maxSeeds))
})
export const StartScan = Schema.TaggedStruct("StartScan", {})
export const PauseScan = Schema.TaggedStruct("PauseScan", {})
export const ResumeScan = Schema.TaggedStruct("ResumeScan", {})
export const StopScan = Schema.TaggedStruct("StopScan", {})
export const DeleteScan = Schema.TaggedStruct("DeleteScan", { expected_seq: Schema.optional(Schema.Int) })
export const FailScan = Schema.TaggedStruct("FailScan", { reason: Schema.String })
/** The actor's clock tick: enforces max_duration. */
export const Tick = Schema.TaggedStruct("Tick", {})
/** Marks the queued ones of these tasks started (the actor hands them to the pool once the event is stored). */
export const MarkTasksStarted = Schema.TaggedStruct("MarkTasksStarted", { task_ids: Schema.Array(TaskId) })
export const TaskSucceeded = Schema.TaggedStruct("TaskSucceeded", {
  task_id: TaskId,
  /** Results newly stored by this task (duplicates and results past max_results excluded). */
  result_count: Schema.Int,
  /** Every entity the task produced, canonical; the machine keeps the new ones. */
  entities: Schema.Array(Entity),
  /**
   * Keys of those entities the scan's series knew before it, with `new_entities_only`: recorded, not expanded.
   */
  known: Schema.optional(Schema.Array(Schema.String))
})
export const TaskErrored = Schema.TaggedStruct("TaskErrored", { task_id: TaskId, error: Schema.String })

export const ScanCommand = Schema.Union(
  CreateScan,
  UpdateScan,
  AddSeeds,
  StartScan,
  PauseScan,
  ResumeScan,
  StopScan,
  DeleteScan,
  FailScan,
  Tick,
  MarkTasksStarted,
  TaskSucceeded,
  TaskErrored
)
export type ScanCommand = typeof ScanCommand.Type
export type ScanCommandTag = ScanCommand["_tag"]

/** Commands a user may send through the API (the others are the actor's own). */
export const userCommandTags: ReadonlyArray<ScanCommandTag> = [
  "CreateScan",
  "UpdateScan",
  "StartScan",
  "PauseScan",
  "ResumeScan",
  "StopScan",
  "DeleteScan",
  "FailScan"
]
