/**
 * Platform: the clients and process-wide services every other folder uses.
 *
 * Store clients (PgClient, RedisClient, MongoDatabase) and the adapters' shared errors (Errors); metrics in Prometheus
 * exposition (Metrics), one trace per scan (Tracing), JSON logging (Logging); an HTTP listener that never leaves a
 * request unanswered (HttpListener), the guard that keeps a process alive through store outages (ProcessGuard), child
 * processes kept running with backoff (Supervise) and a Random over the system's CSPRNG for processes that draw ids
 * (SecureRandom).
 */
export * as Errors from "./Errors.js"
export * as HttpListener from "./HttpListener.js"
export * as Logging from "./Logging.js"
export * as Metrics from "./Metrics.js"
export * as MongoDatabase from "./MongoDatabase.js"
export * as PgClient from "./PgClient.js"
export * as ProcessGuard from "./ProcessGuard.js"
export * as RedisClient from "./RedisClient.js"
export * as SecureRandom from "./SecureRandom.js"
export * as Supervise from "./Supervise.js"
export * as Tracing from "./Tracing.js"
