/** The platform's settings: the stores, logging and tracing. */
import { Config, Option } from "effect"
import { hostname } from "node:os"
import * as Setting from "./Setting.js"

export const redisUrl = Setting.secret("platform", "REDIS_URL", {
  default: "redis://127.0.0.1:6379",
  description: "Redis; when not loopback, the services script starts nothing"
})
export const redisPrefix = Setting.string("platform", "MIRAGE_REDIS_PREFIX", {
  default: "mirage",
  description: "Namespace of every Redis key"
})
export const databaseUrl = Setting.secret("platform", "DATABASE_URL", {
  default: "postgres://postgres@127.0.0.1:5432/mirage",
  description: "PostgreSQL: scan events, projections, API keys, audit"
})
export const pgPool = Setting.integer("platform", "MIRAGE_PG_POOL", {
  default: 4,
  description:
    "PostgreSQL connections per process: a process's statements come from a few writers at a time, and a few busy server processes cost PostgreSQL less than many woken for one statement each"
})
export const mongoUrl = Setting.secret("platform", "MONGODB_URL", {
  default: "mongodb://127.0.0.1:27017/mirage",
  description: "MongoDB (or FerretDB): results and the collection log"
})
export const logFormat = Setting.literal("platform", "MIRAGE_LOG_FORMAT", ["json", "pretty"], {
  default: process.stdout.isTTY === true ? "pretty" : "json",
  shown: "pretty in a terminal, else json",
  description: "Log lines as JSON, or human-readable"
})
export const otlpEndpoint = Setting.optional("platform", "OTEL_EXPORTER_OTLP_ENDPOINT", {
  shown: "none (tracing off: no spans are made)",
  description: "OTLP/HTTP collector for traces, e.g. http://127.0.0.1:4318"
})
export const serviceName = Setting.optional("platform", "OTEL_SERVICE_NAME", {
  shown: "the process's (mirage-node, mirage-gateway)",
  description: "The service name traces carry"
})
export const otlpBatchDelay = Setting.millis("platform", "OTEL_BSP_SCHEDULE_DELAY", {
  default: "5 seconds",
  description: "How long spans wait in their batch before they are sent, in ms (read by the OpenTelemetry SDK itself)"
})
export const nodeId = Setting.optional("platform", "MIRAGE_NODE_ID", {
  description: "This node's id, unique in the cluster (in Kubernetes the pod name); also its trace instance id",
  shown: "random (node-…); traces: host:pid"
})
/** The instance id traces carry: the node's id, else host and pid. */
export const instanceId = Config.map(nodeId, Option.getOrElse(() => `${hostname()}:${process.pid}`))
