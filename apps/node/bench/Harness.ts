/** In-process nodes on the real adapters, and scans created and started the way the gateway does. */
import type { Entity } from "@mirage/domain/Entity"
import type { ModuleId, OrganizationId, ScanId, UserId } from "@mirage/domain/Ids"
import { ScanConfiguration, ScanDefinition, ScanModule } from "@mirage/domain/Scan"
import type { PlannedModule, ScanEvent } from "@mirage/domain/ScanEvent"
import { decide, initial } from "@mirage/domain/ScanMachine"
import * as MembershipRedis from "@mirage/runtime/cluster/Membership/Redis"
import * as Node from "@mirage/runtime/cluster/Node"
import * as RepliesRedis from "@mirage/runtime/cluster/Replies/Redis"
import { ShardInbox } from "@mirage/runtime/cluster/ShardInbox"
import * as ShardInboxRedis from "@mirage/runtime/cluster/ShardInbox/Redis"
import * as ShardLeasesRedis from "@mirage/runtime/cluster/ShardLeases/Redis"
import { shardOf } from "@mirage/runtime/cluster/Shards"
import type { TaskExecutor } from "@mirage/runtime/collection/TaskExecutor"
import * as TaskPool from "@mirage/runtime/collection/TaskPool"
import * as MongoDatabase from "@mirage/runtime/platform/MongoDatabase"
import * as PgClient from "@mirage/runtime/platform/PgClient"
import * as RedisClient from "@mirage/runtime/platform/RedisClient"
import * as PlatformSettings from "@mirage/runtime/platform/Settings"
import * as Tracing from "@mirage/runtime/platform/Tracing"
import { EventStore } from "@mirage/runtime/scans/EventStore"
import type { Append } from "@mirage/runtime/scans/EventStore"
import * as EventStorePostgres from "@mirage/runtime/scans/EventStore/Postgres"
import * as Journal from "@mirage/runtime/scans/Journal"
import * as Orchestration from "@mirage/runtime/scans/Orchestration"
import * as ResultStoreMongo from "@mirage/runtime/scans/ResultStore/Mongo"
import * as ResultWriter from "@mirage/runtime/scans/ResultWriter"
import * as ScanObserver from "@mirage/runtime/scans/ScanObserver"
import { Effect, Either, Exit, Layer, Scope } from "effect"
import { withActorReads } from "../src/Layers.js"
import type { BenchStores } from "./Stores.js"

export const shards = 128

export const layer = (stores: BenchStores) =>
  Layer.mergeAll(
    EventStorePostgres.layer,
    ResultStoreMongo.layer,
    ShardInboxRedis.layerWith(shards),
    RepliesRedis.layer,
    MembershipRedis.layer,
    ShardLeasesRedis.layer
  ).pipe(
    Layer.provideMerge(Layer.mergeAll(
      // A node's pool (MIRAGE_PG_POOL, its default unless set).
      Layer.unwrapEffect(Effect.map(PlatformSettings.pgPool, (max) => PgClient.layerWith(stores.databaseUrl, max))),
      RedisClient.layerWith({ url: stores.redisUrl, prefix: stores.prefix }),
      MongoDatabase.layerWith(stores.mongoUrl)
    ))
  )

/** Default production settings, with a node id. */
export const defaults = (nodeId: string, overrides: Partial<Node.NodeSettings> = {}): Node.NodeSettings => ({
  nodeId,
  consumer: nodeId,
  leaseTtlMs: 4000,
  memberTtlMs: 3000,
  roundMs: 500,
  movesPerRound: 32,
  readBlockMs: 200,
  readCount: 512,
  drainMs: 500,
  maxDeliveries: 5,
  passivateMs: 60_000,
  reclaimIdleMs: 30_000,
  restartDelayMs: 1000,
  scanConcurrency: 16,
  snapshotEvery: 200,
  ...overrides
})

/**
 * What a bench node runs beside its runtime: nothing (the task path alone), or what a node of `npm start` runs, the
 * organizations' task quota and every observer of stored batches (notifications, live progress, correlation, quotas,
 * chaining, inventory and alerts, tracing) with the inventory and correlator the actors read.
 */
export type Composition = "runtime" | "production"

const production = withActorReads(Orchestration.layer)

/** A node in this process; `kill` drops it as SIGKILL would (no drain, leases kept until they expire). */
export const startNode = (
  settings: Node.NodeSettings,
  executor: Layer.Layer<TaskExecutor>,
  slots = 64,
  composition: Composition = "runtime"
) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(
      Layer.mergeAll(
        // A node's group commits as configured (MIRAGE_JOURNAL_*, MIRAGE_RESULT_*; their defaults unless set).
        Journal.layer,
        ResultWriter.layer,
        TaskPool.layerWith(slots),
        executor,
        composition === "production" ? production : ScanObserver.layerNone
      ),
      scope
    )
    // Traced as a node process is: over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, else not at all.
    const node = yield* Node.run(settings).pipe(
      Effect.provide(context),
      Effect.provide(Tracing.layer("mirage-bench")),
      Scope.extend(scope)
    )
    return {
      node,
      shutdown: node.shutdown.pipe(Effect.zipRight(Scope.close(scope, Exit.void))),
      kill: Scope.close(scope, Exit.void)
    }
  })

const organization = "00000000-0000-4000-8000-00000000b001" as OrganizationId
const user = "00000000-0000-4000-8000-00000000b002" as UserId

/** The `ScanCreated` of the `i`-th bench scan, as the gateway would decide it. */
export const creation = (
  scanId: ScanId,
  i: number,
  target: Entity,
  plan: ReadonlyArray<PlannedModule>,
  configuration: Partial<ScanConfiguration> = {}
): Extract<ScanEvent, { readonly _tag: "ScanCreated" }> => {
  const definition = ScanDefinition.make({
    name: `bench ${i}`,
    description: "",
    target,
    modules: plan.map((m) => ScanModule.make({ id: m.id as ModuleId })),
    configuration: ScanConfiguration.make(configuration)
  })
  const [created] = Either.getOrThrow(decide(undefined, {
    _tag: "CreateScan",
    scan_id: scanId,
    header: { organization_id: organization, user_id: user, template_id: null, depends_on: null },
    definition,
    plan
  }, Date.now()))
  return created as Extract<ScanEvent, { readonly _tag: "ScanCreated" }>
}

/** Creates scans as the gateway does (ScanCreated at seq 1, in batches) and returns their states. */
export const createScans = (
  ids: ReadonlyArray<ScanId>,
  target: (i: number) => Entity,
  plan: ReadonlyArray<PlannedModule>,
  configuration: Partial<ScanConfiguration> = {}
) =>
  Effect.gen(function*() {
    const store = yield* EventStore
    const appends: Array<Append> = ids.map((scanId, i) => {
      const created = creation(scanId, i, target(i), plan, configuration)
      return {
        scan_id: scanId,
        shard: shardOf(scanId, shards),
        expected_seq: 0,
        events: [created],
        command_id: `create-${scanId}`,
        fence: null,
        state: initial(created),
        snapshot: false
      }
    })
    for (let i = 0; i < appends.length; i += 500) yield* store.append(appends.slice(i, i + 500))
    return appends.map((append) => append.state)
  })

/** Sends StartScan to each scan through its shard's stream, as the gateway does. */
export const startScans = (ids: ReadonlyArray<ScanId>) =>
  Effect.gen(function*() {
    const inbox = yield* ShardInbox
    yield* Effect.forEach(ids, (scanId) =>
      inbox.send({
        target: scanId,
        command_id: `start-${scanId}`,
        command: { _tag: "StartScan" },
        reply_to: null,
        traceparent: null,
        sent_at: Date.now()
      }), { concurrency: 64, discard: true })
  })

/** Scans of the run with the given status, from the read model. */
export const countStatus = (status: string) =>
  Effect.flatMap(
    PgClient.PgClient,
    (sql) =>
      Effect.promise(() => sql<Array<{ n: number }>>`select count(*)::int as n from scans where status = ${status}`)
  ).pipe(
    Effect.map((rows) => rows[0]?.n ?? 0)
  )
