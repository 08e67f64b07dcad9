/**
 * The Prometheus exposition (every line valid, every dashboard family declared) and a node's own
 * endpoints on real stores: `/health`, `/ready` (200, then 503 with a store away) and `/metrics`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as MembershipMemory from "@mirage/runtime/cluster/Membership/Memory"
import * as NodeEndpoints from "@mirage/runtime/cluster/NodeEndpoints"
import * as ShardInboxMemory from "@mirage/runtime/cluster/ShardInbox/Memory"
import { TaskFailure } from "@mirage/runtime/collection/TaskExecutor"
import * as Metrics from "@mirage/runtime/platform/Metrics"
import * as MongoDatabase from "@mirage/runtime/platform/MongoDatabase"
import * as PgClient from "@mirage/runtime/platform/PgClient"
import * as RedisClient from "@mirage/runtime/platform/RedisClient"
import * as Prometheus from "@mirage/testkit/Prometheus"
import { freshDatabase, freshMongoDatabase, freshRedisPrefix, redisUrl } from "@mirage/testkit/TestStores"
import type { MetricData } from "@opentelemetry/sdk-metrics"
import { DataPointType } from "@opentelemetry/sdk-metrics"
import { ConfigProvider, Effect, Layer, Metric } from "effect"
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
  "mirage_leases_self_fenced_total",
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
      // Labels of this test alone: the registry is the process's, and other test files record in it too.
      const run = "metrics-exposition-test"
      const source = `weird "source"\\n ${run}`
      const route = `/exposition-${run}/:id`
      yield* Metric.increment(Metric.tagged(Metrics.cacheHits, "source", source))
      yield* Metric.update(Metric.tagged(Metrics.httpDuration, "route", route), 0.003)
      yield* Metric.update(Metric.tagged(Metrics.httpDuration, "route", route), 7)
      const exposition = yield* scrape
      for (const family of dashboardFamilies) {
        expect(exposition.help.has(family), family).toBe(true)
        expect(exposition.types.has(family), family).toBe(true)
      }
      expect(exposition.types.get("mirage_task_duration_seconds")).toBe("histogram")
      expect(exposition.types.get("mirage_tasks_completed_total")).toBe("counter")
      expect(exposition.types.get("mirage_stream_lag")).toBe("gauge")
      // Labels survive escaping.
      expect(Prometheus.total(exposition, "mirage_cache_hits_total", { source })).toBe(1)
      // Buckets are cumulative and end with +Inf, equal to the count.
      const buckets = exposition.samples.filter((s) =>
        s.name === "mirage_http_request_duration_seconds_bucket" && s.labels.route === route
      )
      expect(buckets.at(-1)?.labels.le).toBe("+Inf")
      expect(buckets.at(-1)?.value).toBe(2)
      expect(buckets.find((b) => b.labels.le === "0.005")?.value).toBe(1)
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value)
      expect(Prometheus.total(exposition, "mirage_http_request_duration_seconds_count", { route })).toBe(2)
    }))

  it.effect("trackTask counts starts, outcomes and durations per module", () =>
    Effect.gen(function*() {
      // A module of this test alone (see above).
      const module = "metrics_track_task_test"
      yield* Effect.succeed(1).pipe(Metrics.trackTask(module))
      // Another module's tasks in between: each module's series are its own (they are found once per module).
      const other = "metrics_track_task_test_other"
      yield* Effect.succeed(1).pipe(Metrics.trackTask(other))
      yield* Effect.fail(new TaskFailure({ kind: "rate_limited", reason: "429" })).pipe(
        Metrics.trackTask(module),
        Effect.ignore
      )
      yield* Effect.fail(new TaskFailure({ kind: "timed_out", reason: "slow" })).pipe(
        Metrics.trackTask(other),
        Effect.ignore
      )
      const exposition = yield* scrape
      expect(Prometheus.total(exposition, "mirage_tasks_started_total", { module: other })).toBe(2)
      expect(Prometheus.total(exposition, "mirage_tasks_completed_total", { module: other, outcome: "timed_out" }))
        .toBe(1)
      expect(Prometheus.total(exposition, "mirage_tasks_completed_total", { module, outcome: "timed_out" })).toBe(0)
      expect(Prometheus.total(exposition, "mirage_tasks_started_total", { module })).toBe(2)
      expect(Prometheus.total(exposition, "mirage_tasks_completed_total", { module, outcome: "succeeded" })).toBe(1)
      expect(Prometheus.total(exposition, "mirage_tasks_completed_total", { module, outcome: "rate_limited" })).toBe(1)
      expect(Prometheus.total(exposition, "mirage_task_duration_seconds_count", { module })).toBe(2)
    }))

  it.effect("several processes' series read as one's: counters and histograms added, gauges from the first", () =>
    Effect.gen(function*() {
      const route = "/merge-test/:id"
      const requests = Metrics.tagged(Metrics.httpRequests, { route, status: "200" })
      yield* Metric.incrementBy(requests, 3)
      yield* Metric.update(Metrics.tagged(Metrics.httpDuration, { route }), 0.003)
      yield* Metric.set(Metrics.gatewayWorkers, 2)
      // Another process's snapshot: this one's series, its gauge read differently, and a series of its own.
      const other = (yield* Metrics.snapshot).map((metric): MetricData =>
        metric.dataPointType === DataPointType.GAUGE && metric.descriptor.name === "mirage_gateway_workers"
          ? { ...metric, dataPoints: metric.dataPoints.map((point) => ({ ...point, value: 9 })) }
          : metric
      )
      yield* Metric.increment(Metrics.tagged(Metrics.httpRequests, { route, status: "503" }))
      yield* Metric.update(Metrics.tagged(Metrics.httpDuration, { route }), 7)
      const merged = yield* Effect.flatMap(Metrics.expositionWith([other, other]), Prometheus.parse)
      expect(Prometheus.total(merged, "mirage_http_requests_total", { route, status: "200" })).toBe(9)
      // Only this process has it.
      expect(Prometheus.total(merged, "mirage_http_requests_total", { route, status: "503" })).toBe(1)
      expect(Prometheus.total(merged, "mirage_http_request_duration_seconds_count", { route })).toBe(4)
      const bucket = (le: string) =>
        Prometheus.total(merged, "mirage_http_request_duration_seconds_bucket", { route, le })
      expect([bucket("0.005"), bucket("10"), bucket("+Inf")]).toEqual([3, 4, 4])
      expect(Prometheus.total(merged, "mirage_http_request_duration_seconds_sum", { route })).toBeCloseTo(7.009)
      expect(Prometheus.total(merged, "mirage_gateway_workers")).toBe(2)
      // The snapshot crosses a process boundary as a structured clone: it reads the same after one.
      const cloned = yield* Effect.flatMap(Metrics.expositionWith([structuredClone(other)]), Prometheus.parse)
      expect(Prometheus.total(cloned, "mirage_http_requests_total", { route, status: "200" })).toBe(6)
      // Merging is not this process's exposition changed: alone, it reads its own.
      expect(Prometheus.total(yield* scrape, "mirage_http_requests_total", { route, status: "200" })).toBe(3)
    }))

  it.scopedLive("counts the process's garbage collections by kind while its layer is up", () =>
    Effect.gen(function*() {
      const minor = (exposition: Prometheus.Exposition) =>
        Prometheus.total(exposition, "mirage_gc_pause_seconds_count", { kind: "minor" })
      const before = minor(yield* scrape)
      yield* Layer.build(Metrics.garbageCollectionLayer)
      // Young garbage until a collection is reported (the observer hears of them a moment later).
      let seen = before
      for (let round = 0; round < 100 && seen === before; round++) {
        let junk: Array<{ readonly i: number }> = []
        for (let i = 0; i < 200_000; i++) junk.push({ i })
        junk = []
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5 + junk.length)))
        seen = minor(yield* scrape)
      }
      expect(seen).toBeGreaterThan(before)
      expect(Prometheus.total(yield* scrape, "mirage_gc_pause_seconds_sum", { kind: "minor" })).toBeGreaterThan(0)
    }))
})

const node = { id: "endpoints-test", host: { owned: () => [0, 1] } }
const inboxes = ShardInboxMemory.makeStore(3)

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
      ShardInboxMemory.layer(inboxes)
    )
  }))

describe("NodeEndpoints", () => {
  it.scopedLive("serves /health, /ready and /metrics on an ephemeral port", () =>
    Effect.gen(function*() {
      // The registry is the process's: a gauge another test set must not pass for this node's. A value no inbox
      // has shows that the scrape set it.
      yield* Metric.set(Metrics.tagged(Metrics.streamLag, { shard: "1" }), -1)
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
      const lag = exposition.samples.find((s) => s.name === "mirage_stream_lag" && s.labels.shard === "1")
      expect(lag?.value).toBeGreaterThanOrEqual(0)
    }).pipe(Effect.provide(stores(freshDatabase))))

  it.scopedLive("/config shows the effective value of every setting the node reads, secrets redacted", () =>
    Effect.gen(function*() {
      // The node's environment: one setting given, one secret given.
      const { port } = yield* NodeEndpoints.serve(node, { port: 0, readyTimeoutMs: 2000 }).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(
          new Map([["MIRAGE_LEASE_TTL_MS", "7000"], ["REDIS_URL", "redis://user:hunter2@127.0.0.1:6379"]])
        ))
      )
      const answer = yield* fetchText(`http://127.0.0.1:${port}/config`)
      expect(answer.status).toBe(200)
      const body = JSON.parse(answer.text) as {
        node: string
        settings: ReadonlyArray<{ name: string; value: string; origin: string }>
      }
      expect(body.node).toBe(node.id)
      const byName = new Map(body.settings.map((setting) => [setting.name, setting]))
      expect(byName.get("MIRAGE_SHARDS")).toMatchObject({ value: "128", origin: "default" })
      expect(byName.get("MIRAGE_LEASE_TTL_MS")).toMatchObject({ value: "7000 (7s)", origin: "set" })
      expect(byName.get("REDIS_URL")).toMatchObject({ value: "<redacted>", origin: "set" })
      expect(answer.text).not.toContain("hunter2")
    }).pipe(Effect.provide(stores(freshDatabase))))

  it.scopedLive("/dead-letters lists the owned shards' dead letters, newest first, with what each command was", () =>
    Effect.gen(function*() {
      const inbox = ShardInboxMemory.make(inboxes)
      const deliver = (shard: number, raw: string) =>
        Effect.gen(function*() {
          yield* ShardInboxMemory.appendRaw(inboxes, shard, raw)
          const [delivery] = yield* inbox.read("c", [shard], { count: 1, blockMs: 0 })
          return delivery!
        })
      const scanId = "6f1c1f3e-2a1b-4c3d-8e9f-0a1b2c3d4e5f"
      const start = JSON.stringify({
        target: scanId,
        command_id: "start-1",
        command: { _tag: "StartScan" },
        reply_to: null,
        traceparent: null,
        sent_at: 0
      })
      yield* inbox.deadLetter(yield* deliver(0, start), "delivered 6 times")
      yield* Effect.sleep("5 millis")
      yield* inbox.deadLetter(yield* deliver(1, "{not json"), "undecodable entry")
      // Shard 2 is not this node's: its dead letters are its owner's to show.
      yield* inbox.deadLetter(yield* deliver(2, start), "delivered 6 times")

      const { port } = yield* NodeEndpoints.serve(node, { port: 0, readyTimeoutMs: 2000 })
      const answer = yield* fetchText(`http://127.0.0.1:${port}/dead-letters`)
      expect(answer.status, answer.text).toBe(200)
      const body = JSON.parse(answer.text) as { node: string; items: Array<Record<string, unknown>> }
      expect(body.node).toBe(node.id)
      expect(body.items.map(({ at: _, id: __, ...item }) => item)).toEqual([
        { shard: 1, reason: "undecodable entry", deliveries: 1, scan_id: null, command: null, command_id: null },
        {
          shard: 0,
          reason: "delivered 6 times",
          deliveries: 1,
          scan_id: scanId,
          command: "StartScan",
          command_id: "start-1"
        }
      ])
      const one = JSON.parse((yield* fetchText(`http://127.0.0.1:${port}/dead-letters?limit=1`)).text) as {
        items: Array<{ shard: number }>
      }
      expect(one.items.map((item) => item.shard)).toEqual([1])
      for (const bad of ["0", "501", "x", "1.5"]) {
        const refused = yield* fetchText(`http://127.0.0.1:${port}/dead-letters?limit=${bad}`)
        expect(refused.status, bad).toBe(400)
        expect(refused.type).toContain("application/problem+json")
      }
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
