/** The gateway process: the real stores and adapters, the bootstrap admin key, then the HTTP server. */
import { NodeRuntime } from "@effect/platform-node"
import { describe, validateModuleConfig } from "@mirage/modules/Registry"
import * as ApiKeysPostgres from "@mirage/runtime/ApiKeys/Postgres"
import * as EventStorePostgres from "@mirage/runtime/EventStore/Postgres"
import * as Logging from "@mirage/runtime/Logging"
import * as ModuleCatalog from "@mirage/runtime/ModuleCatalog"
import * as MongoDatabase from "@mirage/runtime/MongoDatabase"
import * as PgClient from "@mirage/runtime/PgClient"
import * as ProcessGuard from "@mirage/runtime/ProcessGuard"
import * as RedisClient from "@mirage/runtime/RedisClient"
import * as RepliesRedis from "@mirage/runtime/Replies/Redis"
import * as ResultStoreMongo from "@mirage/runtime/ResultStore/Mongo"
import * as ScanReadModelPostgres from "@mirage/runtime/ScanReadModel/Postgres"
import * as ShardInboxRedis from "@mirage/runtime/ShardInbox/Redis"
import * as Tracing from "@mirage/runtime/Tracing"
import { Effect, Layer } from "effect"
import * as Bootstrap from "./Bootstrap.js"
import * as Server from "./Server.js"

const Stores = Layer.mergeAll(PgClient.layer, RedisClient.layer, MongoDatabase.layer)

const Adapters = Layer.mergeAll(
  EventStorePostgres.layer,
  ShardInboxRedis.layer,
  RepliesRedis.layer,
  ResultStoreMongo.layer,
  ScanReadModelPostgres.layer,
  ApiKeysPostgres.layer,
  ModuleCatalog.layerMemory(describe(), validateModuleConfig)
).pipe(Layer.provideMerge(Stores))

Server.layer.pipe(
  Layer.provide(Bootstrap.layer),
  Layer.provide(Adapters),
  // A store restart must not end the gateway: requests meanwhile fail with 503 and are retried.
  Layer.merge(ProcessGuard.layer),
  Layer.launch,
  // Spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
  Effect.provide(Tracing.layer("mirage-gateway")),
  Effect.provide(Logging.layer),
  NodeRuntime.runMain
)
