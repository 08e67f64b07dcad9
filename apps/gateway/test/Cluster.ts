/**
 * The gateway with actor nodes in this process, over fresh isolated stores: the real adapters and
 * the node's orchestration layer (observers, task slots), with a scripted TaskExecutor whose
 * behaviour (fan-out, delay, failures) each test chooses. Tests start and stop nodes themselves.
 */
import { NodeHttpServer } from "@effect/platform-node"
import { expect } from "@effect/vitest"
import * as MembershipRedis from "@mirage/runtime/cluster/Membership/Redis"
import * as Node from "@mirage/runtime/cluster/Node"
import * as RepliesRedis from "@mirage/runtime/cluster/Replies/Redis"
import * as ShardInboxRedis from "@mirage/runtime/cluster/ShardInbox/Redis"
import * as ShardLeasesRedis from "@mirage/runtime/cluster/ShardLeases/Redis"
import * as ModuleCatalog from "@mirage/runtime/collection/ModuleCatalog"
import * as ScopeGuard from "@mirage/runtime/collection/ScopeGuard"
import type { TaskSpec } from "@mirage/runtime/collection/TaskExecutor"
import { TaskExecutor } from "@mirage/runtime/collection/TaskExecutor"
import type { Finding } from "@mirage/runtime/collection/TaskExecutor"
import { TaskFailure } from "@mirage/runtime/collection/TaskExecutor"
import * as TaskPool from "@mirage/runtime/collection/TaskPool"
import * as MongoDatabase from "@mirage/runtime/platform/MongoDatabase"
import * as PgClient from "@mirage/runtime/platform/PgClient"
import * as RedisClient from "@mirage/runtime/platform/RedisClient"
import * as EventStorePostgres from "@mirage/runtime/scans/EventStore/Postgres"
import * as Journal from "@mirage/runtime/scans/Journal"
import * as Orchestration from "@mirage/runtime/scans/Orchestration"
import * as ResultStoreMongo from "@mirage/runtime/scans/ResultStore/Mongo"
import * as ScanReadModelPostgres from "@mirage/runtime/scans/ScanReadModel/Postgres"
import * as ScanService from "@mirage/runtime/scans/ScanService"
import * as ApiKeysPostgres from "@mirage/runtime/tenancy/ApiKeys/Postgres"
import * as ChannelPorts from "@mirage/testkit/ChannelPorts"
import { freshDatabase, freshMongoDatabase, freshRedisPrefix, redisUrl } from "@mirage/testkit/TestStores"
import { ConfigProvider, Effect, Either, Exit, Layer, Scope } from "effect"
import * as Server from "../src/Server.js"
import * as Gateway from "./Gateway.js"
import { catalog } from "./Gateway.js"

export const shards = 8

export const nodeSettings = (nodeId: string): Node.NodeSettings => ({
  nodeId,
  consumer: nodeId,
  leaseTtlMs: 1500,
  memberTtlMs: 1000,
  roundMs: 100,
  movesPerRound: shards,
  readBlockMs: 50,
  readCount: 256,
  drainMs: 2000,
  maxDeliveries: 5,
  passivateMs: 60_000,
  reclaimIdleMs: 3000,
  restartDelayMs: 200,
  scanConcurrency: 4,
  snapshotEvery: 50
})

/** Fast retries and polls for tests (the defaults are production's). */
const testConfig = ConfigProvider.fromMap(
  new Map([
    ["MIRAGE_WEBHOOK_RETRY_BASE_MS", "50"],
    ["MIRAGE_WEBHOOK_RETRY_MAX_MS", "200"],
    ["MIRAGE_WEBHOOK_RETRIES", "4"],
    ["MIRAGE_TASK_SLOT_POLL_MS", "20"],
    ["MIRAGE_TASK_SLOT_LEASE_MS", "3000"],
    ["MIRAGE_CHANNEL_KEY", ChannelPorts.testKeyHex],
    // Webhook receivers of these tests listen on loopback, which production's policy refuses.
    ["MIRAGE_ALLOW_NETWORKS", ScopeGuard.sandboxNetworks.join(",")]
  ])
)

/** The gateway's check of webhook URLs, under the same policy as the nodes' guard here. */
export const webhookPolicy = Either.getOrThrow(ScopeGuard.makePolicy({ allow: ScopeGuard.sandboxNetworks }))

/**
 * Every adapter of a node and a gateway over stores of their own: a fresh PostgreSQL database (migrated), MongoDB
 * database and Redis prefix, dropped when the scope closes.
 */
export const freshAdapters = (options: {
  readonly shards: number
  readonly catalog: Layer.Layer<ModuleCatalog.ModuleCatalog>
}) =>
  Effect.gen(function*() {
    const databaseUrl = yield* freshDatabase
    const mongo = yield* freshMongoDatabase
    const prefix = (yield* freshRedisPrefix).replace(/:$/, "")
    const redis = yield* redisUrl
    const Stores = Layer.mergeAll(
      PgClient.layerWith(databaseUrl, 8),
      RedisClient.layerWith({ url: redis, prefix }),
      MongoDatabase.layerWith(mongo.url)
    )
    return Layer.mergeAll(
      EventStorePostgres.layer,
      ShardInboxRedis.layerWith(options.shards),
      RepliesRedis.layer,
      ResultStoreMongo.layer,
      ScanReadModelPostgres.layer,
      ApiKeysPostgres.layer,
      MembershipRedis.layer,
      ShardLeasesRedis.layer,
      options.catalog
    ).pipe(Layer.provideMerge(Stores))
  })

export const layer = Layer.unwrapScoped(Effect.gen(function*() {
  const Adapters = yield* freshAdapters({ shards, catalog: ModuleCatalog.layerMemory(catalog) })
  return Server.layerApp.pipe(
    Layer.provide(ScanService.layerWith({ commandWaitMs: 5000, projectionWaitMs: 2000, webhookPolicy })),
    Layer.provideMerge(ChannelPorts.layer()),
    Layer.provideMerge(Adapters),
    Layer.provideMerge(NodeHttpServer.layerTest)
  )
}))

export interface Script {
  /** How long every task takes (real time). */
  readonly delayMs?: number
  /** crtsh on a registrable domain (two labels) finds this many subdomains. */
  readonly fanout?: number
  /** Tasks of these modules fail. */
  readonly failing?: ReadonlyArray<string>
}

/** A scripted executor, with the most tasks it ever ran at once (per scan) for quota checks. */
export const scriptedExecutor = (script: Script = {}) => {
  const running = new Map<string, number>()
  let now = 0
  let peak = 0
  const calls: Array<TaskSpec> = []
  const findings = (task: TaskSpec): ReadonlyArray<Finding> => {
    const found = (type: Finding["type"], value: string): Finding => ({
      type,
      value,
      confidence: 0.9,
      source_data: { module: task.module_id },
      metadata: {}
    })
    const value = task.entity.value
    switch (task.module_id) {
      case "crtsh":
        return value.split(".").length === 2
          ? Array.from({ length: script.fanout ?? 3 }, (_, i) => found("DOMAIN", `host${i}.${value}`))
          : []
      case "dns_resolve": {
        const n = Array.from(value).reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 250, 7)
        return [found("IP", `10.0.${n}.${(n * 7) % 250 + 1}`)]
      }
      case "ip_asn":
        return [found("ASN", `AS${64500 + (value.length % 20)}`)]
      default:
        return []
    }
  }
  const executor = TaskExecutor.of({
    run: (task) =>
      Effect.gen(function*() {
        calls.push(task)
        const owner = task.owner
        running.set(owner, (running.get(owner) ?? 0) + 1)
        now++
        peak = Math.max(peak, now)
        yield* Effect.sleep(script.delayMs ?? 20)
        if (script.failing?.includes(task.module_id)) {
          return yield* new TaskFailure({ kind: "failed", reason: "scripted failure" })
        }
        return findings(task)
      }).pipe(
        Effect.ensuring(Effect.sync(() => {
          running.set(task.owner, (running.get(task.owner) ?? 1) - 1)
          now--
        }))
      )
  })
  return { executor, calls, peak: () => peak }
}

/**
 * Starts a node on the cluster's stores with the given executor and the orchestration layer.
 * `stop` is a graceful shutdown; the node also stops when the calling scope closes.
 */
export const startNode = (nodeId: string, executor: TaskExecutor["Type"]) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const layers = Layer.mergeAll(
      Journal.layerWith({ batch: 256, writers: 2 }),
      TaskPool.layerWith(16),
      Layer.succeed(TaskExecutor, executor),
      Orchestration.layer.pipe(Layer.provide(Layer.setConfigProvider(testConfig)))
    )
    const context = yield* Layer.buildWithScope(layers, scope)
    const node = yield* Node.run(nodeSettings(nodeId)).pipe(Effect.provide(context), Scope.extend(scope))
    let stopped = false
    const stop = Effect.suspend(() => {
      if (stopped) return Effect.void
      stopped = true
      return node.shutdown.pipe(Effect.zipRight(Scope.close(scope, Exit.void)))
    })
    yield* Effect.addFinalizer(() => stop)
    return { id: node.id, stop }
  })

export interface Status {
  readonly status: string
  readonly progress: number
  readonly result_count: number
  readonly status_reason: string | null
  readonly tasks: { readonly queued: number; readonly running: number; readonly completed: number }
  readonly rate_per_second: number
  readonly eta_seconds: number | null
  readonly elapsed_seconds: number
  readonly queue_position: number | null
  readonly waiting_for: string | null
}

export const terminal = ["COMPLETED", "FAILED", "CANCELLED"]

/** Polls /status (bounded: 20 s) until `until` holds; every status seen, in order. */
export const pollStatus = (id: string, caller: Gateway.Caller, until: (s: Status) => boolean) =>
  Effect.gen(function*() {
    const seen: Array<Status> = []
    for (let i = 0; i < 400; i++) {
      const answer = yield* Gateway.get(`/scans/${id}/status`, caller)
      expect(answer.status, answer.text).toBe(200)
      const status = answer.body as Status
      seen.push(status)
      if (until(status)) return seen
      yield* Effect.sleep("50 millis")
    }
    return expect.unreachable(`scan ${id} never reached the condition; last ${JSON.stringify(seen.at(-1))}`)
  })

export const untilEnd = (s: Status) => terminal.includes(s.status)
