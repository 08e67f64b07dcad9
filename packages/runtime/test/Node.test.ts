import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import * as EventStoreMemory from "../src/EventStore/Memory.js"
import * as Journal from "../src/Journal.js"
import * as MembershipMemory from "../src/Membership/Memory.js"
import * as Node from "../src/Node.js"
import * as RepliesMemory from "../src/Replies/Memory.js"
import * as ResultStoreMemory from "../src/ResultStore/Memory.js"
import * as ScanObserver from "../src/ScanObserver.js"
import * as ShardInboxMemory from "../src/ShardInbox/Memory.js"
import * as LeasesMemory from "../src/ShardLeases/Memory.js"
import { TaskExecutor } from "../src/TaskExecutor.js"
import * as TaskPool from "../src/TaskPool.js"

const settings = (nodeId: string): Node.NodeSettings => ({
  nodeId,
  consumer: nodeId,
  leaseTtlMs: 4000,
  memberTtlMs: 3000,
  roundMs: 500,
  movesPerRound: 32,
  readBlockMs: 100,
  readCount: 64,
  drainMs: 100,
  maxDeliveries: 5,
  passivateMs: 60_000,
  reclaimIdleMs: 30_000,
  restartDelayMs: 1000,
  scanConcurrency: 4,
  snapshotEvery: 100
})

describe("Node", () => {
  it.scoped("a node configured with another shard count than the cluster's refuses to join", () =>
    Effect.gen(function*() {
      const events = EventStoreMemory.makeStore()
      const shared = Layer.mergeAll(
        EventStoreMemory.layer(events),
        ResultStoreMemory.layerFresh,
        MembershipMemory.layer(MembershipMemory.makeHub()),
        LeasesMemory.layer(LeasesMemory.makeHub()),
        RepliesMemory.layer(RepliesMemory.makeMemoryHub()),
        Layer.succeed(TaskExecutor, TaskExecutor.of({ run: () => Effect.succeed([]) })),
        TaskPool.layerWith(2),
        ScanObserver.layerNone
      )
      const withShards = (shards: number) =>
        Layer.mergeAll(
          Journal.layerWith({ batch: 16, writers: 1 }),
          ShardInboxMemory.layer(ShardInboxMemory.makeStore(shards))
        ).pipe(Layer.provideMerge(shared))
      const first = yield* Node.run(settings("a")).pipe(Effect.provide(withShards(8)))
      expect(first.id).toBe("a")
      const second = yield* Effect.exit(Node.run(settings("b")).pipe(Effect.provide(withShards(16))))
      expect(Exit.isFailure(second)).toBe(true)
      expect(String(Exit.isFailure(second) ? second.cause : "")).toContain("ShardCountMismatch")
      const third = yield* Node.run(settings("c")).pipe(Effect.provide(withShards(8)))
      expect(third.id).toBe("c")
    }))
})
