/**
 * A schedule as on the wire (snake_case): a scan specification run for each of its targets at every due time of a
 * cron expression in a time zone, with what to do when the previous run is still going (overlap) and after an
 * outage (catch-up). The maths is in ScheduleCron.
 */
import { Schema } from "effect"
import { Entity } from "./Entity.js"
import { deriveUuid, OrganizationId, ScanId, TemplateId, UserId } from "./Ids.js"
import { Description, Name, ScanConfigurationInput, ScanModule } from "./Scan.js"
import { ApiText } from "./Text.js"

export const ScheduleId = Schema.UUID.pipe(Schema.brand("ScheduleId"))
export type ScheduleId = typeof ScheduleId.Type

/** When a due time comes while the previous run still runs: skip it, or queue one run to start when it ends. */
export const OverlapPolicy = Schema.Literal("skip", "queue_one")
export type OverlapPolicy = typeof OverlapPolicy.Type

/** After an outage: run the latest missed due time once, or skip every missed one. */
export const CatchUpPolicy = Schema.Literal("run_once", "skip_missed")
export type CatchUpPolicy = typeof CatchUpPolicy.Type

export const scheduleLimits = { maxTargets: 50, cronLength: 120 } as const

/** What each run scans: a template or modules, a configuration, one or more targets (one scan per target). */
export const ScheduledScan = Schema.Struct({
  targets: Schema.Array(Entity).pipe(Schema.minItems(1), Schema.maxItems(scheduleLimits.maxTargets)),
  template_id: Schema.optional(TemplateId),
  modules: Schema.optional(Schema.Array(ScanModule).pipe(Schema.maxItems(100))),
  configuration: Schema.optional(ScanConfigurationInput),
  /** Follow-up modules run only on entities new since the schedule's previous run (passed to each run's configuration). */
  new_entities_only: Schema.optionalWith(Schema.Boolean, { default: () => false })
})
export type ScheduledScan = typeof ScheduledScan.Type

/** A cron field in `/openapi.json`: `*` with an optional step, or a list of values (the API takes croner's syntax). */
const cronField = (value: string) => `(?:\\*(?:/[1-6])?|(?:${value})(?:,(?:${value})){0,3})`
/**
 * The cron expressions `/openapi.json` describes: 5 fields, or 6 with seconds first, whose days of the month stop at
 * 28 (so that every one fires). The API takes the whole croner syntax (ranges, names, `L`, `W`, `#`): a subset.
 */
const cronPattern = "^(?:" + cronField("[1-5]?[0-9]") + " )?" +
  [
    cronField("[1-5]?[0-9]"),
    cronField("1?[0-9]|2[0-3]"),
    cronField("[1-9]|1[0-9]|2[0-8]"),
    cronField("[1-9]|1[0-2]"),
    cronField("[0-6]")
  ].join(" ") + "$"

// The filters below only document (`/openapi.json`): the API's own checks decide (ScheduleCron.parse).
const Cron = ApiText({ min: 1, max: scheduleLimits.cronLength }).pipe(
  Schema.filter(() => true, { jsonSchema: { pattern: cronPattern } })
)
/** An IANA time zone: `/openapi.json` lists those this runtime knows (the ones the API accepts). */
const TimeZone = ApiText({ min: 1, max: 64 }).pipe(
  Schema.filter(() => true, {
    jsonSchema: { enum: Array.from(new Set(["UTC", ...Intl.supportedValuesOf("timeZone")])) }
  })
)

export class CreateScheduleRequest extends Schema.Class<CreateScheduleRequest>("CreateScheduleRequest")({
  name: Name,
  description: Schema.optional(Description),
  /** 5 fields, or 6 with seconds first (croner syntax). */
  cron: Cron,
  time_zone: Schema.optionalWith(TimeZone, { default: () => "UTC" }),
  overlap: Schema.optionalWith(OverlapPolicy, { default: () => "skip" as const }),
  catch_up: Schema.optionalWith(CatchUpPolicy, { default: () => "run_once" as const }),
  enabled: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  scan: ScheduledScan
}) {}

export class UpdateScheduleRequest extends Schema.Class<UpdateScheduleRequest>("UpdateScheduleRequest")({
  name: Schema.optional(Name),
  description: Schema.optional(Description),
  cron: Schema.optional(Cron),
  time_zone: Schema.optional(TimeZone),
  overlap: Schema.optional(OverlapPolicy),
  catch_up: Schema.optional(CatchUpPolicy),
  enabled: Schema.optional(Schema.Boolean),
  scan: Schema.optional(ScheduledScan)
}) {}

export class Schedule extends Schema.Class<Schedule>("Schedule")({
  id: ScheduleId,
  organization_id: OrganizationId,
  user_id: UserId,
  name: Name,
  description: Schema.String,
  cron: Schema.String,
  time_zone: Schema.String,
  overlap: OverlapPolicy,
  catch_up: CatchUpPolicy,
  enabled: Schema.Boolean,
  scan: ScheduledScan,
  /** Due times before this instant are never fired: when the schedule was created, or last enabled or re-timed. */
  since: Schema.DateTimeUtc,
  created_at: Schema.DateTimeUtc,
  updated_at: Schema.DateTimeUtc,
  /** The next due time, if enabled. */
  next_due_at: Schema.NullOr(Schema.DateTimeUtc),
  version: Schema.Int
}) {}

/** What a due time became. */
export const RunOutcome = Schema.Literal("started", "queued", "skipped_overlap", "missed")
export type RunOutcome = typeof RunOutcome.Type

export class ScheduleRun extends Schema.Class<ScheduleRun>("ScheduleRun")({
  schedule_id: ScheduleId,
  due_at: Schema.DateTimeUtc,
  outcome: RunOutcome,
  /** One scan per target, ids derived from the schedule, the due time and the target's position. */
  scan_ids: Schema.Array(ScanId),
  recorded_at: Schema.DateTimeUtc
}) {}

export class SchedulePage extends Schema.Class<SchedulePage>("SchedulePage")({
  items: Schema.Array(Schedule),
  next_cursor: Schema.NullOr(Schema.String)
}) {}

export class ScheduleRunPage extends Schema.Class<ScheduleRunPage>("ScheduleRunPage")({
  items: Schema.Array(ScheduleRun),
  next_cursor: Schema.NullOr(Schema.String)
}) {}

/** The scan a due time of a schedule runs for its target at `index`: the same on every node and every attempt. */
export const runScanId = (scheduleId: string, dueAt: number, index: number): ScanId =>
  deriveUuid("schedule-run", scheduleId, String(dueAt), String(index)) as ScanId
