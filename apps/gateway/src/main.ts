/**
 * The gateway process: the real stores and adapters, the bootstrap admin key, then the HTTP server; or, with
 * MIRAGE_GATEWAY_WORKERS above 1, the primary of that many such processes (`Workers`).
 */
import { NodeRuntime } from "@effect/platform-node"
import { describe, validateModuleConfig } from "@mirage/modules/Registry"
import * as RepliesRedis from "@mirage/runtime/cluster/Replies/Redis"
import * as ShardInboxRedis from "@mirage/runtime/cluster/ShardInbox/Redis"
import * as CredentialsConfig from "@mirage/runtime/collection/Credentials/Config"
import * as ModuleCatalog from "@mirage/runtime/collection/ModuleCatalog"
import * as HeapGrowth from "@mirage/runtime/platform/HeapGrowth"
import * as Logging from "@mirage/runtime/platform/Logging"
import * as Metrics from "@mirage/runtime/platform/Metrics"
import * as MongoDatabase from "@mirage/runtime/platform/MongoDatabase"
import * as PgClient from "@mirage/runtime/platform/PgClient"
import * as ProcessGuard from "@mirage/runtime/platform/ProcessGuard"
import * as RedisClient from "@mirage/runtime/platform/RedisClient"
import * as SecureRandom from "@mirage/runtime/platform/SecureRandom"
import * as Tracing from "@mirage/runtime/platform/Tracing"
import * as EventStorePostgres from "@mirage/runtime/scans/EventStore/Postgres"
import * as ResultStoreMongo from "@mirage/runtime/scans/ResultStore/Mongo"
import * as ScanReadModelPostgres from "@mirage/runtime/scans/ScanReadModel/Postgres"
import * as ApiKeysPostgres from "@mirage/runtime/tenancy/ApiKeys/Postgres"
import { Effect, Layer } from "effect"
import cluster from "node:cluster"
import * as Bootstrap from "./Bootstrap.js"
import * as KeyCache from "./KeyCache.js"
import * as Server from "./Server.js"
import * as Settings from "./Settings.js"
import * as Workers from "./Workers.js"

const Stores = Layer.mergeAll(PgClient.layer, RedisClient.layer, MongoDatabase.layer)

const Adapters = Layer.mergeAll(
  EventStorePostgres.layer,
  ShardInboxRedis.layer,
  RepliesRedis.layer,
  ResultStoreMongo.layer,
  ScanReadModelPostgres.layer,
  // Each request's key lookup, kept for KeyCache.ttl.
  KeyCache.layer.pipe(Layer.provide(ApiKeysPostgres.layer)),
  // Keyed modules without a configured key are left out of scans from templates.
  ModuleCatalog.layerKeyed(describe(), validateModuleConfig).pipe(Layer.provide(CredentialsConfig.layer))
).pipe(Layer.provideMerge(Stores))

/** The gateway in this process; a worker of several leaves the first admin key to the primary. */
const gateway = (worker: boolean) =>
  Server.layer.pipe(
    Layer.provide(worker ? Workers.layerWorker : Bootstrap.layer),
    Layer.provide(Adapters),
    // A store restart must not end the gateway: requests meanwhile fail with 503 and are retried.
    Layer.merge(ProcessGuard.layer),
    // The process's garbage collections in /metrics.
    Layer.merge(Metrics.garbageCollectionLayer)
  )

/** The primary of several workers: the first admin key ensured once, then the workers started and kept running. */
const primary = (workers: number) =>
  Bootstrap.run.pipe(
    Effect.provide(ApiKeysPostgres.layer.pipe(Layer.provide(PgClient.layer))),
    Effect.zipRight(Workers.primary(workers)),
    Effect.scoped
  )

Effect.gen(function*() {
  // Applied in the primary and in each worker: it is a setting of the process's own heap.
  yield* HeapGrowth.apply(Settings.heapGrowthPercent, "MIRAGE_GATEWAY_HEAP_GROWTH_PERCENT")
  const workers = yield* Settings.workers
  if (cluster.isPrimary && workers > 1) return yield* primary(workers)
  // A worker's log lines say which worker wrote them (node:cluster's id: 1…N, then N+1… for those started again).
  const launched = Layer.launch(gateway(cluster.isWorker))
  return yield* cluster.worker === undefined
    ? launched
    : Effect.annotateLogs(launched, "gateway.worker", cluster.worker.id)
}).pipe(
  // Spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
  Effect.provide(Tracing.layer("mirage-gateway")),
  Effect.provide(Logging.layer),
  // The ids the gateway draws (scans, commands, templates) must not repeat across replicas and restarts.
  SecureRandom.provide,
  NodeRuntime.runMain
)
