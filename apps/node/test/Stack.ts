/**
 * A whole Mirage in one process for end-to-end tests: fresh isolated stores, the fixture world,
 * the real gateway on a test server, and nodes on the real adapters that tests start and kill.
 */
import { NodeSdk } from "@effect/opentelemetry"
import type { Resource } from "@effect/opentelemetry/Resource"
import { NodeHttpServer } from "@effect/platform-node"
import { expect } from "@effect/vitest"
import { CollectionResult } from "@mirage/domain/CollectionTask"
import type { Rule } from "@mirage/domain/correlation/Rule"
import * as Node from "@mirage/runtime/cluster/Node"
import * as CollectionLogMemory from "@mirage/runtime/collection/CollectionLog/Memory"
import * as CredentialsMemory from "@mirage/runtime/collection/Credentials/Memory"
import * as ModuleCatalog from "@mirage/runtime/collection/ModuleCatalog"
import * as ModuleExecutor from "@mirage/runtime/collection/ModuleExecutor"
import * as ProxyPool from "@mirage/runtime/collection/ProxyPool"
import * as RateLimiter from "@mirage/runtime/collection/RateLimiter"
import * as RequestCacheMemory from "@mirage/runtime/collection/RequestCache/Memory"
import type { TaskExecutor } from "@mirage/runtime/collection/TaskExecutor"
import * as TaskPool from "@mirage/runtime/collection/TaskPool"
import * as AlertFeedRedis from "@mirage/runtime/monitoring/alerts/AlertFeed/Redis"
import * as AlertStorePostgres from "@mirage/runtime/monitoring/alerts/AlertStore/Postgres"
import * as Monitor from "@mirage/runtime/monitoring/alerts/Monitor"
import * as Correlator from "@mirage/runtime/monitoring/correlation/Correlator"
import * as InventoryPostgres from "@mirage/runtime/monitoring/inventory/Postgres"
import * as Tracing from "@mirage/runtime/platform/Tracing"
import * as Journal from "@mirage/runtime/scans/Journal"
import * as Orchestration from "@mirage/runtime/scans/Orchestration"
import * as ProgressFeed from "@mirage/runtime/scans/ProgressFeed"
import * as ProgressFeedRedis from "@mirage/runtime/scans/ProgressFeed/Redis"
import * as ResultWriter from "@mirage/runtime/scans/ResultWriter"
import { combine, ScanObserver } from "@mirage/runtime/scans/ScanObserver"
import * as ScanService from "@mirage/runtime/scans/ScanService"
import { FixtureWorld } from "@mirage/testkit"
import * as ChannelPorts from "@mirage/testkit/ChannelPorts"
import { Context, Effect, Exit, Layer, Schema, Scope } from "effect"
import * as Server from "../../gateway/src/Server.js"
import { freshAdapters } from "../../gateway/test/Cluster.js"
import { get, post } from "../../gateway/test/Gateway.js"
import type { Caller } from "../../gateway/test/Gateway.js"

export const shards = 16

export const nodeSettings = (nodeId: string): Node.NodeSettings => ({
  nodeId,
  consumer: nodeId,
  leaseTtlMs: 1500,
  memberTtlMs: 1000,
  roundMs: 100,
  movesPerRound: shards,
  readBlockMs: 50,
  readCount: 256,
  drainMs: 200,
  maxDeliveries: 5,
  passivateMs: 60_000,
  reclaimIdleMs: 5000,
  restartDelayMs: 200,
  scanConcurrency: 8,
  snapshotEvery: 50
})

/**
 * The fixture world's sources: no rate limit to take, nothing cached, no proxy, the keys given (none unless said);
 * the log in memory, one store for every node. The world's per-module settings are forced over every scan's, as the
 * sandbox does, so modules that reach hosts of their own (web, ports, username sites) reach the world's stand-ins
 * whatever a scan says.
 */
export const worldExecutor = (
  world: FixtureWorld.FixtureWorld,
  keys: Readonly<Record<string, ReadonlyArray<string>>> = {}
): Layer.Layer<TaskExecutor> =>
  ModuleExecutor.layerWith({
    ...ModuleExecutor.defaultSettings(world.moduleEndpoints),
    moduleOverrides: world.moduleConfig,
    retries: 2,
    retryBaseMs: 20,
    cacheTtlMs: 0
  }).pipe(Layer.provide(Layer.mergeAll(
    RateLimiter.layerUnlimited,
    RequestCacheMemory.layer(RequestCacheMemory.makeStore()),
    CollectionLogMemory.layer(CollectionLogMemory.makeStore()),
    CredentialsMemory.layer(keys),
    ProxyPool.layerEmpty
  )))

/** The stores, the fixture world and the gateway; `startNode` adds nodes to the same stores. */
export const layer = Layer.unwrapScoped(Effect.gen(function*() {
  const world = yield* FixtureWorld.make
  const Adapters = yield* freshAdapters({
    shards,
    catalog: ModuleCatalog.layer
  })
  const executor = worldExecutor(world)
  return Server.layerApp.pipe(
    Layer.provide(ScanService.layerWith({ commandWaitMs: 5000, projectionWaitMs: 2000 })),
    Layer.provideMerge(ChannelPorts.layer()),
    Layer.provideMerge(Adapters),
    Layer.provideMerge(NodeHttpServer.layerTest),
    Layer.merge(Layer.succeed(World, world)),
    Layer.merge(Layer.succeed(RealExecutor, executor))
  )
}))

export class World extends Context.Tag("test/World")<World, FixtureWorld.FixtureWorld>() {}
export class RealExecutor extends Context.Tag("test/RealExecutor")<RealExecutor, Layer.Layer<TaskExecutor>>() {}

/**
 * Starts a node in this process on the stack's stores. `stop` is a graceful shutdown;
 * `kill` drops it like `kill -9`: no drain, no lease released, nothing more written.
 */
export const startNode = (
  nodeId: string,
  executor?: Layer.Layer<TaskExecutor>,
  options: {
    /** The node's tracer (e.g. `Tracing.layerWith` over an in-memory exporter); Effect's default otherwise. */
    readonly tracing?: Layer.Layer<Resource>
    /** Correlation rules the node evaluates on its scans' results; none (no correlation) otherwise. */
    readonly correlation?: ReadonlyArray<Rule>
    /** Whether the node keeps the inventory: live as results arrive, settled (with alerts) when a run ends. */
    readonly inventory?: boolean
  } = {}
) =>
  Effect.gen(function*() {
    const real = yield* RealExecutor
    const scope = yield* Scope.make()
    // A node the test neither stopped nor killed is killed when the test ends: it must not serve the next test's shards.
    yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
    const layers = Layer.mergeAll(
      Journal.layerWith({ batch: 256, writers: 2 }),
      ResultWriter.layerWith({ batch: 1000, writers: 2 }),
      TaskPool.layerWith(16),
      executor ?? real,
      // Live progress (GET /scans/{id}/events), the last correlation findings and the scan's root span; the rest of
      // orchestration is not part of the stack.
      Layer.effect(
        ScanObserver,
        Effect.all([
          ProgressFeed.observer,
          Correlator.observer,
          options.inventory ? Monitor.observer(() => Effect.void, Effect.void) : Effect.succeed(combine())
        ]).pipe(
          Effect.map(([progress, correlation, monitor]) => combine(progress, correlation, monitor, Tracing.observer))
        )
      ).pipe(
        Layer.provide(Layer.mergeAll(ProgressFeedRedis.layer, Monitoring))
      )
    ).pipe(
      Layer.provideMerge(options.correlation ? Correlator.layerWith(options.correlation) : Layer.empty),
      Layer.provideMerge(options.inventory ? Orchestration.layerInventory : Layer.empty)
    )
    // Built into the node's own scope: killing the node stops its journal and pool too.
    const context = yield* Layer.buildWithScope(layers, scope)
    // The tracer is a fiber setting, carried by a runtime that lives as long as the node: its fibers, forked here, keep it.
    const traced = yield* Layer.toRuntime(options.tracing ?? NodeSdk.layerEmpty).pipe(Scope.extend(scope))
    const node = yield* Node.run(nodeSettings(nodeId)).pipe(
      Effect.provide(context),
      Effect.provide(traced),
      Scope.extend(scope)
    )
    return {
      id: node.id,
      node,
      stop: node.shutdown.pipe(Effect.zipRight(Scope.close(scope, Exit.void))),
      kill: Scope.close(scope, Exit.void)
    }
  })

/** What the monitor observer reads and writes besides the inventory: alert rules, the alert feed, channels. */
const Monitoring = Layer.mergeAll(
  AlertStorePostgres.layer.pipe(Layer.provide(ChannelPorts.layer({ policy: ChannelPorts.loopbackOnly }))),
  AlertFeedRedis.layer,
  InventoryPostgres.layer
)

const Page = Schema.Struct({ items: Schema.Array(CollectionResult), next_cursor: Schema.NullOr(Schema.String) })

/** Every result of a scan, page by page through the gateway. */
export const allResults = (id: string, caller: Caller, pageSize = 200) =>
  Effect.gen(function*() {
    const items: Array<CollectionResult> = []
    let cursor: string | null = null
    do {
      const path: string = `/scans/${id}/results?limit=${pageSize}${cursor === null ? "" : `&cursor=${cursor}`}`
      const answer: { readonly body: unknown } = yield* get(path, caller)
      const page: typeof Page.Type = yield* Schema.decodeUnknown(Page)(answer.body)
      items.push(...page.items)
      cursor = page.next_cursor
    } while (cursor !== null)
    return items
  })

/** Starts a scan just created (201 expected) and polls its status until it ends; the scan id and its last status. */
export const startAndWait = (
  created: { readonly status: number; readonly text: string; readonly body: unknown },
  caller: Caller
) =>
  Effect.gen(function*() {
    expect(created.status, created.text).toBe(201)
    const id = (created.body as { id: string }).id
    expect((yield* post(`/scans/${id}/start`, {}, caller)).status).toBeLessThan(300)
    let status = ""
    for (let i = 0; i < 3000 && !["COMPLETED", "FAILED", "CANCELLED"].includes(status); i++) {
      yield* Effect.sleep("50 millis")
      status = ((yield* get(`/scans/${id}/status`, caller)).body as { status: string }).status
    }
    return { id, status }
  })
