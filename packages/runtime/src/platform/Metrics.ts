/**
 * Mirage's Prometheus metrics: every series the dashboards read, declared once on Effect's `Metric`
 * module, and exposed in the Prometheus text format (what `/metrics` serves) by OpenTelemetry's Prometheus serializer.
 */
import * as OtelMetrics from "@effect/opentelemetry/Metrics"
import * as OtelResource from "@effect/opentelemetry/Resource"
import { ValueType } from "@opentelemetry/api"
import { PrometheusSerializer } from "@opentelemetry/exporter-prometheus"
import type { HistogramMetricData, MetricData } from "@opentelemetry/sdk-metrics"
import { AggregationTemporality, DataPointType } from "@opentelemetry/sdk-metrics"
import type { Exit } from "effect"
import {
  Cause,
  Clock,
  Effect,
  Layer,
  Metric,
  MetricBoundaries,
  MetricKey,
  MetricLabel,
  Option,
  Predicate
} from "effect"
import { constants, PerformanceObserver } from "node:perf_hooks"
import type { PerformanceEntry } from "node:perf_hooks"

type Kind = "counter" | "gauge" | "histogram"

interface Family {
  readonly name: string
  readonly kind: Kind
  readonly help: string
}

const families: Array<Family> = []
const declare = (name: string, kind: Kind, help: string) => {
  families.push({ name, kind, help })
  return name
}

/** Each declared metric's key, and the tagged series made from it so far (by their labels as JSON). */
const declared = new WeakMap<
  object,
  { readonly key: MetricKey.MetricKey.Untyped; readonly series: Map<string, unknown> }
>()
const fromKey = <M extends object>(key: MetricKey.MetricKey.Untyped, metric: M): M => {
  declared.set(metric, { key, series: new Map() })
  return metric
}

const counter = (name: string, help: string) => {
  const key = MetricKey.counter(declare(name, "counter", help), { description: help, incremental: true })
  return fromKey(key, Metric.fromMetricKey(key))
}
const gauge = (name: string, help: string) => {
  const key = MetricKey.gauge(declare(name, "gauge", help), { description: help })
  return fromKey(key, Metric.fromMetricKey(key))
}
const histogram = (name: string, help: string, boundaries: ReadonlyArray<number>) => {
  const key = MetricKey.histogram(declare(name, "histogram", help), MetricBoundaries.fromIterable(boundaries), help)
  return fromKey(key, Metric.fromMetricKey(key))
}

/**
 * The series of a declared metric with the given labels, made once. `Metric.tagged` adds its labels on every update,
 * and the registry then builds and hashes a new key each time; a series made from its own key finds its entry once.
 */
export const tagged = <Type, In, Out>(
  metric: Metric.Metric<Type, In, Out>,
  labels: Readonly<Record<string, string>>
): Metric.Metric<Type, In, Out> => {
  const tags = () => Object.entries(labels).map(([k, v]) => MetricLabel.make(k, v))
  const entry = declared.get(metric)
  if (entry === undefined) return Metric.taggedWithLabels(metric, tags())
  const id = JSON.stringify(labels)
  let made = entry.series.get(id) as Metric.Metric<Type, In, Out> | undefined
  if (made === undefined) {
    // The series has its metric's key type, so it takes and gives what its metric does.
    made = Metric.fromMetricKey(MetricKey.taggedWithLabels(entry.key, tags())) as unknown as Metric.Metric<
      Type,
      In,
      Out
    >
    entry.series.set(id, made)
  }
  return made
}

/**
 * `tagged` by the values of the named labels, for a hot path: each series is found once per combination of values,
 * without a labels object or its JSON on every update.
 */
export const taggedBy = <Type, In, Out>(metric: Metric.Metric<Type, In, Out>, ...names: ReadonlyArray<string>) => {
  const series = new Map<string, Metric.Metric<Type, In, Out>>()
  return (...values: ReadonlyArray<string>): Metric.Metric<Type, In, Out> => {
    const key = values.length === 1 ? values[0]! : values.join("\u0000")
    let made = series.get(key)
    if (made === undefined) {
      made = tagged(metric, Object.fromEntries(names.map((name, i) => [name, values[i]!])))
      series.set(key, made)
    }
    return made
  }
}

// Seconds, from a cache hit (milliseconds) to a slow source with retries (minutes).
const secondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

export const scans = gauge("mirage_scans", "Scans by status (from the read model)")
export const tasksStarted = counter("mirage_tasks_started_total", "Collection tasks started, by module")
export const tasksCompleted = counter(
  "mirage_tasks_completed_total",
  "Collection tasks ended, by module and outcome (succeeded, a failure kind, interrupted)"
)
export const taskDuration = histogram(
  "mirage_task_duration_seconds",
  "Time from a task's start by its actor to its end, queueing for a slot included",
  secondsBuckets
)
export const moduleDuration = histogram(
  "mirage_module_duration_seconds",
  "Time a module ran on one entity, retries included",
  secondsBuckets
)
export const resultsStored = counter("mirage_results_stored_total", "Results stored by scan actors")
export const streamPending = gauge("mirage_stream_pending", "Entries of a shard's inbox delivered and not acknowledged")
export const streamLag = gauge("mirage_stream_lag", "Entries of a shard's inbox not yet delivered to its group")
export const shardsOwned = gauge("mirage_shards_owned", "Shards a node owns")
export const shardsUnowned = gauge(
  "mirage_shards_unowned",
  "Shards whose lease no live node holds: their commands wait (read by gateways at each scrape)"
)
export const deadLetters = counter(
  "mirage_dead_letters_total",
  "Commands moved to their shard's dead letters, by reason: undecodable, or redelivered (failed too many times)"
)
export const leaseRenewals = counter("mirage_lease_renewals_total", "Shard leases renewed")
export const leasesSelfFenced = counter(
  "mirage_leases_self_fenced_total",
  "Shard leases whose actors a node stopped because it could not renew them in time"
)
export const scheduleFires = counter("mirage_schedule_fires_total", "Due times recorded by schedule actors, by outcome")
export const scheduleFireLag = histogram(
  "mirage_schedule_fire_lag_ms",
  "Milliseconds from a schedule's due time to its run being recorded",
  [5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000, 10000, 30000]
)
export const takeovers = counter(
  "mirage_takeovers_total",
  "Shards acquired by a node, by `from`: none (the shard's first owner) or node (it moved from another node)"
)
export const rateLimitWaits = counter(
  "mirage_rate_limit_waits_total",
  "Token acquisitions that had to wait for the source's rate limit"
)
export const source429 = counter("mirage_source_429_total", "429 (rate limited) answers from a source")
export const cacheHits = counter("mirage_cache_hits_total", "Request cache hits, by source")
export const cacheMisses = counter("mirage_cache_misses_total", "Request cache misses, by source")
export const proxyHealthy = gauge("mirage_proxy_healthy", "1 when a forward proxy is in service, 0 when evicted")
export const gatewayWorkers = gauge(
  "mirage_gateway_workers",
  "Gateway processes whose series this scrape holds (MIRAGE_GATEWAY_WORKERS when every one answered)"
)
export const httpRequests = counter("mirage_http_requests_total", "HTTP requests answered, by route and status")
export const httpDuration = histogram(
  "mirage_http_request_duration_seconds",
  "HTTP request duration, by route",
  [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
)

/** The outcome label of an ended task: `succeeded`, the failure's `kind`, `interrupted` or `defect`. */
export const taskOutcome = (exit: Exit.Exit<unknown, unknown>): string => {
  if (exit._tag === "Success") return "succeeded"
  if (Cause.isInterruptedOnly(exit.cause)) return "interrupted"
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) return "defect"
  const error = failure.value
  return Predicate.hasProperty(error, "kind") && typeof error.kind === "string" ? error.kind : "failed"
}

const noLabels: ReadonlyArray<MetricLabel.MetricLabel> = []

// Every task updates these three.
const startedByModule = taggedBy(tasksStarted, "module")
const completedBy = taggedBy(tasksCompleted, "module", "outcome")
const durationByModule = taggedBy(taskDuration, "module")

/** Counts a task's start: with `taskEnded`, what `trackTask` does, for a caller that already holds the task's exit. */
export const taskStarted = (module: string): void => startedByModule(module).unsafeUpdate(1, noLabels)

/** Counts a task's end with its outcome, and its duration. */
export const taskEnded = (module: string, exit: Exit.Exit<unknown, unknown>, seconds: number): void => {
  completedBy(module, taskOutcome(exit)).unsafeUpdate(1, noLabels)
  durationByModule(module).unsafeUpdate(seconds, noLabels)
}

/** Counts a task's start and end (with its outcome) and times it on the Clock. */
export const trackTask = (module: string) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Clock.currentTimeMillis, (start) => {
    taskStarted(module)
    return Effect.onExit(
      self,
      (exit) => Effect.map(Clock.currentTimeMillis, (end) => taskEnded(module, exit, (end - start) / 1000))
    )
  })

/** Times an effect into a seconds histogram on the Clock, whatever its outcome. */
export const timed =
  <In>(metric: Metric.Metric<In, number, unknown>) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(Clock.currentTimeMillis, (start) =>
      Effect.ensuring(
        self,
        Effect.flatMap(Clock.currentTimeMillis, (end) => Metric.update(metric, (end - start) / 1000))
      ))

/** Mirage's metrics as OpenTelemetry sees them: Effect's metric registry read by the OpenTelemetry producer. */
const producer = Effect.runSync(OtelMetrics.makeProducer.pipe(Effect.provide(OtelResource.layerEmpty)))
/** No `target_info` and no `otel_scope_*` labels: the series are Mirage's own, named as the dashboards read them. */
const serializer = new PrometheusSerializer(undefined, false, undefined, true, true)

/** A family with no series yet (a counter nobody has increased) still gets its HELP and TYPE. */
const emptyFamily = (family: Family): MetricData => {
  const descriptor = { name: family.name, description: family.help, unit: "", valueType: ValueType.DOUBLE }
  const common = { aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPoints: [] }
  if (family.kind === "counter") return { ...common, descriptor, dataPointType: DataPointType.SUM, isMonotonic: true }
  if (family.kind === "gauge") return { ...common, descriptor, dataPointType: DataPointType.GAUGE }
  return { ...common, descriptor, dataPointType: DataPointType.HISTOGRAM }
}

/** This process's series (without units) and the resource they were collected under. */
const collected = Effect.promise(() => producer.collect()).pipe(
  Effect.map(({ resourceMetrics }) => ({
    resource: resourceMetrics.resource,
    metrics: resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).map((metric): MetricData => ({
      ...metric,
      descriptor: { ...metric.descriptor, unit: "" }
    }))
  }))
)

/** This process's own series, as data: what a gateway worker hands to the one answering `/metrics` for them all. */
export const snapshot: Effect.Effect<ReadonlyArray<MetricData>> = Effect.map(collected, ({ metrics }) => metrics)

const attributesKey = (attributes: Readonly<Record<string, unknown>>) =>
  JSON.stringify(Object.keys(attributes).sort().map((key) => [key, attributes[key]]))

type HistogramValue = HistogramMetricData["dataPoints"][number]["value"]

const addHistograms = (a: HistogramValue, b: HistogramValue): HistogramValue => ({
  buckets: {
    boundaries: a.buckets.boundaries,
    counts: a.buckets.counts.map((count, i) => count + (b.buckets.counts[i] ?? 0))
  },
  count: a.count + b.count,
  ...(a.sum === undefined && b.sum === undefined ? {} : { sum: (a.sum ?? 0) + (b.sum ?? 0) }),
  ...(a.min === undefined && b.min === undefined ? {} : { min: Math.min(a.min ?? Infinity, b.min ?? Infinity) }),
  ...(a.max === undefined && b.max === undefined ? {} : { max: Math.max(a.max ?? -Infinity, b.max ?? -Infinity) })
})

/**
 * The series of several processes as one process's: counters and histograms (same labels) added, a gauge's series
 * taken from the first snapshot that has it. A gateway's gauges describe shared state (scans by status, shard
 * coverage), read afresh by the process answering the scrape, whose own snapshot comes first.
 */
export const merge = (snapshots: ReadonlyArray<ReadonlyArray<MetricData>>): Array<MetricData> => {
  const merged = new Map<string, { readonly metric: MetricData; readonly points: Map<string, unknown> }>()
  for (const metrics of snapshots) {
    for (const metric of metrics) {
      const name = metric.descriptor.name
      let family = merged.get(name)
      if (family === undefined) {
        family = { metric, points: new Map() }
        merged.set(name, family)
      }
      for (const point of metric.dataPoints) {
        const key = attributesKey(point.attributes)
        const kept = family.points.get(key) as typeof point | undefined
        if (kept === undefined) family.points.set(key, point)
        else if (metric.dataPointType === DataPointType.SUM) {
          family.points.set(key, { ...kept, value: (kept.value as number) + (point.value as number) })
        } else if (metric.dataPointType === DataPointType.HISTOGRAM) {
          const value = addHistograms(kept.value as HistogramValue, point.value as HistogramValue)
          family.points.set(key, { ...kept, value })
        }
      }
    }
  }
  return [...merged.values()].map((
    { metric, points }
  ) => ({ ...metric, dataPoints: [...points.values()] } as MetricData))
}

/**
 * Metrics in the Prometheus text format (0.0.4), serialized by OpenTelemetry's Prometheus exporter: this process's
 * series merged with `others` (other processes' snapshots); every declared family is there, with or without series,
 * and without units.
 */
export const expositionWith = (others: ReadonlyArray<ReadonlyArray<MetricData>>): Effect.Effect<string> =>
  Effect.map(collected, ({ metrics: own, resource }) => {
    const metrics = others.length === 0 ? own : merge([own, ...others])
    const present = new Set(metrics.map((metric) => metric.descriptor.name))
    const scope = { name: "mirage" }
    return serializer.serialize({
      resource,
      scopeMetrics: [{ scope, metrics: [...metrics, ...families.filter((f) => !present.has(f.name)).map(emptyFamily)] }]
    })
  })

/** This process's metrics in the Prometheus text format (0.0.4). */
export const exposition: Effect.Effect<string> = expositionWith([])

export const contentType = "text/plain; version=0.0.4; charset=utf-8"

export const gcPause = histogram(
  "mirage_gc_pause_seconds",
  "The process's garbage collections, by kind: minor (young generation), major (the whole heap), incremental (a step of marking), weakcb",
  [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]
)

const gcKinds: Readonly<Record<number, string>> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb"
}

/** The series of a gc entry's kind (Node 16+ gives it in `detail`; the older `kind` field is deprecated). */
const gcSeriesOf = (entry: PerformanceEntry) => {
  const kind = (entry as PerformanceEntry & { readonly detail?: { readonly kind?: number } }).detail?.kind
  return tagged(gcPause, { kind: (kind === undefined ? undefined : gcKinds[kind]) ?? "other" })
}

/**
 * `mirage_gc_pause_seconds` fed with every garbage collection of this process while the layer is up: how often the
 * whole heap is collected, and how long the process stood still for it, is what a latency tail is often made of.
 */
export const garbageCollectionLayer: Layer.Layer<never> = Layer.scopedDiscard(
  Effect.acquireRelease(
    Effect.sync(() => {
      const observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          Effect.runSync(Metric.update(gcSeriesOf(entry), entry.duration / 1000))
        }
      })
      observer.observe({ entryTypes: ["gc"] })
      return observer
    }),
    (observer) => Effect.sync(() => observer.disconnect())
  )
)
