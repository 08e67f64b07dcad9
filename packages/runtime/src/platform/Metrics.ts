/**
 * Mirage's Prometheus metrics: every series the dashboards read, declared once on Effect's `Metric`
 * module, and the text exposition format rendered from `Metric.snapshot` (what `/metrics` serves).
 */
import type { Exit, MetricPair } from "effect"
import {
  Cause,
  Clock,
  Effect,
  Metric,
  MetricBoundaries,
  MetricKey,
  MetricLabel,
  MetricState,
  Option,
  Predicate
} from "effect"

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

/** Counts a task's start and end (with its outcome) and times it on the Clock. */
export const trackTask = (module: string) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Clock.currentTimeMillis, (start) => {
    tagged(tasksStarted, { module }).unsafeUpdate(1, noLabels)
    return Effect.onExit(self, (exit) =>
      Effect.map(Clock.currentTimeMillis, (end) => {
        tagged(tasksCompleted, { module, outcome: taskOutcome(exit) }).unsafeUpdate(1, noLabels)
        tagged(taskDuration, { module }).unsafeUpdate((end - start) / 1000, noLabels)
      }))
  })

/** Times an effect into a seconds histogram on the Clock, whatever its outcome. */
export const timed =
  <In>(metric: Metric.Metric<In, number, unknown>) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(Clock.currentTimeMillis, (start) =>
      Effect.ensuring(
        self,
        Effect.flatMap(Clock.currentTimeMillis, (end) => Metric.update(metric, (end - start) / 1000))
      ))

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n")
const escapeHelp = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")
const sanitizeName = (name: string) => name.replace(/[^a-zA-Z0-9_:]/g, "_")
const sanitizeLabel = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, "_")

const formatNumber = (value: number | bigint) => {
  if (typeof value === "bigint") return value.toString()
  if (Number.isNaN(value)) return "NaN"
  if (value === Infinity) return "+Inf"
  if (value === -Infinity) return "-Inf"
  return String(value)
}

const labels = (tags: ReadonlyArray<readonly [string, string]>) =>
  tags.length === 0 ? "" : `{${tags.map(([k, v]) => `${sanitizeLabel(k)}="${escapeLabel(v)}"`).join(",")}}`

/** Renders the given snapshot in the Prometheus text format (0.0.4); declared families always get HELP and TYPE. */
export const render = (pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>): string => {
  const lines = new Map<string, { kind: Kind; help: string; samples: Array<string> }>()
  for (const family of families) lines.set(family.name, { kind: family.kind, help: family.help, samples: [] })
  for (const pair of pairs) {
    const name = sanitizeName(pair.metricKey.name)
    const tags = pair.metricKey.tags.map((tag) => [tag.key, tag.value] as const)
    const state = pair.metricState
    const help: string = Option.getOrElse(pair.metricKey.description, () => name)
    const group = (kind: Kind) => {
      const existing = lines.get(name)
      if (existing !== undefined) return existing.samples
      const created = { kind, help, samples: new Array<string>() }
      lines.set(name, created)
      return created.samples
    }
    if (MetricState.isCounterState(state)) {
      group("counter").push(`${name}${labels(tags)} ${formatNumber(state.count)}`)
    } else if (MetricState.isGaugeState(state)) {
      group("gauge").push(`${name}${labels(tags)} ${formatNumber(state.value)}`)
    } else if (MetricState.isHistogramState(state)) {
      const samples = group("histogram")
      let hasInf = false
      for (const [bound, count] of state.buckets) {
        if (bound === Infinity) hasInf = true
        samples.push(`${name}_bucket${labels([...tags, ["le", formatNumber(bound)]])} ${formatNumber(count)}`)
      }
      if (!hasInf) samples.push(`${name}_bucket${labels([...tags, ["le", "+Inf"]])} ${formatNumber(state.count)}`)
      samples.push(`${name}_sum${labels(tags)} ${formatNumber(state.sum)}`)
      samples.push(`${name}_count${labels(tags)} ${formatNumber(state.count)}`)
    }
  }
  const out: Array<string> = []
  for (const [name, family] of lines) {
    out.push(`# HELP ${name} ${escapeHelp(family.help)}`, `# TYPE ${name} ${family.kind}`, ...family.samples)
  }
  return out.join("\n") + "\n"
}

/** The process's metrics in the Prometheus text format. */
export const exposition: Effect.Effect<string> = Effect.map(Metric.snapshot, render)

export const contentType = "text/plain; version=0.0.4; charset=utf-8"
