/**
 * The Prometheus exposition (every line valid, every dashboard family declared) and a node's own
 * endpoints on real stores: `/health`, `/ready` (200, then 503 with a store away) and `/metrics`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as MembershipMemory from "@mirage/runtime/Membership/Memory"
import * as Metrics from "@mirage/runtime/Metrics"
import * as MongoDatabase from "@mirage/runtime/MongoDatabase"
import * as NodeEndpoints from "@mirage/runtime/NodeEndpoints"
import * as PgClient from "@mirage/runtime/PgClient"
import * as RedisClient from "@mirage/runtime/RedisClient"
import * as ShardInboxMemory from "@mirage/runtime/ShardInbox/Memory"
import { TaskFailure } from "@mirage/runtime/TaskExecutor"
import * as Prometheus from "@mirage/testkit/Prometheus"
import { freshDatabase, freshMongoDatabase, freshRedisPrefix, redisUrl } from "@mirage/testkit/TestStores"
import { Effect, Layer, Metric } from "effect"
import type { Scope } from "effect"

/** Every family the Grafana dashboard reads (histograms by their family name). */
const dashboardFamilies = [
  "mirage_scans",
  "mirage_tasks_started_total",
  "mirage_tasks_completed_total",
  "mirage_task_duration_seconds",
  "mirage_module_duration_seconds",
  "mirage_results_stored_total",
  "mirage_stream_pending",
  "mirage_stream_lag",
  "mirage_shards_owned",
  "mirage_lease_renewals_total",
  "mirage_takeovers_total",
  "mirage_rate_limit_waits_total",
  "mirage_source_429_total",
  "mirage_cache_hits_total",
  "mirage_cache_misses_total",
  "mirage_proxy_healthy",
  "mirage_http_requests_total",
  "mirage_http_request_duration_seconds"
]

const scrape = Effect.flatMap(Metrics.exposition, Prometheus.parse)

const fetchText = (url: string) =>
  Effect.promise(async () => {
    const response = await fetch(url)
    return { status: response.status, type: response.headers.get("content-type"), text: await response.text() }
  })

describe("Metrics", () => {
  it.effect("the exposition is valid text format with HELP and TYPE for every dashboard family", () =>
    Effect.gen(function*() {
      yield* Metric.increment(Metric.tagged(Metrics.cacheHits, "source", "weird \"source\"\\n"))
      yield* Metric.update(Metric.tagged(Metrics.httpDuration, "route", "/scans/:id"), 0.003)
      yield* Metric.update(Metric.tagged(Metrics.httpDuration, "route", "/scans/:id"), 7)
      const exposition = yield* scrape
      for (const family of dashboardFamilies) {
        expect(exposition.help.has(family), family).toBe(true)
        expect(exposition.types.has(family), family).toBe(true)
      }
      expect(exposition.types.get("mirage_task_duration_seconds")).toBe("histogram")
      expect(exposition.types.get("mirage_tasks_completed_total")).toBe("counter")
      expect(exposition.types.get("mirage_stream_lag")).toBe("gauge")
      // Labels survive escaping.
      expect(Prometheus.total(exposition, "mirage_cache_hits_total", { source: "weird \"source\"\\n" })).toBe(1)
      // Buckets are cumulative and end with +Inf, equal to the count.
      const buckets = exposition.samples.filter((s) =>
        s.name === "mirage_http_request_duration_seconds_bucket" && s.labels.route === "/scans/:id"
      )
      expect(buckets.at(-1)?.labels.le).toBe("+Inf")
      expect(buckets.at(-1)?.value).toBe(2)
      expect(buckets.find((b) => b.labels.le === "0.005")?.value).toBe(1)
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value)
      expect(Prometheus.total(exposition, "mirage_http_request_duration_seconds_count", { route: "/scans/:id" })).toBe(
        2
      )
    }))

  it.effect("trackTask counts starts, outcomes and durations per module", () =>
    Effect.gen(function*() {
      const module = `test_module_${Math.random().toString(36).slice(2)}`
      yield* Effect.succeed(1).pipe(Metrics.trackTask(module))
      yield* Effect.fail(new TaskFailure({ kind: "rate_limited", reason: "429" })).pipe(
        Metrics.trackTask(module),
        Effect.ignore
      )
      const exposition = yield* scrape
      expect(Prometheus.total(exposition, "mirage_tasks_started_total", { module })).toBe(2)
      expect(Prometheus.total(exposition, "mirage_tasks_completed_total", { module, outcome: "succeeded" })).toBe(1)
      expect(Prometheus.total(exposition, "mirage_tasks_completed_total", { module, outcome: "rate_limited" })).toBe(1)
      expect(Prometheus.total(exposition, "mirage_task_duration_seconds_count", { module })).toBe(2)
    }))
})

const node = { id: "endpoints-test", host: { owned: () => [0, 1] } }

const stores = (postgresUrl: Effect.Effect<string, never, Scope.Scope>) =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const database = yield* postgresUrl
    const mongo = yield* freshMongoDatabase
    const prefix = (yield* freshRedisPrefix).replace(/:$/, "")
    return Layer.mergeAll(
      PgClient.layerWith(database, 2),
      RedisClient.layerWith({ url: yield* redisUrl, prefix }),
      MongoDatabase.layerWith(mongo.url),
      MembershipMemory.layer(MembershipMemory.makeHub()),
      ShardInboxMemory.layer(ShardInboxMemory.makeStore(2))
    )
  }))

describe("NodeEndpoints", () => {
  it.scopedLive("serves /health, /ready and /metrics on an ephemeral port", () =>
    Effect.gen(function*() {
      const { port } = yield* NodeEndpoints.serve(node, { port: 0, readyTimeoutMs: 2000 })
      const base = `http://127.0.0.1:${port}`
      const health = yield* fetchText(`${base}/health`)
      expect(health.status).toBe(200)
      const ready = yield* fetchText(`${base}/ready`)
      expect(ready.status, ready.text).toBe(200)
      expect(JSON.parse(ready.text)).toMatchObject({ status: "ready" })
      const metrics = yield* fetchText(`${base}/metrics`)
      expect(metrics.status).toBe(200)
      expect(metrics.type).toContain("text/plain")
      const exposition = yield* Prometheus.parse(metrics.text)
      expect(Prometheus.total(exposition, "mirage_shards_owned", { node: node.id })).toBe(2)
      expect(exposition.samples.some((s) => s.name === "mirage_stream_lag" && s.labels.shard === "1")).toBe(true)
    }).pipe(Effect.provide(stores(freshDatabase))))

  it.scopedLive("/ready is a 503 problem when Postgres is unreachable", () =>
    Effect.gen(function*() {
      const { port } = yield* NodeEndpoints.serve(node, { port: 0, readyTimeoutMs: 1000 })
      const ready = yield* fetchText(`http://127.0.0.1:${port}/ready`)
      expect(ready.status).toBe(503)
      expect(ready.type).toContain("application/problem+json")
      const body = JSON.parse(ready.text) as {
        status: number
        detail: string
        checks: Array<{ name: string; ok: boolean }>
      }
      expect(body.status).toBe(503)
      expect(body.detail).toContain("postgres")
      expect(body.checks.find((c) => c.name === "redis")?.ok).toBe(true)
      expect(body.checks.find((c) => c.name === "postgres")?.ok).toBe(false)
    }).pipe(Effect.provide(stores(Effect.succeed("postgres://postgres@127.0.0.1:1/closed")))))
})
