/**
 * The standalone jobs' use cases: create (a one-module scan at depth 0, its options put aside for the node, then
 * started), get, cancel (StopScan), and its results and collection log. A job is found by its organization's
 * record first, so another organization's job is not found at all.
 */
import type { Principal } from "@mirage/domain/api/Authentication"
import { LogPage } from "@mirage/domain/api/CollectApi"
import type { PageParams } from "@mirage/domain/api/CollectApi"
import { BadRequest, NotFound, StateConflict } from "@mirage/domain/api/Errors"
import type { InvalidField } from "@mirage/domain/api/Errors"
import { ResultPage } from "@mirage/domain/api/ScansApi"
import type { CollectTaskRequest } from "@mirage/domain/CollectionTask"
import type { ScanId } from "@mirage/domain/Ids"
import { CreateScanRequest, isTerminal, ScanModule } from "@mirage/domain/Scan"
import type { Scan } from "@mirage/domain/Scan"
import { Effect, HashMap, Option } from "effect"
import type { EventStoreService } from "../../scans/EventStore.js"
import { decodeCursor as decodeResultCursor } from "../../scans/ResultStore.js"
import type { ResultStoreService } from "../../scans/ResultStore.js"
import type { ScanServiceShape } from "../../scans/ScanService.js"
import type { CollectionLogService } from "../CollectionLog.js"
import { ttlFor } from "../JobOptions.js"
import type { JobOptionsService } from "../JobOptions.js"
import type { JobRecord, JobStoreService } from "../JobStore.js"
import type { ModuleCatalogService } from "../ModuleCatalog.js"
import { renamed, toLogEntry, toTask } from "./JobView.js"

export interface JobPorts {
  readonly scans: ScanServiceShape
  readonly jobs: JobStoreService
  readonly events: EventStoreService
  readonly catalog: ModuleCatalogService
  readonly resultStore: ResultStoreService
  readonly collectionLog: CollectionLogService
  readonly jobOptions: JobOptionsService
}

const notFound = (id: string) => new NotFound({ detail: `no collection job ${id}` })

const findJob = (ports: JobPorts, principal: Principal, id: ScanId) =>
  Effect.flatMap(
    ports.jobs.get(principal.organization_id, id),
    Option.match({ onNone: () => Effect.fail(notFound(id)), onSome: Effect.succeed })
  )

/** The error of the job's task once the scan has ended (the task's own, from the scan's state). */
const taskError = (ports: JobPorts, scan: Scan) =>
  !isTerminal(scan.status) || scan.status === "CANCELLED"
    ? Effect.succeed(null)
    : Effect.map(ports.events.load(scan.id), (loaded) =>
      Option.match(loaded, {
        onNone: () => null,
        onSome: ({ state }) => HashMap.reduce(state.tasks, null as string | null, (found, task) => found ?? task.error)
      }))

/** The options of an ended job are no longer needed: its key goes before its TTL would take it. */
const forget = (ports: JobPorts, scan: Scan) =>
  isTerminal(scan.status)
    ? ports.jobOptions.remove(scan.id).pipe(
      Effect.catchAll((error) =>
        Effect.logWarning("job options not removed").pipe(Effect.annotateLogs({ error: error.message }))
      )
    )
    : Effect.void

const taskOf = (ports: JobPorts, job: JobRecord, scan: Scan, queued: boolean) =>
  Effect.zipRight(forget(ports, scan), Effect.map(taskError(ports, scan), (error) => toTask(job, scan, queued, error)))

const read = (ports: JobPorts, principal: Principal, id: ScanId) =>
  Effect.gen(function*() {
    const job = yield* findJob(ports, principal, id)
    const scan = yield* ports.scans.get(principal, id).pipe(Effect.catchTag("NotFound", () => notFound(id)))
    return { job, scan }
  })

/** What is wrong with the request's module: unknown, or not taking the target's type. */
const moduleProblems = (catalog: ModuleCatalogService, request: CollectTaskRequest): Array<InvalidField> => {
  const entry = catalog.get(request.module_id)
  if (Option.isNone(entry)) {
    const known = catalog.all().map((e) => e.id).join(", ")
    return [{ field: "module_id", message: `unknown module ${request.module_id} (available: ${known})` }]
  }
  if (!entry.value.input_types.includes(request.target.type)) {
    return [{
      field: "target.type",
      message: `module ${request.module_id} takes ${
        entry.value.input_types.join(", ")
      } targets, not ${request.target.type}`
    }]
  }
  return []
}

/** The job's scan: one module, depth 0, the job's time for its one task. */
const scanRequest = (request: CollectTaskRequest) =>
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

export const create = (ports: JobPorts) => (principal: Principal, request: CollectTaskRequest) =>
  Effect.gen(function*() {
    const problems = moduleProblems(ports.catalog, request)
    if (problems.length > 0) {
      return yield* new BadRequest({
        detail: problems.map((e) => `${e.field}: ${e.message}`).join("; "),
        errors: problems
      })
    }
    const { scan } = yield* ports.scans.create(principal, scanRequest(request)).pipe(
      Effect.mapError((error) => (error._tag === "BadRequest" ? renamed(error) : error))
    )
    const job: JobRecord = {
      job_id: scan.id,
      organization_id: principal.organization_id,
      timeout_seconds: request.config.timeout,
      max_results: request.config.max_results,
      use_proxy: request.config.use_proxy ?? false
    }
    yield* ports.jobs.insert(job)
    // Only what the node must know beyond the command, and only if the request said it; written before the
    // start, so the task finds it. The key stays Redacted until the adapter writes it.
    const apiKey = Option.fromNullable(request.config.api_key)
    const useProxy = Option.fromNullable(request.config.use_proxy)
    if (Option.isSome(apiKey) || Option.isSome(useProxy)) {
      yield* ports.jobOptions.put(scan.id, { api_key: apiKey, use_proxy: useProxy }, ttlFor(request.config.timeout))
    }
    const outcome = yield* ports.scans.command(principal, scan.id, { _tag: "StartScan" }).pipe(
      // A scan created a moment ago by this very request exists and may start.
      Effect.catchTags({ NotFound: Effect.die, Conflict: Effect.die, PreconditionFailed: Effect.die })
    )
    return yield* taskOf(ports, job, outcome.scan, outcome._tag === "Queued")
  }).pipe(Effect.withSpan("CollectService.create"))

export const get = (ports: JobPorts) => (principal: Principal, id: ScanId) =>
  Effect.flatMap(read(ports, principal, id), ({ job, scan }) => taskOf(ports, job, scan, false))

export const cancel = (ports: JobPorts) => (principal: Principal, id: ScanId) =>
  Effect.gen(function*() {
    const { job, scan } = yield* read(ports, principal, id)
    if (isTerminal(scan.status)) {
      // An ended job cannot be cancelled: 409 with its status, not a 200 that reads as a cancellation.
      const task = yield* taskOf(ports, job, scan, false)
      return yield* new StateConflict({
        detail: `job ${id} has already ended (${task.status})`,
        current_status: task.status
      })
    }
    const after = yield* ports.scans.command(principal, id, { _tag: "StopScan" }).pipe(
      Effect.map((outcome) => outcome.scan),
      // It ended meanwhile: its final state is the answer.
      Effect.catchTag("Conflict", () => ports.scans.get(principal, id)),
      Effect.catchTag("NotFound", () => notFound(id)),
      Effect.catchTag("PreconditionFailed", Effect.die)
    )
    return yield* taskOf(ports, job, after, false)
  }).pipe(Effect.withSpan("CollectService.cancel", { attributes: { job_id: id } }))

export const results = (ports: JobPorts) => (principal: Principal, id: ScanId, params: PageParams) =>
  Effect.gen(function*() {
    yield* findJob(ports, principal, id)
    if (params.cursor !== undefined) {
      yield* decodeResultCursor(params.cursor).pipe(
        Effect.mapError(() => BadRequest.field("cursor", "not a cursor of this listing"))
      )
    }
    const page = yield* ports.resultStore.list({
      owner: id,
      limit: params.limit,
      ...(params.cursor === undefined ? {} : { cursor: params.cursor })
    })
    return ResultPage.make({ items: page.items, next_cursor: page.next_cursor })
  })

export const logs = (ports: JobPorts) => (principal: Principal, id: ScanId, params: PageParams) =>
  Effect.gen(function*() {
    yield* findJob(ports, principal, id)
    const page = yield* ports.collectionLog.listForOwner(id, params.cursor ?? null, params.limit)
    return LogPage.make({ items: page.items.map(toLogEntry), next_cursor: page.next_cursor })
  })
