/**
 * A gateway of several processes on one host (MIRAGE_GATEWAY_WORKERS). A primary ensures the first admin key, then
 * starts the workers, which share PORT: node:cluster hands each new connection to the next worker. The primary
 * starts again a worker that exits, with the launcher's backoff, and stops them all when it is stopped. A worker is
 * the single-process gateway; it keeps nothing that replicas could not (rate limits are in Redis, keys cached for
 * `KeyCache.ttl`), so several workers are several replicas on one port.
 *
 * `/metrics` is answered by whichever worker takes the scrape, with every worker's series: it asks the primary,
 * which asks the other workers for theirs (`Metrics.snapshot`) and hands them back to be merged.
 */
import * as Logging from "@mirage/runtime/platform/Logging"
import * as Metrics from "@mirage/runtime/platform/Metrics"
import { Child, stop, supervise } from "@mirage/runtime/platform/Supervise"
import type { MetricData } from "@opentelemetry/sdk-metrics"
import { Context, Effect, Fiber, Layer, Metric } from "effect"
import cluster, { type Worker } from "node:cluster"

/** What `/metrics` serves: this process's series, or in a worker every worker's. */
export class Exposition extends Context.Reference<Exposition>()("@mirage/gateway/Exposition", {
  defaultValue: () => ({ text: Effect.zipRight(Metric.set(Metrics.gatewayWorkers, 1), Metrics.exposition) })
}) {}

type Snapshot = ReadonlyArray<MetricData>

/** The messages between a worker and the primary, over the cluster's IPC channel. */
type Message =
  /** Worker → primary: the other workers' series, please. */
  | { readonly mirage: "others?"; readonly id: number }
  /** Primary → worker: those that answered in time. */
  | { readonly mirage: "others"; readonly id: number; readonly snapshots: ReadonlyArray<Snapshot> }
  /** Primary → worker: this worker's series, please. */
  | { readonly mirage: "snapshot?"; readonly id: number }
  /** Worker → primary: its series. */
  | { readonly mirage: "snapshot"; readonly id: number; readonly metrics: Snapshot }

const isMessage = (value: unknown): value is Message =>
  typeof value === "object" && value !== null && "mirage" in value && "id" in value

/** How long the primary waits for the workers' snapshots: one that has not answered is left out of that scrape. */
const gatherMs = 2_000

/** How long a worker waits for the primary's answer before serving its own series alone. */
const askMs = 3_000

/** How long a worker has to finish its requests once asked to stop, before it is killed. */
const stopGraceMs = 10_000

/**
 * The primary's side of `/metrics`: gathers the other workers' snapshots for the worker that asks. Only workers that
 * listen are asked: one still starting takes no connections, so has no series yet, and may not answer in time.
 */
const makeRelay = () => {
  let nextId = 0
  const gathering = new Map<number, (metrics: Snapshot) => void>()
  const listening = new WeakSet<Worker>()
  const gather = (from: Worker, requestId: number) => {
    const others = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker =>
      worker !== undefined && worker !== from && worker.isConnected() && listening.has(worker)
    )
    const id = ++nextId
    const snapshots: Array<Snapshot> = []
    const answer = () => {
      if (!gathering.delete(id)) return
      clearTimeout(timer)
      if (from.isConnected()) from.send({ mirage: "others", id: requestId, snapshots } satisfies Message)
    }
    const timer = setTimeout(answer, gatherMs)
    gathering.set(id, (metrics) => {
      snapshots.push(metrics)
      if (snapshots.length === others.length) answer()
    })
    if (others.length === 0) return answer()
    for (const worker of others) worker.send({ mirage: "snapshot?", id } satisfies Message)
  }
  return (worker: Worker) => {
    worker.once("listening", () => listening.add(worker))
    worker.on("message", (message: unknown) => {
      if (!isMessage(message)) return
      if (message.mirage === "others?") gather(worker, message.id)
      else if (message.mirage === "snapshot") gathering.get(message.id)?.(message.metrics)
    })
  }
}

/**
 * The primary: `count` workers (this entry point, run again by node:cluster), each started again when it exits,
 * all stopped (SIGTERM, then SIGKILL after a grace) when the scope closes.
 */
export const primary = (count: number) =>
  Effect.gen(function*() {
    // Structured clone rather than JSON: a histogram's snapshot may hold ±Infinity (its min and max before a value).
    cluster.setupPrimary({ serialization: "advanced" })
    const relay = makeRelay()
    const fork = Effect.sync(() => {
      const worker = cluster.fork()
      relay(worker)
      return { child: worker.process, tail: () => [] }
    })
    const workers = yield* Effect.acquireRelease(
      Effect.forEach(Array.from({ length: count }, (_, i) => i + 1), (slot) =>
        Effect.map(fork, ({ child, tail }) => new Child(`gateway worker ${slot}`, child, tail))),
      (workers) =>
        Effect.forEach(workers, (worker) => stop(worker, stopGraceMs), { concurrency: "unbounded" })
    )
    yield* Effect.log(
      `gateway: ${count} workers started`,
      Logging.fields({ "gateway.worker_pids": workers.map((worker) => worker.child.pid) })
    )
    // Forked after the release above is registered, so they are interrupted before the workers are stopped.
    const supervisors = yield* Effect.forEach(workers, (worker) => Effect.forkDaemon(supervise(worker, fork)))
    yield* Effect.addFinalizer(() => Fiber.interruptAll(supervisors))
    return yield* Effect.never
  })

/** In a worker: answers the primary's requests for its series, and serves `/metrics` with every worker's. */
export const layerWorker: Layer.Layer<Exposition> = Layer.scoped(
  Exposition,
  Effect.gen(function*() {
    let nextId = 0
    const asked = new Map<number, (snapshots: ReadonlyArray<Snapshot>) => void>()
    // A closed channel (the primary is gone, and this worker with it) is not an error worth raising here.
    const send = (message: Message) => process.send?.(message, undefined, {}, () => undefined)
    const onMessage = (message: unknown) => {
      if (!isMessage(message)) return
      if (message.mirage === "snapshot?") {
        Effect.runFork(Effect.map(Metrics.snapshot, (metrics) => send({ mirage: "snapshot", id: message.id, metrics })))
      } else if (message.mirage === "others") asked.get(message.id)?.(message.snapshots)
    }
    yield* Effect.acquireRelease(
      Effect.sync(() => process.on("message", onMessage)),
      () => Effect.sync(() => process.off("message", onMessage))
    )
    const others = Effect.async<ReadonlyArray<Snapshot>>((resume) => {
      const id = ++nextId
      asked.set(id, (snapshots) => {
        asked.delete(id)
        resume(Effect.succeed(snapshots))
      })
      send({ mirage: "others?", id })
      return Effect.sync(() => asked.delete(id))
    }).pipe(
      Effect.timeoutFail({ duration: askMs, onTimeout: () => "the primary did not answer" }),
      Effect.catchAll((reason) =>
        Effect.as(Effect.logWarning("/metrics holds this worker's series alone", Logging.fields({ reason })), [])
      )
    )
    return {
      text: Effect.gen(function*() {
        const snapshots = yield* others
        yield* Metric.set(Metrics.gatewayWorkers, 1 + snapshots.length)
        return yield* Metrics.expositionWith(snapshots)
      })
    }
  })
)
