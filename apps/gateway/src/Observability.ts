/**
 * What the gateway's operational endpoints answer: `/health` (the cluster's live nodes and shard coverage),
 * `/ready` (the stores answer and some live node owns a shard), `/metrics` (Prometheus, with gauges read at each
 * scrape); and the middleware counting and timing every request by route and status.
 */
import { HttpServerError, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { HttpApp } from "@effect/platform"
import { Health, ShardCoverage } from "@mirage/domain/api/HealthApi"
import { ScanStatus } from "@mirage/domain/Scan"
import * as Readiness from "@mirage/runtime/cluster/Readiness"
import * as ClusterSettings from "@mirage/runtime/cluster/Settings"
import * as Logging from "@mirage/runtime/platform/Logging"
import * as Metrics from "@mirage/runtime/platform/Metrics"
import { PgClient } from "@mirage/runtime/platform/PgClient"
import { Clock, Config, Duration, Effect, Exit, Metric, Option } from "effect"
import type { Cause } from "effect"
import * as Console from "./Console.js"
import * as Workers from "./Workers.js"

/** How long /health, /ready and /metrics wait for each store's answer, in milliseconds. */
export const ObservabilityConfig = Config.map(ClusterSettings.readyTimeout, Duration.toMillis)

/**
 * The API's route templates, each parameter as `:id`, by first segment and length, those with more fixed segments
 * first (`/alerts/events` before a `/alerts/:id`).
 */
const templates: ReadonlyMap<string, ReadonlyArray<ReadonlyArray<string>>> = (() => {
  const parameters = (template: ReadonlyArray<string>) => template.filter((segment) => segment === ":id").length
  const byShape = new Map<string, Array<ReadonlyArray<string>>>()
  for (const path of Console.apiPaths) {
    const template = path.split("/").map((segment) => (segment.startsWith(":") ? ":id" : segment))
    const shape = `${template[1]}/${template.length}`
    byShape.set(shape, [...(byShape.get(shape) ?? []), template])
  }
  for (const shaped of byShape.values()) shaped.sort((a, b) => parameters(a) - parameters(b))
  return byShape
})()

const matches = (template: ReadonlyArray<string>, segments: ReadonlyArray<string>) =>
  template.every((segment, i) => (segment === ":id" ? segments[i] !== "" : segment === segments[i]))

/**
 * The route label of a URL: the API route it names (`/scans/:id/results`), `console` for the web console's pages and
 * assets, `other` for paths no route serves. The labels are as few as the routes, whatever paths clients send.
 */
export const routeOf = (url: string): string => {
  const query = url.indexOf("?")
  const segments = (query === -1 ? url : url.slice(0, query)).split("/")
  const first = segments[1] ?? ""
  if (first === "") return "/"
  if (Console.documentSegments.includes(first)) return `/${first}`
  if (!Console.apiSegments.has(first)) return "console"
  const template = templates.get(`${first}/${segments.length}`)?.find((template) => matches(template, segments))
  return template === undefined ? "other" : template.join("/")
}

const requestsBy = Metrics.taggedBy(Metrics.httpRequests, "route", "status")
const durationBy = Metrics.taggedBy(Metrics.httpDuration, "route")

/** The status a request was answered with, and the cause when it failed (as the server answers a failure). */
const answered = (
  exit: Exit.Exit<HttpServerResponse.HttpServerResponse, unknown>
): { readonly status: number; readonly cause: Option.Option<Cause.Cause<unknown>> } => {
  if (Exit.isSuccess(exit)) return { status: exit.value.status, cause: Option.none() }
  const [response, cause] = HttpServerError.causeResponseStripped(exit.cause)
  return { status: response.status, cause }
}

/**
 * One answer counted, timed and logged: its method, URL, status and duration as the line's fields (a failure's cause
 * with it). The fields go with the line, not into the fiber's annotations: this runs for every request.
 */
const answeredRequest = Effect.fnUntraced(function*(
  exit: Exit.Exit<HttpServerResponse.HttpServerResponse, unknown>,
  request: { readonly method: string; readonly url: string; readonly route: string; readonly start: number }
) {
  const end = yield* Clock.currentTimeMillis
  const { cause, status } = answered(exit)
  const { method, route, start, url } = request
  yield* Metric.increment(requestsBy(route, String(status)))
  yield* Metric.update(durationBy(route), (end - start) / 1000)
  const line = Logging.fields({
    "http.method": method,
    "http.url": url,
    "http.status": status,
    "http.duration_ms": end - start
  })
  yield* Option.isSome(cause)
    ? Effect.logError("Sent HTTP response", cause.value, line)
    : Effect.log("Sent HTTP response", line)
})

/**
 * Counts and times every request by route and status, and logs it (`answeredRequest`). No generator function is made
 * per request here, and a request's closures keep only its strings: V8 gives every generator function it makes a hidden
 * class of its own, in the old generation and pointing back at the function, so one made per request keeps what its
 * closure captured alive through young collections until the next full one (see the README, "Where an API read's CPU
 * goes").
 */
export const middleware = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.flatMap(
    HttpServerRequest.HttpServerRequest,
    ({ method, url }) =>
      Effect.flatMap(Clock.currentTimeMillis, (start) => {
        const request = { method, url, route: routeOf(url), start }
        return Effect.onExit(app, (exit) => answeredRequest(exit, request))
      })
  )

/** Sets `mirage_scans{status}` from the `scans` projection. */
export const refreshScans = Effect.gen(function*() {
  const sql = yield* PgClient
  const rows = yield* Effect.tryPromise(() =>
    sql<Array<{ status: string; n: number }>>`
      select status, count(*)::int as n from scans where deleted_at is null group by status
    `
  )
  const counts = new Map(rows.map((row) => [row.status, row.n]))
  for (const status of ScanStatus.literals) {
    yield* Metric.set(Metrics.tagged(Metrics.scans, { status }), counts.get(status) ?? 0)
  }
}).pipe(
  Effect.timeout("2 seconds"),
  Effect.catchAll((error) => Effect.logWarning("scan counts not refreshed", error))
)

/** Sets `mirage_shards_unowned` from the leases in Redis. */
export const refreshCoverage = (shards: number, timeoutMs: number) =>
  Readiness.coverage(shards, timeoutMs).pipe(
    Effect.flatMap(({ unowned }) => Metric.set(Metrics.shardsUnowned, unowned.length)),
    Effect.catchAll((error) => Effect.logWarning("shard coverage not refreshed", error))
  )

/** `/metrics`: the gauges read now, then every series (every worker's, in a gateway of several). */
export const metrics = (shards: number, timeoutMs: number) =>
  Effect.all([refreshScans, refreshCoverage(shards, timeoutMs)], { concurrency: "unbounded", discard: true }).pipe(
    Effect.zipRight(Effect.flatMap(Workers.Exposition, (exposition) => exposition.text)),
    Effect.map((text) => HttpServerResponse.text(text, { contentType: Metrics.contentType }))
  )

/** `/health`: always an answer; `degraded` with the reason when a shard has no live owner or Redis is unreadable. */
export const health = (shards: number, timeoutMs: number) =>
  Effect.match(Readiness.coverage(shards, timeoutMs), {
    onFailure: (detail) =>
      Health.make({
        status: "degraded",
        live_nodes: null,
        shards: null,
        detail: `cluster state unreadable: ${detail}`
      }),
    onSuccess: (coverage) => {
      const problem = Readiness.coverageProblem(coverage)
      return Health.make({
        status: problem === null ? "ok" : "degraded",
        live_nodes: coverage.nodes.length,
        shards: ShardCoverage.make({
          total: shards,
          owned: shards - coverage.unowned.length,
          unowned: coverage.unowned
        }),
        detail: problem
      })
    }
  })

/** `/ready`: 200 when every store answers and some live node owns a shard, a 503 problem listing the checks otherwise. */
export const ready = (shards: number, timeoutMs: number) =>
  Effect.all([Readiness.stores(timeoutMs), Readiness.shardsCheck(shards, timeoutMs)], { concurrency: "unbounded" })
    .pipe(Effect.map(([stores, coverage]) => {
      const answer = Readiness.answer([...stores, coverage])
      return HttpServerResponse.unsafeJson(answer.body, { status: answer.status, contentType: answer.contentType })
    }))
