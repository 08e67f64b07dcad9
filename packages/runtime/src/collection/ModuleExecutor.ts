/**
 * The real task executor: opens the task's module with a context whose HttpClient is wrapped the
 * same way for every module — cache, then the source's global rate limit, then the collection log,
 * then the proxy — with credentials from configuration, retries of what is worth retrying
 * (exponential backoff with jitter, pausing the source on 429), and one collection log summary.
 * Where JobOptions is provided, a standalone job's own key and proxy choice (looked up once per task
 * by the task's scan id) apply when the task does not set them.
 *
 * Its parts: `ModuleExecutor/Task.ts` runs a task, `ModuleExecutor/Session.ts` builds the module's context for
 * an attempt, `ModuleExecutor/SourcePolicy.ts` says what a source allows, `ModuleExecutor/Trail.ts` writes the
 * task's collection log and `ModuleExecutor/ExecutorSettings.ts` turns the declared settings into the executor's.
 * Here they are put together over the ports, real or in memory.
 */
import { SharedLists } from "@mirage/modules"
import type { Module } from "@mirage/modules"
import { Effect, Layer, Option } from "effect"
import * as Metrics from "../platform/Metrics.js"
import * as Tracing from "../platform/Tracing.js"
import { CollectionLog } from "./CollectionLog.js"
import * as CollectionLogMemory from "./CollectionLog/Memory.js"
import * as CollectionLogMongo from "./CollectionLog/Mongo.js"
import { Credentials } from "./Credentials.js"
import * as CredentialsConfig from "./Credentials/Config.js"
import * as CredentialsMemory from "./Credentials/Memory.js"
import { JobOptions } from "./JobOptions.js"
import * as KeyParkingMemory from "./KeyParking/Memory.js"
import { findInstalled } from "./ModuleCatalog.js"
import { defaultSettings, settingsFromConfig } from "./ModuleExecutor/ExecutorSettings.js"
import type { ExecutorSettings } from "./ModuleExecutor/ExecutorSettings.js"
import { execute as executeTask } from "./ModuleExecutor/Task.js"
import type { ModuleExecutorService } from "./ModuleExecutor/Task.js"
import { ProxyPool } from "./ProxyPool.js"
import * as ProxyPoolLive from "./ProxyPool.js"
import { RateLimiter } from "./RateLimiter.js"
import * as RateLimiterMemory from "./RateLimiter/Memory.js"
import * as RateLimiterRedis from "./RateLimiter/Redis.js"
import { RequestCache } from "./RequestCache.js"
import * as RequestCacheMemory from "./RequestCache/Memory.js"
import * as RequestCacheRedis from "./RequestCache/Redis.js"
import * as ScopeGuard from "./ScopeGuard.js"
import { TaskExecutor } from "./TaskExecutor.js"
import type { TaskSpec } from "./TaskExecutor.js"

export {
  defaultSettings,
  ExecutorConfig,
  settingsFromConfig,
  SourceSettings
} from "./ModuleExecutor/ExecutorSettings.js"
export type { ExecutorSettings } from "./ModuleExecutor/ExecutorSettings.js"
export type { ModuleExecutorService } from "./ModuleExecutor/Task.js"
export type { TaskRun } from "./ModuleExecutor/Trail.js"

type Ports = RateLimiter | Credentials | RequestCache | CollectionLog | ProxyPool

export const makeExecutor = (settings: ExecutorSettings): Effect.Effect<ModuleExecutorService, never, Ports> =>
  Effect.gen(function*() {
    const execute = executeTask({
      limiter: yield* RateLimiter,
      credentials: yield* Credentials,
      cache: yield* RequestCache,
      collectionLog: yield* CollectionLog,
      proxies: yield* ProxyPool,
      lists: yield* SharedLists.makeStore,
      // Optional: hosts without it (simulations, tests) run tasks exactly as specified.
      jobOptions: yield* Effect.serviceOption(JobOptions),
      findModule: settings.findModule ?? findInstalled
    }, settings)

    const traced = (task: TaskSpec) =>
      execute(task).pipe(
        Metrics.timed(Metrics.tagged(Metrics.moduleDuration, { module: task.module_id })),
        Tracing.whenTraced("task.collect", () => ({
          captureStackTrace: false,
          attributes: { module_id: task.module_id, task_id: task.task_id, entity_type: task.entity.type }
        }))
      )

    const run = (task: TaskSpec) =>
      Effect.flatMap(traced(task), (result) =>
        Option.match(result.failure, {
          onNone: () => Effect.succeed(result.findings),
          onSome: (failure) => Effect.fail(failure)
        }))

    return { run, execute: traced } satisfies ModuleExecutorService
  })

/** An executor over whatever ports are provided. */
export const layerWith = (settings: ExecutorSettings) => Layer.effect(TaskExecutor, makeExecutor(settings))

/** The real ports: limiter and cache in Redis, the log in MongoDB, keys and proxies from configuration. */
export const portsLayer = Layer.mergeAll(
  RateLimiterRedis.layer,
  RequestCacheRedis.layer,
  CollectionLogMongo.layer,
  CredentialsConfig.layer,
  ProxyPoolLive.layer
)

/** The executor of a node, its modules' addresses guarded: needs RedisClient, MongoDatabase and configuration. */
export const layer = Layer.effect(
  TaskExecutor,
  Effect.gen(function*() {
    const settings = yield* settingsFromConfig
    const guard = yield* ScopeGuard.ScopeGuard
    return yield* makeExecutor({ ...settings, guard })
  })
).pipe(Layer.provide(portsLayer), Layer.provide(ScopeGuard.layer))

export interface MemoryOptions {
  readonly endpoints: Module.ModuleEndpoints
  readonly keys?: Readonly<Record<string, ReadonlyArray<string>>>
  /** Share these between the executors of simulated nodes. */
  readonly limiter?: RateLimiterMemory.RateLimiterHub
  readonly cache?: RequestCacheMemory.RequestCacheStore
  readonly log?: CollectionLogMemory.CollectionLogStore
  readonly parking?: KeyParkingMemory.KeyParkingHub
  readonly settings?: Partial<Omit<ExecutorSettings, "endpoints">>
}

/** The executor on in-memory ports (Effect's Clock throughout, no proxies): for simulations. */
export const layerMemory = (options: MemoryOptions) =>
  layerWith({ ...defaultSettings(options.endpoints), ...options.settings }).pipe(
    Layer.provide(Layer.mergeAll(
      RateLimiterMemory.layer(options.limiter ?? RateLimiterMemory.makeHub()),
      RequestCacheMemory.layer(options.cache ?? RequestCacheMemory.makeStore()),
      CollectionLogMemory.layer(options.log ?? CollectionLogMemory.makeStore()),
      CredentialsMemory.layerWithParking(options.keys ?? {}).pipe(
        Layer.provide(KeyParkingMemory.layer(options.parking ?? KeyParkingMemory.makeHub()))
      ),
      ProxyPoolLive.layerEmpty
    ))
  )
