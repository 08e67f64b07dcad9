/**
 * The gateway's HTTP server: the API with its OpenAPI document (`/openapi.json`) and docs
 * (`/docs`), and the web console at `/`, on PORT. Every store it needs is an input, so tests give it theirs.
 */
import { HttpApiBuilder, HttpApiSwagger, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import * as RateLimiterRedis from "@mirage/runtime/collection/RateLimiter/Redis"
import * as ChannelGuard from "@mirage/runtime/monitoring/alerts/ChannelGuard"
import * as ChannelSecrets from "@mirage/runtime/monitoring/alerts/ChannelSecrets"
import { createStartingServer } from "@mirage/runtime/platform/HttpListener"
import * as ScanService from "@mirage/runtime/scans/ScanService"
import { Layer } from "effect"
import cluster from "node:cluster"
import * as Console from "./Console.js"
import * as Http from "./Http.js"
import * as Limits from "./Limits.js"
import * as Observability from "./Observability.js"
import * as Problem from "./Problem.js"
import * as Settings from "./Settings.js"

export const ServerConfig = {
  port: Settings.port,
  host: Settings.host
}

/** The API (`/health`, `/ready` and `/metrics` among it) and the console on whatever `HttpServer` is provided; needs ScanService, ApiKeys and the stores. */
export const layerApp = HttpApiBuilder.serve((app) =>
  Observability.middleware(Console.middleware(Limits.middleware(app)))
).pipe(
  Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
  Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
  Layer.provide(Problem.layer),
  Layer.provide(Http.layer),
  HttpServer.withLogAddress
)

/**
 * The gateway on PORT: needs the ports ScanService uses (EventStore, ShardInbox, Replies,
 * ScanReadModel, ResultStore, ModuleCatalog), ApiKeys and RedisClient (the per-key rate limit).
 */
export const layer = layerApp.pipe(
  Layer.provide(ScanService.layer),
  // Alert channels: their addresses guarded as modules' are, their secrets sealed under the channel key.
  Layer.provide(Layer.mergeAll(ChannelGuard.layer, ChannelSecrets.layer)),
  // Per-key request rate in Redis, shared by every gateway.
  Layer.provide(Limits.layer.pipe(Layer.provide(RateLimiterRedis.layer))),
  // A worker of several holds what reaches it while it starts (its port is already served by the others).
  Layer.provide(
    NodeHttpServer.layerConfig(() => createStartingServer(cluster.isWorker ? { holdMs: 10_000 } : {}), ServerConfig)
  )
)
