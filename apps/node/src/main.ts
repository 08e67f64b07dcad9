/** An actor node process: hosts the scan actors of the shards it owns until SIGTERM, then hands them off. */
import { NodeRuntime } from "@effect/platform-node"
import * as Node from "@mirage/runtime/cluster/Node"
import * as NodeEndpoints from "@mirage/runtime/cluster/NodeEndpoints"
import * as ScheduleHost from "@mirage/runtime/monitoring/schedules/ScheduleHost"
import * as Logging from "@mirage/runtime/platform/Logging"
import * as Metrics from "@mirage/runtime/platform/Metrics"
import * as ProcessGuard from "@mirage/runtime/platform/ProcessGuard"
import * as SecureRandom from "@mirage/runtime/platform/SecureRandom"
import * as Tracing from "@mirage/runtime/platform/Tracing"
import { Effect } from "effect"
import { limitGrowth } from "./Heap.js"
import { NodeLive } from "./Layers.js"

const main = Effect.gen(function*() {
  // A store restart must not end the node: its actors back off and resume.
  yield* ProcessGuard.install()
  yield* limitGrowth
  const settings = yield* Node.settingsFromConfig
  const node = yield* Node.run(settings)
  // The schedule actors of the shards the node holds, under their epochs.
  yield* ScheduleHost.fromConfig(node.host.epochs)
  // Serving /health, /ready and /metrics until the node has handed its shards off (finalizers run in reverse).
  yield* NodeEndpoints.serveFromConfig(node)
  yield* Effect.addFinalizer(() => node.shutdown)
  yield* Effect.log(`node ${node.id} up`)
  return yield* Effect.never
}).pipe(
  Effect.scoped,
  Effect.provide(NodeLive),
  // The process's garbage collections in /metrics.
  Effect.provide(Metrics.garbageCollectionLayer),
  // Spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
  Effect.provide(Tracing.layer("mirage-node")),
  Effect.provide(Logging.layer),
  // Node ids, reply channels and the ids a node draws must not repeat across replicas and restarts.
  SecureRandom.provide
)

NodeRuntime.runMain(main)
