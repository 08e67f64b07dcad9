/**
 * Test support for the module executor: an executor on real Redis (cache, parked keys) and MongoDB
 * (collection log) under a fresh prefix and database, with the rate limiter twin on the TestClock unless a
 * test asks for the Redis one, and tasks for the fixture world's sources.
 */
import { Entity } from "@mirage/domain/Entity"
import { ModuleId, TaskId } from "@mirage/domain/Ids"
import { TestStores } from "@mirage/testkit"
import { Context, Effect, Layer } from "effect"
import type { Redacted } from "effect"
import { randomUUID } from "node:crypto"
import { CollectionLog } from "../../src/collection/CollectionLog.js"
import * as CollectionLogMongo from "../../src/collection/CollectionLog/Mongo.js"
import { Credentials } from "../../src/collection/Credentials.js"
import * as CredentialsMemory from "../../src/collection/Credentials/Memory.js"
import type { JobOptions } from "../../src/collection/JobOptions.js"
import * as KeyParkingRedis from "../../src/collection/KeyParking/Redis.js"
import { defaultSettings, makeExecutor } from "../../src/collection/ModuleExecutor.js"
import type { ExecutorSettings } from "../../src/collection/ModuleExecutor.js"
import * as ProxyPool from "../../src/collection/ProxyPool.js"
import { RateLimiter } from "../../src/collection/RateLimiter.js"
import * as RateLimiterMemory from "../../src/collection/RateLimiter/Memory.js"
import * as RateLimiterRedis from "../../src/collection/RateLimiter/Redis.js"
import { RequestCache } from "../../src/collection/RequestCache.js"
import * as RequestCacheMemory from "../../src/collection/RequestCache/Memory.js"
import * as RequestCacheRedis from "../../src/collection/RequestCache/Redis.js"
import type { TaskSpec } from "../../src/collection/TaskExecutor.js"
import * as MongoDatabase from "../../src/platform/MongoDatabase.js"
import * as RedisClient from "../../src/platform/RedisClient.js"

// REDIS_URL, else the local default its declaration gives.
export const redisUrl = Effect.runSync(TestStores.redisUrl)

/** A fresh Redis prefix and MongoDB database, shared by the executors ("nodes") of one test. */
export const freshStores = Effect.gen(function*() {
  const prefix = (yield* TestStores.freshRedisPrefix).replace(/:$/, "")
  const mongo = yield* TestStores.freshMongoDatabase
  return { prefix, mongoUrl: mongo.url }
})

export interface NodeOptions {
  readonly stores: { readonly prefix: string; readonly mongoUrl: string }
  readonly endpoints: ExecutorSettings["endpoints"]
  readonly keys?: Readonly<Record<string, ReadonlyArray<string>>>
  /** How long a refused key stays parked (in Redis, for every node of the test); an hour unless said. */
  readonly parkMs?: number
  /** The request cache's twin on the TestClock (shared by the test's nodes) instead of Redis (wall-clock PX). */
  readonly cache?: RequestCacheMemory.RequestCacheStore
  /** The twin's hub (TestClock); absent means the Redis limiter (server clock). */
  readonly hub?: RateLimiterMemory.RateLimiterHub
  readonly settings?: Partial<Omit<ExecutorSettings, "endpoints">>
  readonly proxies?: Layer.Layer<ProxyPool.ProxyPool>
  /** Job options for the executor to read (e.g. JobOptions/Redis on the node's stores); none otherwise. */
  readonly jobOptions?: Layer.Layer<JobOptions, never, RedisClient.RedisClient>
}

/** One node's executor, on its own Redis and MongoDB connections; closed with the test's scope. */
export const node = (options: NodeOptions) =>
  Effect.gen(function*() {
    const stores = Layer.mergeAll(
      RedisClient.layerWith({ url: redisUrl, prefix: options.stores.prefix }),
      MongoDatabase.layerWith(options.stores.mongoUrl)
    )
    const ports = Layer.mergeAll(
      options.hub === undefined ? RateLimiterRedis.layer : RateLimiterMemory.layer(options.hub),
      options.cache === undefined ? RequestCacheRedis.layer : RequestCacheMemory.layer(options.cache),
      CollectionLogMongo.layer,
      CredentialsMemory.layerWithParking(options.keys ?? {}, options.parkMs).pipe(
        Layer.provide(KeyParkingRedis.layer)
      ),
      options.proxies ?? ProxyPool.layerEmpty,
      options.jobOptions ?? Layer.empty
    ).pipe(Layer.provideMerge(stores))
    const context = yield* Layer.build(ports)
    const executor = yield* makeExecutor({ ...defaultSettings(options.endpoints), ...options.settings }).pipe(
      Effect.provide(context)
    )
    return {
      executor,
      limiter: Context.get(context, RateLimiter),
      cache: Context.get(context, RequestCache),
      log: Context.get(context, CollectionLog),
      credentials: Context.get(context, Credentials),
      redis: Context.get(context, RedisClient.RedisClient)
    }
  })

export const owner = () => randomUUID()

export const task = (
  module: string,
  entity: { readonly type: Entity["type"]; readonly value: string },
  extra: {
    readonly owner?: string
    readonly max_results?: number
    readonly use_proxy?: boolean
    readonly api_key?: Redacted.Redacted<string>
    readonly scan_id?: string
  } = {}
): TaskSpec => {
  const id = randomUUID()
  return {
    task_id: TaskId.make(id),
    owner: extra.owner ?? id,
    scan_id: extra.scan_id ?? null,
    module_id: ModuleId.make(module),
    entity: Entity.make(entity),
    config: {},
    priority: "MEDIUM",
    // Longer than any schedule a test drives through, so the test driver never jumps to it.
    timeout_ms: 600_000,
    ...(extra.max_results === undefined ? {} : { max_results: extra.max_results }),
    ...(extra.use_proxy === undefined ? {} : { use_proxy: extra.use_proxy }),
    ...(extra.api_key === undefined ? {} : { api_key: extra.api_key })
  }
}
