/**
 * The data collection endpoints (`/collect`, `/sources`): each handler is the principal plus one CollectService use
 * case. The ports it reads beyond the scans' (rate limiter state, collection log, key status, jobs, job options)
 * are its own.
 */
import { HttpApiBuilder } from "@effect/platform"
import { MirageApi } from "@mirage/domain/api/Api"
import { CurrentPrincipal } from "@mirage/domain/api/Authentication"
import * as CollectionLogMongo from "@mirage/runtime/collection/CollectionLog/Mongo"
import { CollectService } from "@mirage/runtime/collection/CollectService"
import * as CollectServiceLive from "@mirage/runtime/collection/CollectService"
import * as CredentialsConfig from "@mirage/runtime/collection/Credentials/Config"
import * as JobOptionsRedis from "@mirage/runtime/collection/JobOptions/Redis"
import * as RateLimiterRedis from "@mirage/runtime/collection/RateLimiter/Redis"
import * as Tracing from "@mirage/runtime/platform/Tracing"
import { Effect, Layer } from "effect"
import { audited } from "../Audited.js"
import * as Problem from "../Problem.js"

export const handlers = HttpApiBuilder.group(MirageApi, "collect", (handlers) =>
  Effect.gen(function*() {
    const collect = yield* CollectService
    return handlers
      .handle("create", ({ payload }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => collect.create(principal, payload)),
          Effect.catchTag("PersistenceError", Problem.unavailable),
          Effect.tap((task) => Tracing.annotate({ job_id: task.id })),
          audited("collect.create", "job", { status: 202, detail: { module_id: payload.module_id } })
        ))
      .handle("get", ({ path }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => collect.get(principal, path.job_id)),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("cancel", ({ path }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => collect.cancel(principal, path.job_id)),
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("collect.cancel", `job/${path.job_id}`)
        ))
      .handle("results", ({ path, urlParams }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => collect.results(principal, path.job_id, urlParams)),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("logs", ({ path, urlParams }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => collect.logs(principal, path.job_id, urlParams)),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("sources", () => collect.sources.pipe(Effect.catchTag("PersistenceError", Problem.unavailable)))
      .handle("source", ({ path }) =>
        collect.source(path.id).pipe(Effect.catchTag("PersistenceError", Problem.unavailable)))
  }))

/** Needs ScanService and the stores' clients (PgClient, RedisClient, MongoDatabase) besides the scans' ports. */
export const layer = handlers.pipe(
  Layer.provide(CollectServiceLive.layer),
  Layer.provide(
    Layer.mergeAll(RateLimiterRedis.layer, CollectionLogMongo.layer, CredentialsConfig.layer, JobOptionsRedis.layer)
  )
)
