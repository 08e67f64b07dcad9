/**
 * Reading scans: one scan or a page of them from the projection, its status with rate and ETA, its plan and history
 * from its log, its results by page or all of them as a stream. A scan of another organization is not found.
 */
import type { Principal } from "@mirage/domain/api/Authentication"
import { BadRequest, NotFound } from "@mirage/domain/api/Errors"
import * as JsonText from "@mirage/domain/api/JsonText"
import type { PageBytesOf } from "@mirage/domain/api/JsonText"
import {
  HistoryEntry,
  HistoryPage,
  ResultPage,
  ScanPage,
  ScanStatusReport,
  TaskCounts
} from "@mirage/domain/api/ScansApi"
import type { HistoryParams, ListResultsParams, ListScansParams } from "@mirage/domain/api/ScansApi"
import type { ScanId } from "@mirage/domain/Ids"
import { isTerminal } from "@mirage/domain/Scan"
import type { Scan } from "@mirage/domain/Scan"
import { Chunk, Clock, DateTime, Effect, Either, Option, Schema, Stream } from "effect"
import { EventStore } from "../EventStore.js"
import { ScanQuotas } from "../Quotas.js"
import type { ResultQuery } from "../ResultStore.js"
import { decodeCursor as decodeResultCursor, ResultStore } from "../ResultStore.js"
import { decodeCursor, ScanReadModel } from "../ScanReadModel.js"
import type { ScanView } from "../ScanReadModel.js"
import { planOf } from "./Create.js"

export const notFound = (id: string) => new NotFound({ detail: `no scan ${id}` })

/** The scan as the projection shows it, if it belongs to the principal's organization. */
export const visible = (principal: Principal, id: ScanId) =>
  Effect.flatMap(
    Effect.flatMap(ScanReadModel, (readModel) => readModel.get(principal.organization_id, id)),
    Option.match({ onNone: () => Effect.fail(notFound(id)), onSome: Effect.succeed })
  )

export const get = (principal: Principal, id: ScanId) => Effect.map(visible(principal, id), (view) => view.scan)

/** A scan with its version (the seq of its log), for ETag. */
export const getVersioned = (principal: Principal, id: ScanId) =>
  Effect.map(visible(principal, id), ({ scan, seq }) => ({ scan, seq }))

export const list = Effect.fnUntraced(function*(principal: Principal, params: ListScansParams) {
  const cursor = params.cursor === undefined ? undefined : yield* Either.mapLeft(
    decodeCursor(params.cursor),
    () => BadRequest.field("cursor", "not a cursor of this listing")
  )
  const page = yield* (yield* ScanReadModel).list(principal.organization_id, {
    limit: params.limit,
    cursor,
    status: params.status,
    target_type: params.target_type,
    name: params.name,
    created_after: params.created_after,
    created_before: params.created_before
  })
  // Scans the read model made: validating them again cost a page ~1 ms.
  return ScanPage.make({ items: page.items.map((view) => view.scan), next_cursor: page.next_cursor }, true)
})

const elapsedMs = (view: ScanView, now: number): number => {
  if (view.running_ms !== null) {
    return view.running_ms + (view.running_since === null ? 0 : Math.max(0, now - view.running_since))
  }
  // Without the running time in the projection: wall time since start (counts paused time).
  const { completed_at, started_at, status, updated_at } = view.scan
  if (started_at === null) return 0
  const end = completed_at ?? (status === "RUNNING" ? DateTime.unsafeMake(now) : updated_at)
  return Math.max(0, DateTime.toEpochMillis(end) - DateTime.toEpochMillis(started_at))
}

/** Whether some dependency of a CREATED scan has not ended yet. */
export const waitsForDependencies = (principal: Principal, scan: Scan) => {
  const dependsOn = scan.status === "CREATED" ? scan.depends_on : null
  if (dependsOn === null) return Effect.succeed(false)
  return Effect.flatMap(ScanReadModel, (readModel) =>
    Effect.map(
      Effect.forEach(dependsOn.scan_ids, (dep) => readModel.get(principal.organization_id, dep)),
      (views) => views.some((v) => Option.isSome(v) && !isTerminal(v.value.scan.status))
    ))
}

const rateWindowMs = 60_000

const zeroCounts = TaskCounts.make({ queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 })

/** Seconds left of a running scan: the least of its time budget, its progress so far and its result budget. */
const etaSeconds = (scan: Scan, elapsed: number, rate: number): number | null => {
  if (scan.status !== "RUNNING") return null
  const { max_duration, max_results } = scan.configuration
  const bounds = [Math.max(0, max_duration - elapsed / 1000)]
  if (scan.progress > 0) bounds.push((elapsed / 1000) * (1 - scan.progress) / scan.progress)
  if (rate > 0) bounds.push(Math.max(0, max_results - scan.result_count) / rate)
  return Math.min(...bounds)
}

export const status = Effect.fnUntraced(function*(principal: Principal, id: ScanId) {
  const view = yield* visible(principal, id)
  const now = yield* Clock.currentTimeMillis
  const { scan } = view
  const elapsed = elapsedMs(view, now)
  // Results per second over the last minute, or since the start when it ran less than that.
  const recent = scan.status === "RUNNING" && elapsed > rateWindowMs
    ? { results: yield* (yield* ScanReadModel).resultsSince(id, now - rateWindowMs), ms: rateWindowMs }
    : { results: scan.result_count, ms: elapsed }
  const rate = recent.ms <= 0 ? 0 : recent.results / (recent.ms / 1000)
  const eta = etaSeconds(scan, elapsed, rate)
  const position = scan.status === "CREATED"
    ? yield* (yield* ScanQuotas).position(principal.organization_id, id)
    : null
  const waiting = position !== null
    ? "quota" as const
    : (yield* waitsForDependencies(principal, scan))
    ? "dependencies" as const
    : null
  return ScanStatusReport.make({
    id: scan.id,
    status: scan.status,
    progress: scan.progress,
    result_count: scan.result_count,
    correlation_count: scan.correlation_count,
    tasks: view.tasks === null ? zeroCounts : TaskCounts.make(view.tasks),
    started_at: scan.started_at,
    elapsed_seconds: elapsed / 1000,
    status_reason: scan.status_reason,
    rate_per_second: rate,
    eta_seconds: eta,
    estimated_completion_at: eta === null ? null : DateTime.unsafeMake(now + Math.round(eta * 1000)),
    waiting_for: waiting,
    queue_position: position
  })
})

const resultQuery = (id: ScanId, params: ListResultsParams, limit: number, cursor: string | undefined) =>
  ({
    owner: id,
    limit,
    ...(cursor === undefined ? {} : { cursor }),
    ...(params.data_type === undefined ? {} : { data_type: params.data_type }),
    ...(params.module === undefined ? {} : { module_id: params.module }),
    ...(params.min_confidence === undefined ? {} : { min_confidence: params.min_confidence })
  }) satisfies ResultQuery

/** The store's query for a page of results, once the scan is visible and the cursor one of ours. */
const checkedResultQuery = Effect.fnUntraced(function*(principal: Principal, id: ScanId, params: ListResultsParams) {
  yield* visible(principal, id)
  if (params.cursor !== undefined) {
    // A cursor that is not one of ours is the caller's mistake, not a store failure.
    yield* decodeResultCursor(params.cursor).pipe(
      Effect.mapError(() => BadRequest.field("cursor", "not a cursor of this listing"))
    )
  }
  return resultQuery(id, params, params.limit, params.cursor)
})

export const results = Effect.fnUntraced(function*(principal: Principal, id: ScanId, params: ListResultsParams) {
  const query = yield* checkedResultQuery(principal, id, params)
  const page = yield* (yield* ResultStore).list(query)
  return ResultPage.make({ items: page.items, next_cursor: page.next_cursor })
})

/** The page `results` gives, to be written as the JSON of its encoding in bytes, made of the results' stored bytes. */
export const resultsJson = Effect.fnUntraced(function*(principal: Principal, id: ScanId, params: ListResultsParams) {
  const query = yield* checkedResultQuery(principal, id, params)
  const page = yield* (yield* ResultStore).listJson(query)
  const bytes: PageBytesOf<typeof ResultPage> = JsonText.page(page.items, page.next_cursor)
  return bytes
})

const exportPage = 500

/** Every result matching the filters (cursor and limit ignored), read page by page as the stream is pulled. */
export const exportResults = Effect.fnUntraced(function*(principal: Principal, id: ScanId, params: ListResultsParams) {
  const resultStore = yield* ResultStore
  yield* visible(principal, id)
  return Stream.paginateChunkEffect(
    undefined as string | undefined,
    (cursor) =>
      Effect.map(resultStore.list(resultQuery(id, params, exportPage, cursor)), (page) =>
        [
          Chunk.fromIterable(page.items),
          page.next_cursor === null ? Option.none() : Option.some<string | undefined>(page.next_cursor)
        ] as const)
  )
})

export const plan = Effect.fnUntraced(function*(principal: Principal, id: ScanId) {
  yield* visible(principal, id)
  const loaded = yield* (yield* EventStore).load(id)
  if (Option.isNone(loaded)) return yield* notFound(id)
  const { definition, plan } = loaded.value.state
  return planOf(definition, plan, [])
})

const HistoryCursor = Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative())

export const history = Effect.fnUntraced(function*(principal: Principal, id: ScanId, params: HistoryParams) {
  yield* visible(principal, id)
  const after = params.cursor === undefined ? 0 : yield* Schema.decodeUnknown(HistoryCursor)(
    Buffer.from(params.cursor, "base64url").toString("utf8")
  ).pipe(Effect.mapError(() => BadRequest.field("cursor", "not a cursor of this listing")))
  const stored = yield* (yield* EventStore).events(id, after, params.limit + 1)
  const page = stored.slice(0, params.limit)
  const last = page[page.length - 1]
  return HistoryPage.make({
    items: page.map((e) =>
      HistoryEntry.make({ seq: e.seq, type: e.event._tag, at: DateTime.unsafeMake(e.event.at), event: e.event })
    ),
    next_cursor: stored.length > params.limit && last !== undefined
      ? Buffer.from(String(last.seq), "utf8").toString("base64url")
      : null
  })
})
