/**
 * A shard taken while the event store is down keeps its active scans: the node fences the shard, then cannot list or
 * load its scans; the shard stays `unhydrated` and every round tries again, so once the store answers the scan's actor
 * starts and the scan runs on. (Simulation seed 832 found the scan left RUNNING for ever, with no actor.)
 */
import { describe, expect, it } from "@effect/vitest"
import type { ModuleId, ScanId } from "@mirage/domain/Ids"
import { ScanConfiguration } from "@mirage/domain/Scan"
import type { PlannedModule, ScanEvent } from "@mirage/domain/ScanEvent"
import { decide, evolve, initial } from "@mirage/domain/ScanMachine"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { Effect, Either, Layer, TestClock } from "effect"
import * as MembershipMemory from "../../src/cluster/Membership/Memory.js"
import * as Node from "../../src/cluster/Node.js"
import * as RepliesMemory from "../../src/cluster/Replies/Memory.js"
import * as ShardInboxMemory from "../../src/cluster/ShardInbox/Memory.js"
import * as LeasesMemory from "../../src/cluster/ShardLeases/Memory.js"
import { shardOf } from "../../src/cluster/Shards.js"
import { TaskExecutor } from "../../src/collection/TaskExecutor.js"
import * as TaskPool from "../../src/collection/TaskPool.js"
import { PersistenceError } from "../../src/platform/Errors.js"
import { EventStore } from "../../src/scans/EventStore.js"
import * as EventStoreMemory from "../../src/scans/EventStore/Memory.js"
import * as Journal from "../../src/scans/Journal.js"
import * as ResultStoreMemory from "../../src/scans/ResultStore/Memory.js"
import * as ScanObserver from "../../src/scans/ScanObserver.js"
import { createdEvent, creation, nodeSettings } from "../support/Scans.js"

const shards = 8
const scanId = "3c9d5e2a-7b41-4f0e-9a6d-1e2f3a4b5c6d" as ScanId
const shard = shardOf(scanId, shards)
const plan: ReadonlyArray<PlannedModule> = [
  { id: "resolve" as ModuleId, input_types: ["DOMAIN"], output_types: ["IP"], config: {} }
]

const settings = nodeSettings("n")

/** A scan that its previous owner (epoch 1) started: RUNNING, with its first task planned and not yet run. */
const runningScan = (store: EventStoreMemory.EventStoreMemory) =>
  Effect.gen(function*() {
    const events = EventStoreMemory.make(store)
    const created = createdEvent(scanId, plan, {
      name: "takeover",
      configuration: ScanConfiguration.make({ recursion_depth: 1 })
    })
    const first = initial(created)
    yield* events.append([creation(created, shard)])
    const started: ReadonlyArray<ScanEvent> = Either.getOrThrow(decide(first, { _tag: "StartScan" }, 0))
    const state = started.reduce<ScanState>(evolve, first)
    yield* events.fence(shard, 1)
    yield* events.append([{
      scan_id: scanId,
      shard,
      expected_seq: 1,
      events: started,
      command_id: "start",
      fence: { shard, epoch: 1 },
      state,
      snapshot: false
    }])
    expect(state.status).toBe("RUNNING")
  })

/** What fails while the store is down: the listing of a shard's active scans, or only the loading of each scan. */
type Outage = "list" | "load"

/** The memory event store, its reads of a shard's scans failing while `down` is set; fences and appends still work. */
const failing = (store: EventStoreMemory.EventStoreMemory, outage: Outage, down: { value: boolean }) => {
  const events = EventStoreMemory.make(store)
  const unavailable = (operation: string) => new PersistenceError({ operation, cause: "event store unavailable" })
  return Layer.succeed(
    EventStore,
    EventStore.of({
      ...events,
      activeScans: (at) =>
        down.value && outage === "list"
          ? Effect.fail(unavailable("EventStore.activeScans"))
          : events.activeScans(at),
      load: (id) => (down.value ? Effect.fail(unavailable("EventStore.load")) : events.load(id))
    })
  )
}

describe("Rehydration", () => {
  for (const outage of ["list", "load"] as const) {
    it.scoped(`a shard taken while its scans cannot be ${outage}ed starts them once the store is back`, () =>
      Effect.gen(function*() {
        const store = EventStoreMemory.makeStore()
        yield* runningScan(store)
        const down = { value: true }
        const ran: Array<string> = []
        const executor = Layer.succeed(
          TaskExecutor,
          TaskExecutor.of({
            run: (task) =>
              Effect.sync(() => void ran.push(`${task.module_id} ${task.entity.value}`)).pipe(Effect.as([]))
          })
        )
        const layer = Layer.mergeAll(
          Journal.layerWith({ batch: 16, writers: 1 }),
          ShardInboxMemory.layer(ShardInboxMemory.makeStore(shards))
        ).pipe(
          Layer.provideMerge(Layer.mergeAll(
            failing(store, outage, down),
            ResultStoreMemory.layerFresh,
            MembershipMemory.layer(MembershipMemory.makeHub()),
            LeasesMemory.layer(LeasesMemory.makeHub()),
            RepliesMemory.layer(RepliesMemory.makeMemoryHub()),
            executor,
            TaskPool.layerWith(2),
            ScanObserver.layerNone
          ))
        )
        // Built in the test's scope, not the run's: the journal's writers must outlive Node.run, which only starts.
        const node = yield* Node.run(settings).pipe(Effect.provide(yield* Layer.build(layer)))
        for (let i = 0; i < 10 && node.host.owned().length < shards; i++) yield* TestClock.adjust("10 millis")
        const epoch = node.host.epochOf(shard)
        expect(epoch).toBeDefined()

        // Ten seconds of rounds with the store down: each load gives up after its retries, and no actor runs the scan
        // (one would dispatch its planned task at once).
        for (let i = 0; i < 20; i++) yield* TestClock.adjust("500 millis")
        expect(ran).toEqual([])
        expect(store.views.views.get(scanId)?.scan.status).toBe("RUNNING")

        // The store answers again: a round later the shard's scan has its actor, which runs its task and ends it.
        down.value = false
        const status = () => store.views.views.get(scanId)?.scan.status
        for (let i = 0; i < 20 && status() !== "COMPLETED"; i++) yield* TestClock.adjust("500 millis")
        expect(ran).toEqual(["resolve example.test"])
        expect(status()).toBe("COMPLETED")
        // Still the shard's owner under the same epoch: nothing was lost and taken again.
        expect(node.host.epochOf(shard)).toBe(epoch)
      }))
  }
})
