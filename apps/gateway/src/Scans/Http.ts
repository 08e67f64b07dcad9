/** The scans endpoints: each handler is the principal plus one ScanService use case, audited when it changes something. */
import { HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { MirageApi } from "@mirage/domain/api/Api"
import { CurrentPrincipal } from "@mirage/domain/api/Authentication"
import * as JsonText from "@mirage/domain/api/JsonText"
import { ResultPage, ScanCreated, ScanPage, ScanPending } from "@mirage/domain/api/ScansApi"
import type { ExportFormat, ListResultsParams } from "@mirage/domain/api/ScansApi"
import type { ScanId } from "@mirage/domain/Ids"
import { Scan as ScanSchema } from "@mirage/domain/Scan"
import type { Scan } from "@mirage/domain/Scan"
import { scanBytes } from "@mirage/domain/ScanWire"
import * as Tracing from "@mirage/runtime/platform/Tracing"
import { ProgressFeed } from "@mirage/runtime/scans/ProgressFeed"
import { ScanService } from "@mirage/runtime/scans/ScanService"
import type { CommandOutcome, UserCommand } from "@mirage/runtime/scans/ScanService"
import { Effect, Schema } from "effect"
import { audited } from "../Audited.js"
import { etag, expectedVersion } from "../ETag.js"
import * as JsonBody from "../JsonBody.js"
import * as Problem from "../Problem.js"
import * as Events from "./Events.js"
import * as Export from "./Export.js"

const pending = (scan: Scan) =>
  Schema.encode(ScanPending)(ScanPending.make({ ...scan })).pipe(
    Effect.flatMap((body) => HttpServerResponse.json(body, { status: 202 })),
    Effect.orDie
  )

/**
 * 200 with the scan when its node applied the command, 202 when the answer is still pending or the
 * start waits for quota. The 202 response is built here: Scan and ScanPending have one shape, so
 * encoding by the endpoint's success union would always pick the first (200).
 */
const respond = (outcome: CommandOutcome): Effect.Effect<Scan | HttpServerResponse.HttpServerResponse> =>
  outcome._tag !== "Applied"
    ? pending(outcome.scan)
    : outcome.seq === undefined
    ? Effect.succeed(outcome.scan)
    : versioned(outcome.scan, outcome.seq)

/** The scan with its version in `ETag`; its JSON is made once per scan, whatever reads it. */
const versioned = (scan: Scan, seq: number) =>
  Effect.succeed(JsonBody.respond(ScanSchema, scanBytes(scan), { headers: { etag: etag(seq) } }))

const actions: Record<UserCommand["_tag"], string> = {
  StartScan: "scan.start",
  StopScan: "scan.stop",
  PauseScan: "scan.pause",
  ResumeScan: "scan.resume",
  DeleteScan: "scan.delete"
}

/** The export format a request asks for: `format=`, else an Accept of NDJSON or CSV; none means a page. */
const requestedFormat = (params: ListResultsParams) =>
  Effect.map(HttpServerRequest.HttpServerRequest, (request): ExportFormat | undefined => {
    if (params.format !== undefined) return params.format
    const accept = request.headers["accept"] ?? ""
    if (accept.includes("application/x-ndjson")) return "ndjson"
    if (accept.includes("text/csv")) return "csv"
    return undefined
  })

export const layer = HttpApiBuilder.group(MirageApi, "scans", (handlers) =>
  Effect.gen(function*() {
    const scans = yield* ScanService
    const feed = yield* ProgressFeed
    // A page of results, or all of them in an export format. Made once: a generator function made per request would
    // keep each request's objects alive until a full collection (see Observability.middleware).
    const results = Effect.fnUntraced(function*(id: ScanId, params: ListResultsParams) {
      const principal = yield* CurrentPrincipal
      const format = yield* requestedFormat(params)
      if (format === undefined) {
        return yield* JsonBody.respondPage(ResultPage, yield* scans.resultsJson(principal, id, params))
      }
      const stream = yield* scans.exportResults(principal, id, params)
      return Export.response(stream, format, `scan-${id}-results`)
    })
    const lifecycle = (id: ScanId, command: UserCommand) =>
      CurrentPrincipal.pipe(
        Effect.flatMap((principal) => scans.command(principal, id, command)),
        // Lifecycle commands carry no If-Match.
        Effect.catchTag("PreconditionFailed", Effect.die),
        Effect.flatMap(respond),
        Effect.catchTag("PersistenceError", Problem.unavailable),
        audited(actions[command._tag], `scan/${id}`)
      )
    return handlers
      .handle("create", ({ payload, urlParams }) =>
        urlParams.dry_run === true
          ? CurrentPrincipal.pipe(
            Effect.flatMap((principal) => scans.planNew(principal, payload)),
            Effect.catchTag("PersistenceError", Problem.unavailable)
          )
          : CurrentPrincipal.pipe(
            Effect.flatMap((principal) => scans.create(principal, payload)),
            Effect.map(({ scan, warnings }) => ScanCreated.make({ ...scan, warnings })),
            Effect.catchTag("PersistenceError", Problem.unavailable),
            Effect.tap((scan) => Tracing.annotate({ scan_id: scan.id })),
            audited("scan.create", "scan", {
              status: 201,
              detail: { name: payload.name, template_id: payload.template_id ?? null }
            })
          ))
      .handle("list", ({ urlParams }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => scans.list(principal, urlParams)),
          Effect.flatMap((page) =>
            JsonBody.respondPage(ScanPage, JsonText.page(page.items.map(scanBytes), page.next_cursor))
          ),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("get", ({ path }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => scans.getVersioned(principal, path.id)),
          Effect.flatMap(({ scan, seq }) => versioned(scan, seq)),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("update", ({ headers, path, payload }) =>
        Effect.all([CurrentPrincipal, expectedVersion(headers["if-match"])]).pipe(
          Effect.flatMap(([principal, expected]) =>
            scans.update(principal, path.id, payload, expected)
          ),
          Effect.flatMap(respond),
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("scan.update", `scan/${path.id}`)
        ))
      .handle("delete", ({ headers, path }) =>
        Effect.all([CurrentPrincipal, expectedVersion(headers["if-match"])]).pipe(
          Effect.flatMap(([principal, expected]) =>
            scans.command(principal, path.id, {
              _tag: "DeleteScan",
              ...(expected === undefined ? {} : { expected_seq: expected })
            })
          ),
          Effect.flatMap((outcome) =>
            outcome._tag === "Applied"
              ? Effect.succeed(HttpServerResponse.empty({ status: 204 }))
              : pending(outcome.scan)
          ),
          Effect.catchTag("PersistenceError", Problem.unavailable),
          Effect.catchTag("Conflict", (conflict) => Effect.die(conflict)),
          audited("scan.delete", `scan/${path.id}`, { status: 204 })
        ))
      .handle("start", ({ path }) => lifecycle(path.id, { _tag: "StartScan" }))
      .handle("stop", ({ path }) => lifecycle(path.id, { _tag: "StopScan" }))
      .handle("pause", ({ path }) => lifecycle(path.id, { _tag: "PauseScan" }))
      .handle("resume", ({ path }) => lifecycle(path.id, { _tag: "ResumeScan" }))
      .handle("plan", ({ path }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => scans.plan(principal, path.id)),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("history", ({ path, urlParams }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => scans.history(principal, path.id, urlParams)),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("status", ({ path }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => scans.status(principal, path.id)),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("results", ({ path, urlParams }) =>
        results(path.id, urlParams).pipe(Effect.catchTag("PersistenceError", Problem.unavailable)))
      .handle("events", ({ path }) =>
        Effect.gen(function*() {
          const principal = yield* CurrentPrincipal
          // Tenancy first (404), then the feed's position, then the snapshot: no change falls between.
          yield* scans.get(principal, path.id)
          const live = yield* feed.follow(path.id)
          const first = yield* Effect.flatMap(scans.status(principal, path.id), Events.snapshot)
          return Events.response(Events.events(first, live))
        }).pipe(Effect.catchTag("PersistenceError", Problem.unavailable)))
  }))
