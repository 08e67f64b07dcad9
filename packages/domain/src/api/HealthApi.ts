/**
 * The operational endpoints, no key needed: liveness with the cluster's state (`/health`), readiness for load
 * balancers (`/ready`) and Prometheus metrics (`/metrics`).
 */
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { problemContentType } from "./Errors.js"

/** How many of the cluster's shards a live node holds the lease of. */
export class ShardCoverage extends Schema.Class<ShardCoverage>("ShardCoverage")({
  total: Schema.Int,
  owned: Schema.Int,
  /** Shards whose lease no live node holds: their commands wait until a node takes them over. */
  unowned: Schema.Array(Schema.Int)
}) {}

export class Health extends Schema.Class<Health>("Health")({
  /** `degraded` when a shard has no live owner or the cluster's state could not be read. */
  status: Schema.Literal("ok", "degraded"),
  /** Nodes whose membership heartbeat is current; null when it could not be read. */
  live_nodes: Schema.NullOr(Schema.Int),
  shards: Schema.NullOr(ShardCoverage),
  /** Why the status is degraded; null when ok. */
  detail: Schema.NullOr(Schema.String)
}) {}

export const ReadyCheck = Schema.Struct({
  /** `postgres`, `redis`, `mongodb` or `shards`. */
  name: Schema.String,
  ok: Schema.Boolean,
  detail: Schema.NullOr(Schema.String)
}).annotations({ identifier: "ReadyCheck" })

export class Ready extends Schema.Class<Ready>("Ready")({
  status: Schema.Literal("ready"),
  checks: Schema.Array(ReadyCheck)
}) {}

/** The 503 of `/ready`: a problem listing every check, the failed ones with their reason. */
export const NotReady = Schema.Struct({
  type: Schema.Literal("/problems/not-ready"),
  title: Schema.String,
  status: Schema.Literal(503),
  detail: Schema.String,
  checks: Schema.Array(ReadyCheck)
}).annotations({
  identifier: "NotReady",
  description: "A store does not answer, or no live node owns any shard",
  [HttpApiSchema.AnnotationStatus]: 503,
  [HttpApiSchema.AnnotationEncoding]: { kind: "Json", contentType: problemContentType }
})

export const MetricsText = HttpApiSchema.Text({ contentType: "text/plain" }).annotations({
  identifier: "MetricsText",
  description: "The Prometheus text exposition format, version 0.0.4"
})

export class HealthApi extends HttpApiGroup.make("health")
  .add(
    HttpApiEndpoint.get("health", "/health")
      .addSuccess(Health)
      .annotate(OpenApi.Summary, "Liveness, with the cluster's live nodes and shard coverage")
      .annotate(
        OpenApi.Description,
        "200 as long as the gateway serves requests, whatever the stores or nodes do (a failing store must not " +
          "restart gateways). `status` is `degraded`, with `detail`, when some shard has no live owner (its " +
          "commands wait until a node takes it over) or Redis could not be read."
      )
  )
  .add(
    HttpApiEndpoint.get("ready", "/ready")
      .addSuccess(Ready)
      .addError(NotReady)
      .annotate(OpenApi.Summary, "Readiness: whether this gateway can serve commands")
      .annotate(
        OpenApi.Description,
        "200 when PostgreSQL, Redis and MongoDB answer their ping and at least one live node owns a shard; 503 " +
          "(a problem listing every check) otherwise, so a load balancer sends no traffic to a gateway whose " +
          "commands could not be applied. Shards without an owner while others have one are reported in the " +
          "`shards` check but do not fail it: a node takes them over within a lease's time to live."
      )
  )
  .add(
    HttpApiEndpoint.get("metrics", "/metrics")
      .addSuccess(MetricsText)
      .annotate(OpenApi.Summary, "Prometheus metrics of this gateway")
      .annotate(
        OpenApi.Description,
        "Requests by route and status, their durations, `mirage_scans{status}` from the read model and " +
          "`mirage_shards_unowned` (shards no live node owns), read at each scrape."
      )
  )
  .annotate(OpenApi.Title, "Operations")
{}
