/**
 * The gateway's operational endpoints beside the API: `/metrics` (Prometheus, scans by status read
 * from the read model at each scrape) and `/ready` (the stores answer); and the middleware counting
 * and timing every request by route and status.
 */
import { HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { HttpApp } from "@effect/platform"
import { ScanStatus } from "@mirage/domain/Scan"
import * as Metrics from "@mirage/runtime/Metrics"
import type { MongoDatabase } from "@mirage/runtime/MongoDatabase"
import { PgClient } from "@mirage/runtime/PgClient"
import * as Readiness from "@mirage/runtime/Readiness"
import type { RedisClient } from "@mirage/runtime/RedisClient"
import { Clock, Config, Effect, Exit, Metric } from "effect"

export const ObservabilityConfig = Config.integer("MIRAGE_READY_TIMEOUT_MS").pipe(
  Config.withDefault(1000),
  Config.withDescription("how long /ready waits for each store's ping")
)

const idLike = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mk_.*|\d+|[A-Za-z0-9_-]{20,})$/i

/** The route label of a path: ids (UUIDs, numbers, keys, long tokens) become `:id` so the series stay few. */
export const routeOf = (url: string): string => {
  const path = url.split("?")[0] ?? "/"
  const segments = path.split("/").map((segment) => (idLike.test(segment) ? ":id" : segment))
  return segments.join("/") || "/"
}

/** Counts and times every request by route and status. */
export const middleware = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const route = routeOf(request.url)
    const start = yield* Clock.currentTimeMillis
    return yield* Effect.onExit(app, (exit) =>
      Effect.gen(function*() {
        const end = yield* Clock.currentTimeMillis
        const status = Exit.isSuccess(exit) ? String(exit.value.status) : "500"
        yield* Metric.increment(Metrics.tagged(Metrics.httpRequests, { route, status }))
        yield* Metric.update(Metrics.tagged(Metrics.httpDuration, { route }), (end - start) / 1000)
      }))
  })

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

/** The answer of `/ready`: 200 when every store answers its ping, a 503 problem listing the checks otherwise. */
export const ready = (timeoutMs: number) =>
  Effect.map(Readiness.stores(timeoutMs), (checks) => {
    const answer = Readiness.answer(checks)
    return HttpServerResponse.unsafeJson(answer.body, { status: answer.status, contentType: answer.contentType })
  })

/** `/metrics` and `/ready` on the API's router; needs the three stores. */
export const layer = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function*() {
    const context = yield* Effect.context<PgClient | RedisClient | MongoDatabase>()
    const timeoutMs = yield* Effect.orDie(ObservabilityConfig)
    yield* router.get(
      "/metrics",
      Effect.zipRight(refreshScans, Metrics.exposition).pipe(
        Effect.map((text) => HttpServerResponse.text(text, { contentType: Metrics.contentType })),
        Effect.provide(context)
      )
    )
    yield* router.get(
      "/ready",
      Effect.provide(ready(timeoutMs), context)
    )
  })
)
