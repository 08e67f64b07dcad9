/**
 * The data collection use cases behind `/collect` and `/sources`. A standalone collection task (a job) is a scan
 * of one module at recursion depth 0 whose id is the job id: it is sharded, persisted, recoverable and cancellable
 * like any scan (cancel is StopScan, which interrupts the running module). `collect_jobs` marks the scan as a job.
 * A job's `api_key` and `use_proxy` reach the node through JobOptions (Redis, with a TTL), never through the
 * persisted command log; the key is never returned (`config.api_key` is always null).
 */
import type { Principal } from "@mirage/domain/api/Authentication"
import { LogPage, Source, SourceList, SourceRateLimit } from "@mirage/domain/api/CollectApi"
import type { LogEntry, PageParams, SourceState } from "@mirage/domain/api/CollectApi"
import { BadRequest, NotFound, StateConflict } from "@mirage/domain/api/Errors"
import type { InvalidField } from "@mirage/domain/api/Errors"
import { ResultPage } from "@mirage/domain/api/ScansApi"
import { CollectionTask } from "@mirage/domain/CollectionTask"
import type { CollectTaskRequest, TaskStatus } from "@mirage/domain/CollectionTask"
import { TaskId } from "@mirage/domain/Ids"
import type { ModuleId, ScanId } from "@mirage/domain/Ids"
import { CreateScanRequest, isTerminal, ScanModule } from "@mirage/domain/Scan"
import type { Scan } from "@mirage/domain/Scan"
import type { Module } from "@mirage/modules"
import { Context, DateTime, Effect, HashMap, Layer, Option } from "effect"
import type { PersistenceError } from "../platform/Errors.js"
import { EventStore } from "../scans/EventStore.js"
import { decodeCursor as decodeResultCursor, ResultStore } from "../scans/ResultStore.js"
import { ScanService } from "../scans/ScanService.js"
import { CollectionLog } from "./CollectionLog.js"
import type { CollectionLogEntry } from "./CollectionLog.js"
import { Credentials } from "./Credentials.js"
import { JobOptions, ttlFor } from "./JobOptions.js"
import { JobStore } from "./JobStore.js"
import type { JobRecord } from "./JobStore.js"
import * as JobStorePostgres from "./JobStore/Postgres.js"
import { installed, ModuleCatalog } from "./ModuleCatalog.js"
import { RateLimiter } from "./RateLimiter.js"

export interface CollectServiceShape {
  readonly create: (
    principal: Principal,
    request: CollectTaskRequest
  ) => Effect.Effect<CollectionTask, BadRequest | PersistenceError>
  readonly get: (principal: Principal, id: ScanId) => Effect.Effect<CollectionTask, NotFound | PersistenceError>
  readonly cancel: (
    principal: Principal,
    id: ScanId
  ) => Effect.Effect<CollectionTask, NotFound | StateConflict | PersistenceError>
  readonly results: (
    principal: Principal,
    id: ScanId,
    params: PageParams
  ) => Effect.Effect<ResultPage, NotFound | BadRequest | PersistenceError>
  readonly logs: (
    principal: Principal,
    id: ScanId,
    params: PageParams
  ) => Effect.Effect<LogPage, NotFound | PersistenceError>
  readonly sources: Effect.Effect<SourceList, PersistenceError>
  readonly source: (id: string) => Effect.Effect<Source, NotFound | PersistenceError>
}

export class CollectService extends Context.Tag("@mirage/runtime/CollectService")<
  CollectService,
  CollectServiceShape
>() {}

/** The scan's fields as the request named them: `modules[0].config` is the request's `module_config`. */
const requestField = (field: string): string =>
  field.startsWith("modules[0].config")
    ? field.replace("modules[0].config", "module_config")
    : field.startsWith("modules")
    ? "module_id"
    : field.startsWith("configuration.")
    ? field.replace("configuration.", "config.")
    : field

const renamed = (error: BadRequest): BadRequest => {
  const errors = error.errors.map((e) => ({ field: requestField(e.field), message: e.message }))
  return new BadRequest({ detail: errors.map((e) => `${e.field}: ${e.message}`).join("; "), errors })
}

const notFound = (id: string) => new NotFound({ detail: `no collection job ${id}` })

/** The job's single task as the seed's CollectionTask, from its scan and (when it ended) the task's own error. */
const toTask = (job: JobRecord, scan: Scan, queued: boolean, taskError: string | null): CollectionTask => {
  const failed = taskError !== null && scan.result_count === 0
  const timedOut = scan.status === "COMPLETED" && scan.status_reason === "max_duration"
  const status: TaskStatus = queued || scan.status === "CREATED"
    ? "QUEUED"
    : scan.status === "RUNNING" || scan.status === "PAUSED"
    ? "RUNNING"
    : scan.status === "CANCELLED"
    ? "CANCELLED"
    : scan.status === "FAILED" || failed || timedOut
    ? "FAILED"
    : "COMPLETED"
  const error = status === "FAILED"
    ? taskError ?? (timedOut ? `timed out after ${job.timeout_seconds} s` : scan.status_reason ?? "failed")
    : null
  const module = scan.modules[0]
  return CollectionTask.make({
    id: TaskId.make(scan.id),
    scan_id: null,
    module_id: module === undefined ? ("" as ModuleId) : module.id,
    target: scan.target,
    status,
    config: { timeout: job.timeout_seconds, max_results: job.max_results, use_proxy: job.use_proxy, api_key: null },
    created_at: scan.created_at,
    started_at: scan.started_at,
    completed_at: status === "QUEUED" || status === "RUNNING" ? null : scan.completed_at ?? scan.updated_at,
    result_count: scan.result_count,
    error
  })
}

const toLogEntry = (entry: CollectionLogEntry): LogEntry => {
  const { at, owner: _owner, scan_id: _scan, ...rest } = entry
  return { ...rest, at: DateTime.unsafeMake(at) }
}

const sourcesOf = (): ReadonlyArray<
  { readonly source: Module.DataSource; readonly modules: ReadonlyArray<ModuleId> }
> => {
  const byId = new Map<string, { source: Module.DataSource; modules: Array<ModuleId> }>()
  for (const module of installed) {
    const known = byId.get(module.source.id)
    if (known === undefined) byId.set(module.source.id, { source: module.source, modules: [module.id] })
    else known.modules.push(module.id)
  }
  return Array.from(byId.values())
}

export const make = Effect.gen(function*() {
  const scans = yield* ScanService
  const jobs = yield* JobStore
  const events = yield* EventStore
  const catalog = yield* ModuleCatalog
  const resultStore = yield* ResultStore
  const collectionLog = yield* CollectionLog
  const limiter = yield* RateLimiter
  const credentials = yield* Credentials
  const jobOptions = yield* JobOptions

  const findJob = (principal: Principal, id: ScanId) =>
    Effect.flatMap(
      jobs.get(principal.organization_id, id),
      Option.match({ onNone: () => Effect.fail(notFound(id)), onSome: Effect.succeed })
    )

  /** The error of the job's task once the scan has ended (the task's own, from the scan's state). */
  const taskError = (scan: Scan) =>
    !isTerminal(scan.status) || scan.status === "CANCELLED"
      ? Effect.succeed(null)
      : Effect.map(events.load(scan.id), (loaded) =>
        Option.match(loaded, {
          onNone: () => null,
          onSome: ({ state }) =>
            HashMap.reduce(state.tasks, null as string | null, (found, task) => found ?? task.error)
        }))

  /** The options of an ended job are no longer needed: its key goes before its TTL would take it. */
  const forget = (scan: Scan) =>
    isTerminal(scan.status)
      ? jobOptions.remove(scan.id).pipe(
        Effect.catchAll((error) =>
          Effect.logWarning("job options not removed").pipe(Effect.annotateLogs({ error: error.message }))
        )
      )
      : Effect.void

  const taskOf = (job: JobRecord, scan: Scan, queued: boolean) =>
    Effect.zipRight(forget(scan), Effect.map(taskError(scan), (error) => toTask(job, scan, queued, error)))

  const read = (principal: Principal, id: ScanId) =>
    Effect.gen(function*() {
      const job = yield* findJob(principal, id)
      const scan = yield* scans.get(principal, id).pipe(Effect.catchTag("NotFound", () => notFound(id)))
      return { job, scan }
    })

  const create = (principal: Principal, request: CollectTaskRequest) =>
    Effect.gen(function*() {
      const problems: Array<InvalidField> = []
      const entry = catalog.get(request.module_id)
      if (Option.isNone(entry)) {
        const known = catalog.all().map((e) => e.id).join(", ")
        problems.push({ field: "module_id", message: `unknown module ${request.module_id} (available: ${known})` })
      } else if (!entry.value.input_types.includes(request.target.type)) {
        problems.push({
          field: "target.type",
          message: `module ${request.module_id} takes ${
            entry.value.input_types.join(", ")
          } targets, not ${request.target.type}`
        })
      }
      if (problems.length > 0) {
        return yield* new BadRequest({
          detail: problems.map((e) => `${e.field}: ${e.message}`).join("; "),
          errors: problems
        })
      }
      const { scan } = yield* scans.create(
        principal,
        CreateScanRequest.make({
          name: `collect ${request.module_id}`,
          description: "standalone collection task",
          target: request.target,
          modules: [ScanModule.make({ id: request.module_id, enabled: true, config: request.module_config ?? {} })],
          configuration: {
            max_duration: request.config.timeout,
            max_results: request.config.max_results,
            recursion_depth: 0,
            // The job's one task may use the job's whole time.
            task_timeout: request.config.timeout
          }
        })
      ).pipe(Effect.mapError((error) => (error._tag === "BadRequest" ? renamed(error) : error)))
      const job: JobRecord = {
        job_id: scan.id,
        organization_id: principal.organization_id,
        timeout_seconds: request.config.timeout,
        max_results: request.config.max_results,
        use_proxy: request.config.use_proxy ?? false
      }
      yield* jobs.insert(job)
      // Only what the node must know beyond the command, and only if the request said it; written before the
      // start, so the task finds it. The key stays Redacted until the adapter writes it.
      const apiKey = Option.fromNullable(request.config.api_key)
      const useProxy = Option.fromNullable(request.config.use_proxy)
      if (Option.isSome(apiKey) || Option.isSome(useProxy)) {
        yield* jobOptions.put(scan.id, { api_key: apiKey, use_proxy: useProxy }, ttlFor(request.config.timeout))
      }
      const outcome = yield* scans.command(principal, scan.id, { _tag: "StartScan" }).pipe(
        // A scan created a moment ago by this very request exists and may start.
        Effect.catchTags({ NotFound: Effect.die, Conflict: Effect.die, PreconditionFailed: Effect.die })
      )
      return yield* taskOf(job, outcome.scan, outcome._tag === "Queued")
    }).pipe(Effect.withSpan("CollectService.create"))

  const get = (principal: Principal, id: ScanId) =>
    Effect.flatMap(read(principal, id), ({ job, scan }) => taskOf(job, scan, false))

  const cancel = (principal: Principal, id: ScanId) =>
    Effect.gen(function*() {
      const { job, scan } = yield* read(principal, id)
      if (isTerminal(scan.status)) {
        // An ended job cannot be cancelled: 409 with its status, not a 200 that reads as a cancellation.
        const task = yield* taskOf(job, scan, false)
        return yield* new StateConflict({
          detail: `job ${id} has already ended (${task.status})`,
          current_status: task.status
        })
      }
      const after = yield* scans.command(principal, id, { _tag: "StopScan" }).pipe(
        Effect.map((outcome) => outcome.scan),
        // It ended meanwhile: its final state is the answer.
        Effect.catchTag("Conflict", () => scans.get(principal, id)),
        Effect.catchTag("NotFound", () => notFound(id)),
        Effect.catchTag("PreconditionFailed", Effect.die)
      )
      return yield* taskOf(job, after, false)
    }).pipe(Effect.withSpan("CollectService.cancel", { attributes: { job_id: id } }))

  const results = (principal: Principal, id: ScanId, params: PageParams) =>
    Effect.gen(function*() {
      yield* findJob(principal, id)
      if (params.cursor !== undefined) {
        yield* decodeResultCursor(params.cursor).pipe(
          Effect.mapError(() => BadRequest.field("cursor", "not a cursor of this listing"))
        )
      }
      const page = yield* resultStore.list({
        owner: id,
        limit: params.limit,
        ...(params.cursor === undefined ? {} : { cursor: params.cursor })
      })
      return ResultPage.make({ items: page.items, next_cursor: page.next_cursor })
    })

  const logs = (principal: Principal, id: ScanId, params: PageParams) =>
    Effect.gen(function*() {
      yield* findJob(principal, id)
      const page = yield* collectionLog.listForOwner(id, params.cursor ?? null, params.limit)
      return LogPage.make({ items: page.items.map(toLogEntry), next_cursor: page.next_cursor })
    })

  const describe = (source: Module.DataSource, moduleIds: ReadonlyArray<ModuleId>) =>
    Effect.gen(function*() {
      const state = yield* limiter.state(source.id)
      const key = yield* credentials.status(source.id)
      const last = yield* collectionLog.lastSummary(source.id, false)
      const lastError = yield* collectionLog.lastSummary(source.id, true)
      // Rate limited wins; otherwise the outcome of the source's most recent task says how it is doing.
      const outcome = Option.map(last, (entry) => entry.outcome)
      const current: SourceState = state.state === "rate_limited"
        ? "rate_limited"
        : Option.contains(outcome, "auth_failed")
        ? "auth_failed"
        : Option.exists(outcome, (o) => o === "failed" || o === "timed_out")
        ? "failing"
        : "ok"
      return Source.make({
        id: source.id,
        name: source.name,
        module_ids: moduleIds,
        rate_limit: SourceRateLimit.make({
          requests: source.rateLimit.requests,
          per_seconds: source.rateLimit.perSeconds,
          burst: source.rateLimit.burst ?? source.rateLimit.requests
        }),
        requires_key: source.requiresKey,
        key_configured: key.configured,
        proxy: source.proxy,
        state: current,
        rate_limited_until: state.state === "rate_limited" ? DateTime.unsafeMake(state.until) : null,
        last_error: Option.match(lastError, { onNone: () => null, onSome: (entry) => entry.error }),
        last_error_at: Option.match(lastError, { onNone: () => null, onSome: (entry) => DateTime.unsafeMake(entry.at) })
      })
    })

  const sources = Effect.map(
    Effect.forEach(sourcesOf(), ({ modules, source }) => describe(source, modules)),
    (items) => SourceList.make({ items })
  )

  const source = (id: string) => {
    const found = sourcesOf().find((s) => s.source.id === id)
    return found === undefined
      ? Effect.fail(new NotFound({ detail: `no source ${id}` }))
      : describe(found.source, found.modules)
  }

  return CollectService.of({ create, get, cancel, results, logs, sources, source })
})

/** The service over the given ports (ScanService, EventStore, ModuleCatalog, ResultStore, CollectionLog, JobOptions, …). */
export const layerPorts = Layer.effect(CollectService, make)

/** The service with its jobs in Postgres (PgClient needed). */
export const layer = layerPorts.pipe(Layer.provide(JobStorePostgres.layer))
