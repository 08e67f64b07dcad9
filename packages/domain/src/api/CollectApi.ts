/**
 * The data collection endpoints of the HTTP API: standalone collection tasks (`/collect`: submit, read,
 * cancel, results, logs) and the data sources behind the modules (`/sources`).
 */
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { CollectionTask, CollectTaskRequest } from "../CollectionTask.js"
import { ModuleId, ScanId } from "../Ids.js"
import { Authentication } from "./Authentication.js"
import { documented } from "./Documented.js"
import { allErrors, Problems, strictBody } from "./Errors.js"
import { PageParams } from "./Query.js"
import { ResultPage } from "./ScansApi.js"

/** The page parameters of `/collect/{job_id}/results` and `/logs` (also named here for the collect use cases). */
export { PageParams }

const logCommon = {
  id: Schema.String,
  at: Schema.DateTimeUtc,
  task_id: Schema.String,
  module_id: Schema.String,
  source: Schema.String
}

/** One upstream request of a task: the URL never carries credentials. */
export const RequestLogEntry = Schema.Struct({
  ...logCommon,
  kind: Schema.Literal("request"),
  method: Schema.String,
  url: Schema.String,
  status: Schema.NullOr(Schema.Int),
  duration_ms: Schema.Number,
  bytes: Schema.Int,
  cache_hit: Schema.Boolean,
  attempt: Schema.Int,
  error: Schema.NullOr(Schema.String),
  proxy: Schema.NullOr(Schema.String)
}).annotations({ identifier: "RequestLogEntry" })

/** How a task ended. */
export const SummaryLogEntry = Schema.Struct({
  ...logCommon,
  kind: Schema.Literal("summary"),
  outcome: Schema.String,
  result_count: Schema.Int,
  attempts: Schema.Int,
  error: Schema.NullOr(Schema.String),
  /** Rows of the source's answers that could not be read and were skipped (absent when none). */
  rows_skipped: Schema.optionalWith(Schema.Int, { exact: true }),
  /** Why the first skipped row was skipped. */
  skip_reason: Schema.optionalWith(Schema.String, { exact: true }),
  /** Problems that did not fail the task, e.g. a later page that failed while earlier pages' results were kept. */
  warnings: Schema.optionalWith(Schema.Array(Schema.String), { exact: true })
}).annotations({ identifier: "SummaryLogEntry" })

export const LogEntry = Schema.Union(RequestLogEntry, SummaryLogEntry)
export type LogEntry = typeof LogEntry.Type

export class LogPage extends Schema.Class<LogPage>("LogPage")({
  items: Schema.Array(LogEntry),
  next_cursor: Schema.NullOr(Schema.String)
}) {}

export const SourceState = Schema.Literal("ok", "rate_limited", "auth_failed", "failing")
export type SourceState = typeof SourceState.Type

export class SourceRateLimit extends Schema.Class<SourceRateLimit>("SourceRateLimit")({
  requests: Schema.Int,
  per_seconds: Schema.Number,
  burst: Schema.Int
}) {}

/**
 * One key of a source's pool, by its label (its place in the configuration) and its fingerprint (the first 8 hex
 * digits of its SHA-256), never the key itself.
 */
export class SourceKey extends Schema.Class<SourceKey>("SourceKey")({
  label: Schema.String,
  fingerprint: Schema.String,
  /**
   * parked: the source refused the key (401/403); no node uses it again before `parked_until`. rate_limited: the
   * source asked to wait (429, Retry-After); no node uses it before `rate_limited_until`.
   */
  state: Schema.Literal("ok", "rate_limited", "parked"),
  rate_limited_until: Schema.NullOr(Schema.DateTimeUtc),
  parked_reason: Schema.NullOr(Schema.String),
  parked_until: Schema.NullOr(Schema.DateTimeUtc)
}) {}

/** A data source: shared by the modules that call it; its key, if any, is never shown. */
export class Source extends Schema.Class<Source>("Source")({
  id: Schema.String,
  name: Schema.String,
  module_ids: Schema.Array(ModuleId),
  rate_limit: SourceRateLimit,
  requires_key: Schema.Boolean,
  key_configured: Schema.Boolean,
  /** The source's keys in turn, each with its own quota and pause; empty when none is configured. */
  keys: Schema.Array(SourceKey),
  proxy: Schema.Boolean,
  state: SourceState,
  /** Set while rate-limited: when requests may go again. */
  rate_limited_until: Schema.NullOr(Schema.DateTimeUtc),
  /** The error of the source's most recent failed collection, null when none is known. */
  last_error: Schema.NullOr(Schema.String),
  last_error_at: Schema.NullOr(Schema.DateTimeUtc)
}) {}

export class SourceList extends Schema.Class<SourceList>("SourceList")({
  items: Schema.Array(Source)
}) {}

const jobId = HttpApiSchema.param("job_id", ScanId)
const sourceId = HttpApiSchema.param("id", Schema.String.pipe(Schema.pattern(/^[a-z0-9_.-]{1,100}$/)))

export class CollectApi extends HttpApiGroup.make("collect")
  .add(
    HttpApiEndpoint.post("create", "/collect")
      .setPayload(CollectTaskRequest.annotations(strictBody))
      .addSuccess(CollectionTask, { status: 202 })
      .annotate(OpenApi.Summary, "Run one module against one target (a standalone collection task)")
      .annotate(
        OpenApi.Transform,
        documented({
          example: {
            module_id: "crtsh",
            target: { type: "DOMAIN", value: "example.com" },
            config: { timeout: 60, max_results: 500 }
          }
        })
      )
      .annotate(
        OpenApi.Description,
        "Answers 202 with the task (QUEUED or RUNNING); poll GET /collect/{job_id}. `config.timeout` bounds the " +
          "job's running time in seconds and `config.max_results` its results. `config.api_key` is the job's own " +
          "key for the module's source (over the nodes' key); it is kept only in Redis for the job's timeout plus " +
          "a margin and never returned (`config.api_key` is null). `config.use_proxy` true sends the requests " +
          "through the proxy pool, false never; left out, the node decides. An unknown module or a " +
          "module_config the module rejects is a 400."
      )
  )
  .add(
    HttpApiEndpoint.get("get")`/collect/${jobId}`
      .addSuccess(CollectionTask)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "A collection task: status, result count, error, timestamps")
  )
  .add(
    HttpApiEndpoint.del("cancel")`/collect/${jobId}`
      .addSuccess(CollectionTask)
      .addError(Problems.NotFound)
      .addError(Problems.StateConflict)
      .annotate(OpenApi.Summary, "Cancel a collection task; a running module is interrupted")
      .annotate(
        OpenApi.Description,
        "200 with the CANCELLED task; 409 with `current_status` when it had already ended (COMPLETED, FAILED, CANCELLED)."
      )
  )
  .add(
    HttpApiEndpoint.get("results")`/collect/${jobId}/results`
      .setUrlParams(PageParams.annotations(allErrors))
      .addSuccess(ResultPage)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "Results of a collection task, by id with a stable cursor")
  )
  .add(
    HttpApiEndpoint.get("logs")`/collect/${jobId}/logs`
      .setUrlParams(PageParams.annotations(allErrors))
      .addSuccess(LogPage)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "Collection log of a task: each upstream request (no secrets) and the summary")
  )
  .add(
    HttpApiEndpoint.get("sources", "/sources")
      .addSuccess(SourceList)
      .annotate(OpenApi.Summary, "Data sources: their modules, rate limit, key requirement and current state")
  )
  .add(
    HttpApiEndpoint.get("source")`/sources/${sourceId}`
      .addSuccess(Source)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "One data source")
  )
  .middleware(Authentication)
  .addError(Problems.Forbidden)
  .addError(Problems.ServiceUnavailable)
  .annotate(OpenApi.Title, "Data collection")
{}
