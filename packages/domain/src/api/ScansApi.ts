/**
 * The scans endpoints of the HTTP API: create (or plan), list, read, update, delete, the lifecycle
 * commands, status, results, history. The server implements them (apps/gateway) and a CLI calls
 * them through `HttpApiClient`.
 */
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { CollectionResult } from "../CollectionTask.js"
import { EntityType } from "../Entity.js"
import { Entity } from "../Entity.js"
import { ModuleId, ScanId } from "../Ids.js"
import { PlanGraphSchema } from "../Planner.js"
import { CreateScanRequest, Scan, ScanConfiguration, ScanModule, ScanStatus, UpdateScanRequest } from "../Scan.js"
import { ScanEvent } from "../ScanEvent.js"
import { Authentication } from "./Authentication.js"
import { documented } from "./Documented.js"
import { allErrors, Problems, strictBody } from "./Errors.js"
import { Cursor, Limit, NumberParam, pageLimits, PageParams, TimeParam } from "./Query.js"

/** What POST /scans answers: the new scan and what the planner noticed (e.g. a module that can never run). */
export class ScanCreated extends Scan.extend<ScanCreated>("ScanCreated")({
  warnings: Schema.Array(Schema.String)
}) {}

/**
 * What a command answers with 202: the command is on its way but no node confirmed it within the
 * wait; the body is the scan as currently known.
 */
export class ScanPending extends Schema.Class<ScanPending>("ScanPending")(Scan.fields, {
  description: "The command was sent but not yet confirmed; the scan as currently known"
}) {}

export const ListScansParams = Schema.Struct({
  limit: Schema.optionalWith(Limit, { default: () => pageLimits.default }),
  cursor: Schema.optional(Cursor),
  status: Schema.optional(ScanStatus),
  target_type: Schema.optional(EntityType),
  name: Schema.optional(
    Schema.String.pipe(
      Schema.minLength(1),
      Schema.maxLength(200),
      Schema.annotations({ description: "Scans whose name contains this text (case-insensitive)" })
    )
  ),
  created_after: Schema.optional(TimeParam("Scans created at or after this time")),
  created_before: Schema.optional(TimeParam("Scans created before this time"))
})
export type ListScansParams = typeof ListScansParams.Type

export class ScanPage extends Schema.Class<ScanPage>("ScanPage")({
  items: Schema.Array(Scan),
  /** Null on the last page. */
  next_cursor: Schema.NullOr(Schema.String)
}) {}

/** The dry run: what a scan would run, and what the planner noticed; nothing is created. */
export class ScanPlan extends Schema.Class<ScanPlan>("ScanPlan")({
  target: Entity,
  modules: Schema.Array(ScanModule),
  configuration: ScanConfiguration,
  plan: PlanGraphSchema,
  warnings: Schema.Array(Schema.String)
}) {}

export const CreateScanParams = Schema.Struct({
  dry_run: Schema.optional(
    Schema.BooleanFromString.annotations({ description: "true: validate and plan only; nothing is created" })
  )
})

export class TaskCounts extends Schema.Class<TaskCounts>("TaskCounts")({
  queued: Schema.Int,
  running: Schema.Int,
  completed: Schema.Int,
  failed: Schema.Int,
  cancelled: Schema.Int
}) {}

export class ScanStatusReport extends Schema.Class<ScanStatusReport>("ScanStatusReport")({
  id: ScanId,
  status: ScanStatus,
  progress: Schema.Number,
  /** Results the scan's modules found (what `max_results` bounds). */
  result_count: Schema.Int,
  /** Correlation findings of the scan, apart from `result_count`. */
  correlation_count: Schema.Int,
  tasks: TaskCounts,
  started_at: Schema.NullOr(Schema.DateTimeUtc),
  /** Running time in seconds; paused time does not count. */
  elapsed_seconds: Schema.Number,
  status_reason: Schema.NullOr(Schema.String),
  /** Results per second over the last minute of running (or since the start when shorter). */
  rate_per_second: Schema.Number,
  /** Seconds of running time left by the best estimate, null when none can be made. */
  eta_seconds: Schema.NullOr(Schema.Number),
  estimated_completion_at: Schema.NullOr(Schema.DateTimeUtc),
  /** Why a CREATED scan that was asked to start has not: waiting for its organization's quota or its dependencies. */
  waiting_for: Schema.NullOr(Schema.Literal("quota", "dependencies")),
  /** 1 for the next scan of the organization to start when a running one ends; null unless waiting for quota. */
  queue_position: Schema.NullOr(Schema.Int)
}) {}

export const ExportFormat = Schema.Literal("json", "ndjson", "csv")
export type ExportFormat = typeof ExportFormat.Type

export const ListResultsParams = Schema.Struct({
  limit: Schema.optionalWith(Limit, { default: () => pageLimits.default }),
  cursor: Schema.optional(Cursor),
  data_type: Schema.optional(EntityType),
  module: Schema.optional(ModuleId),
  min_confidence: Schema.optional(NumberParam({ min: 0, max: 1 }, "Results with at least this confidence, 0 to 1")),
  format: Schema.optional(ExportFormat.annotations({
    description: "Export every matching result (all pages, streamed) as a JSON array, NDJSON or CSV; " +
      "`Accept: application/x-ndjson` or `text/csv` does the same"
  }))
})
export type ListResultsParams = typeof ListResultsParams.Type

export class ResultPage extends Schema.Class<ResultPage>("ResultPage")({
  items: Schema.Array(CollectionResult),
  next_cursor: Schema.NullOr(Schema.String)
}) {}

export class HistoryEntry extends Schema.Class<HistoryEntry>("HistoryEntry")({
  seq: Schema.Int,
  type: Schema.String,
  at: Schema.DateTimeUtc,
  event: ScanEvent
}) {}

export const HistoryParams = PageParams
export type HistoryParams = PageParams

export class HistoryPage extends Schema.Class<HistoryPage>("HistoryPage")({
  items: Schema.Array(HistoryEntry),
  next_cursor: Schema.NullOr(Schema.String)
}) {}

/**
 * The body of GET /scans/{id}/events: Server-Sent Events, each `data:` a ScanProgressEvent. The
 * handler streams it; declared as text so the OpenAPI document lists the media type.
 */
export const ScanEventStream = HttpApiSchema.Text({ contentType: "text/event-stream" }).annotations({
  identifier: "ScanEventStream",
  description: "Server-Sent Events; `event:` snapshot | status | progress | deleted, `data:` a ScanProgressEvent"
})

const id = HttpApiSchema.param("id", ScanId)

const commandDescription =
  "200 with the scan once its node applied the command; 409 (naming the current status) when the scan's " +
  "status does not allow it; 202 with the scan as currently known when no node confirmed within the wait."

/** `If-Match: "<version>"` (an `ETag` from a read) makes a write conditional on that version; `*` matches any. */
export const IfMatchHeaders = Schema.Struct({
  "if-match": Schema.optional(
    Schema.String.pipe(
      Schema.pattern(/^(\*|(W\/)?"[^"]*")$/),
      Schema.annotations({ description: "An ETag from a read, e.g. \"12\", or *" })
    )
  )
})

export class ScansApi extends HttpApiGroup.make("scans")
  .add(
    HttpApiEndpoint.post("create", "/scans")
      .setPayload(CreateScanRequest.annotations(strictBody))
      .setUrlParams(CreateScanParams)
      .addSuccess(ScanCreated, { status: 201 })
      .addSuccess(ScanPlan)
      .annotate(OpenApi.Summary, "Create a scan (or plan one with dry_run=true)")
      .annotate(
        OpenApi.Transform,
        documented({
          example: {
            name: "example.com footprint",
            target: { type: "DOMAIN", value: "example.com" },
            modules: [{ id: "crtsh" }, { id: "dns_resolve" }],
            select: { flags: ["passive", "safe"], exclude: ["needs-key"] },
            configuration: { recursion_depth: 2, max_duration: 3600 }
          }
        })
      )
      .annotate(
        OpenApi.Description,
        "Creates a scan in status CREATED. Without `modules`, every module that can run on the target " +
          "(directly or through the entities other modules produce, within `recursion_depth`) is used. " +
          "With `template_id`, the template's modules and configuration apply, overridden by the request's. " +
          "With `select`, every installed module that has all of its `flags` and none of its `exclude` is used " +
          "besides those named (or the template's); an unknown flag is a 400. " +
          "With `depends_on`, the scan starts by itself once its dependencies end. " +
          "`?dry_run=true` answers 200 with the plan and creates nothing."
      )
  )
  .add(
    HttpApiEndpoint.get("list", "/scans")
      .setUrlParams(ListScansParams.annotations(allErrors))
      .addSuccess(ScanPage)
      .annotate(OpenApi.Summary, "List scans, newest first")
  )
  .add(
    HttpApiEndpoint.get("get")`/scans/${id}`
      .addSuccess(Scan)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "Get a scan")
      .annotate(OpenApi.Transform, documented({ etag: "200" }))
      .annotate(
        OpenApi.Description,
        "The `ETag` header carries the scan's version; send it back in `If-Match` to update or delete only that version."
      )
  )
  .add(
    HttpApiEndpoint.put("update")`/scans/${id}`
      .setPayload(UpdateScanRequest.annotations(strictBody))
      .setHeaders(IfMatchHeaders)
      .addSuccess(Scan)
      .addSuccess(ScanPending, { status: 202 })
      .addError(Problems.NotFound)
      .addError(Problems.Conflict)
      .addError(Problems.PreconditionFailed)
      .annotate(OpenApi.Summary, "Update a scan's definition (while CREATED or PAUSED)")
      .annotate(
        OpenApi.Transform,
        documented({
          example: { description: "nightly footprint", configuration: { max_results: 5000 } },
          etag: "200"
        })
      )
      .annotate(
        OpenApi.Description,
        "A patch: only the fields given change (within `configuration`, only the settings given), each validated " +
          "like creation; concurrent updates of different fields all apply. With `If-Match` (the `ETag` of a read), " +
          "the update applies only to that version of the scan, else 412. " + commandDescription
      )
  )
  .add(
    HttpApiEndpoint.del("delete")`/scans/${id}`
      .setHeaders(IfMatchHeaders)
      .addSuccess(HttpApiSchema.NoContent)
      .addSuccess(ScanPending, { status: 202 })
      .addError(Problems.NotFound)
      .addError(Problems.PreconditionFailed)
      .annotate(OpenApi.Summary, "Delete a scan (a running one is cancelled first)")
      .annotate(
        OpenApi.Description,
        "204 once deleted: the scan then answers 404, its audit trail remains. 202 when no node confirmed yet."
      )
  )
  .add(
    HttpApiEndpoint.post("start")`/scans/${id}/start`
      .addSuccess(Scan)
      .addSuccess(ScanPending, { status: 202 })
      .addError(Problems.NotFound)
      .addError(Problems.Conflict)
      .annotate(OpenApi.Summary, "Start a scan")
      .annotate(
        OpenApi.Description,
        commandDescription + " A start beyond the organization's quota of running scans is accepted (202) " +
          "and waits its turn: /status shows its queue_position."
      )
  )
  .add(
    HttpApiEndpoint.post("stop")`/scans/${id}/stop`
      .addSuccess(Scan)
      .addSuccess(ScanPending, { status: 202 })
      .addError(Problems.NotFound)
      .addError(Problems.Conflict)
      .annotate(OpenApi.Summary, "Stop (cancel) a scan; its results are kept")
      .annotate(OpenApi.Description, commandDescription)
  )
  .add(
    HttpApiEndpoint.post("pause")`/scans/${id}/pause`
      .addSuccess(Scan)
      .addSuccess(ScanPending, { status: 202 })
      .addError(Problems.NotFound)
      .addError(Problems.Conflict)
      .annotate(OpenApi.Summary, "Pause a running scan: no new tasks, in-flight ones finish")
      .annotate(OpenApi.Description, commandDescription)
  )
  .add(
    HttpApiEndpoint.post("resume")`/scans/${id}/resume`
      .addSuccess(Scan)
      .addSuccess(ScanPending, { status: 202 })
      .addError(Problems.NotFound)
      .addError(Problems.Conflict)
      .annotate(OpenApi.Summary, "Resume a paused scan")
      .annotate(OpenApi.Description, commandDescription)
  )
  .add(
    HttpApiEndpoint.post("plan")`/scans/${id}/plan`
      .addSuccess(ScanPlan)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "The execution plan of a scan: its module graph and warnings")
  )
  .add(
    HttpApiEndpoint.get("history")`/scans/${id}/history`
      .setUrlParams(HistoryParams.annotations(allErrors))
      .addSuccess(HistoryPage)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "The scan's event log, oldest first")
  )
  .add(
    HttpApiEndpoint.get("status")`/scans/${id}/status`
      .addSuccess(ScanStatusReport)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "Progress and task counts of a scan")
  )
  .add(
    HttpApiEndpoint.get("results")`/scans/${id}/results`
      .setUrlParams(ListResultsParams.annotations(allErrors))
      .addSuccess(ResultPage)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "Results collected by a scan: a page, or the whole export")
      .annotate(
        OpenApi.Description,
        "Pages with a stable cursor (results are ordered by id). With `format` (or an Accept of " +
          "application/x-ndjson or text/csv) every matching result is streamed, page by page."
      )
  )
  .add(
    HttpApiEndpoint.get("events")`/scans/${id}/events`
      .addSuccess(ScanEventStream)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "Live progress of a scan as Server-Sent Events")
      .annotate(
        OpenApi.Description,
        "A `text/event-stream`: each event's `event:` is its type (snapshot, status, progress, deleted) and " +
          "`data:` a ScanProgressEvent JSON object. The first event is the current status snapshot; the " +
          "stream ends after a terminal status or a deletion. Comment lines keep idle connections open."
      )
  )
  .middleware(Authentication)
  .addError(Problems.Forbidden)
  .addError(Problems.ServiceUnavailable)
  .annotate(OpenApi.Title, "Scans")
{}
