import { describe, expect, it } from "@effect/vitest"
import type { ModuleId, ScanId } from "@mirage/domain/Ids"
import { ScanConfiguration } from "@mirage/domain/Scan"
import type { ScanCommand } from "@mirage/domain/ScanEvent"
import { Deferred, Effect, Exit, Layer, Metric, TestClock } from "effect"
import * as MembershipMemory from "../../src/cluster/Membership/Memory.js"
import * as Node from "../../src/cluster/Node.js"
import * as RepliesMemory from "../../src/cluster/Replies/Memory.js"
import * as ShardHost from "../../src/cluster/ShardHost.js"
import { ShardInbox } from "../../src/cluster/ShardInbox.js"
import * as ShardInboxMemory from "../../src/cluster/ShardInbox/Memory.js"
import { ShardLeases } from "../../src/cluster/ShardLeases.js"
import * as LeasesMemory from "../../src/cluster/ShardLeases/Memory.js"
import { shardOf } from "../../src/cluster/Shards.js"
import { TaskExecutor } from "../../src/collection/TaskExecutor.js"
import * as TaskPool from "../../src/collection/TaskPool.js"
import * as Metrics from "../../src/platform/Metrics.js"
import { EventStore } from "../../src/scans/EventStore.js"
import * as EventStoreMemory from "../../src/scans/EventStore/Memory.js"
import * as Journal from "../../src/scans/Journal.js"
import * as ResultStoreMemory from "../../src/scans/ResultStore/Memory.js"
import * as ScanObserver from "../../src/scans/ScanObserver.js"
import { createdEvent, creation, nodeSettings } from "../support/Scans.js"

const settings = nodeSettings

/**
 * Everything a node needs besides its journal and inboxes, in memory, over the given event store: replies on a hub of
 * their own and tasks that find nothing at once, unless given.
 */
const memoryPorts = (
  events: EventStoreMemory.EventStoreMemory,
  options: {
    readonly replies?: RepliesMemory.RepliesHub
    readonly run?: TaskExecutor["Type"]["run"]
  } = {}
) =>
  Layer.mergeAll(
    EventStoreMemory.layer(events),
    ResultStoreMemory.layerFresh,
    MembershipMemory.layer(MembershipMemory.makeHub()),
    LeasesMemory.layer(LeasesMemory.makeHub()),
    RepliesMemory.layer(options.replies ?? RepliesMemory.makeMemoryHub()),
    Layer.succeed(TaskExecutor, TaskExecutor.of({ run: options.run ?? (() => Effect.succeed([])) })),
    TaskPool.layerWith(2),
    ScanObserver.layerNone
  )

describe("Node", () => {
  it.scoped("shards released while another node's round runs are taken in its next round, at once", () =>
    Effect.gen(function*() {
      const events = EventStoreMemory.makeStore()
      const inboxes = ShardInboxMemory.makeStore(8)
      const leaseHub = LeasesMemory.makeHub()
      const shared = Layer.mergeAll(
        Journal.layerWith({ batch: 16, writers: 1 }),
        ShardInboxMemory.layer(inboxes)
      ).pipe(Layer.provideMerge(memoryPorts(events)))
      const a = yield* Node.run(settings("a")).pipe(
        Effect.provide(LeasesMemory.layer(leaseHub)),
        Effect.provide(shared)
      )
      for (let i = 0; i < 10 && a.host.owned().length < 8; i++) yield* TestClock.adjust("10 millis")
      expect(a.host.owned()).toHaveLength(8)

      // Node b's first round stops in its lease acquisition until `open` completes.
      const entered = yield* Deferred.make<void>()
      const open = yield* Deferred.make<void>()
      const leases = yield* Effect.provide(ShardLeases, LeasesMemory.layer(leaseHub))
      const gated = Layer.succeed(ShardLeases, {
        ...leases,
        acquire: (owner, ttlMs, wanted) =>
          Deferred.succeed(entered, undefined).pipe(
            Effect.zipRight(Deferred.await(open)),
            Effect.zipRight(leases.acquire(owner, ttlMs, wanted))
          )
      })
      const b = yield* Node.run(settings("b")).pipe(Effect.provide(gated), Effect.provide(shared))
      yield* Deferred.await(entered)
      // While b's round waits, a shuts down: it releases every shard and announces it.
      yield* a.shutdown
      yield* Deferred.succeed(open, undefined)
      // The round that was running takes the shards it had planned for; the announcement it missed while running
      // starts the next one at once, which takes the rest. No clock time passes: a round every 500 ms is not it.
      for (let i = 0; i < 100 && b.host.owned().length < 8; i++) yield* Effect.yieldNow()
      expect(b.host.owned()).toHaveLength(8)
    }))

  it.scoped("a node that cannot renew stops its shards' actors before the leases can expire, then takes them back", () =>
    Effect.gen(function*() {
      const inboxes = ShardInboxMemory.makeStore(8)
      const hub = LeasesMemory.makeHub()
      const leases = yield* Effect.provide(ShardLeases, LeasesMemory.layer(hub))
      // While `hung` is set the lease store's calls never come back, as when it stops answering.
      let hung = false
      const renewing = Layer.succeed(ShardLeases, {
        ...leases,
        acquire: (owner, ttlMs, wanted) => (hung ? Effect.never : leases.acquire(owner, ttlMs, wanted)),
        renew: (owner, held, ttlMs) => (hung ? Effect.never : leases.renew(owner, held, ttlMs))
      })
      const layer = Layer.mergeAll(
        Journal.layerWith({ batch: 16, writers: 1 }),
        ShardInboxMemory.layer(inboxes)
      ).pipe(Layer.provideMerge(memoryPorts(EventStoreMemory.makeStore())))
      const node = yield* Node.run(settings("n")).pipe(Effect.provide(renewing), Effect.provide(layer))
      for (let i = 0; i < 10 && node.host.owned().length < 8; i++) yield* TestClock.adjust("10 millis")
      const before = node.host.epochs()
      expect(before).toHaveLength(8)
      const fenced = yield* Metric.value(Metrics.leasesSelfFenced)
      hung = true
      // Held for a while: renewals every round keep the deadline ahead, until they stop coming back.
      yield* TestClock.adjust("2500 millis")
      expect(node.host.owned()).toHaveLength(8)
      // Before the 4 s lease can expire in the store (a margin of a quarter), the node stops the shards' actors.
      yield* TestClock.adjust("1000 millis")
      expect(node.host.owned()).toEqual([])
      // The leases were still the node's in the store when it stopped.
      expect(Array.from(hub.leases.values()).every((lease) => lease.owner === "n" && lease.expires >= 4000)).toBe(true)
      expect((yield* Metric.value(Metrics.leasesSelfFenced)).count - fenced.count).toBe(8)
      // The lease store answers again: once the hung calls time out, the node takes its shards back under new epochs.
      hung = false
      for (let i = 0; i < 60 && node.host.owned().length < 8; i++) yield* TestClock.adjust("100 millis")
      const after = node.host.epochs()
      expect(after).toHaveLength(8)
      for (const { epoch, shard } of after) expect(epoch).toBeGreaterThan(before.find((l) => l.shard === shard)!.epoch)
    }))

  it.scoped("an entry taken by a node that no longer owns its shard is delivered by the owner within a round", () =>
    Effect.gen(function*() {
      const inboxes = ShardInboxMemory.makeStore(8)
      const layer = Layer.mergeAll(
        Journal.layerWith({ batch: 16, writers: 1 }),
        ShardInboxMemory.layer(inboxes)
      ).pipe(Layer.provideMerge(memoryPorts(EventStoreMemory.makeStore())))
      const node = yield* Node.run(settings("owner")).pipe(Effect.provide(layer))
      for (let i = 0; i < 10 && node.host.owned().length < 8; i++) yield* TestClock.adjust("10 millis")
      expect(node.host.owned()).toHaveLength(8)
      // A read by a node that has just lost the shard takes the entry (a command to an unknown scan: the owner
      // answers it and acknowledges it).
      const inbox = ShardInboxMemory.make(inboxes)
      const target = "00000000-0000-4000-8000-00000000abcd"
      const shard = shardOf(target, 8)
      yield* inbox.send({
        target,
        command_id: "orphan-1",
        command: { _tag: "StartScan" },
        reply_to: null,
        traceparent: null,
        sent_at: 0
      })
      expect(yield* inbox.read("previous-owner", [shard], { count: 10, blockMs: 0 })).toHaveLength(1)
      expect(yield* inbox.pending(shard)).toEqual({ pending: 1, lag: 0 })
      // One round later (reclaimIdleMs is 30 s), the owner has adopted and handled it.
      yield* TestClock.adjust("500 millis")
      for (let i = 0; i < 20 && (yield* inbox.pending(shard)).pending > 0; i++) yield* Effect.yieldNow()
      expect(yield* inbox.pending(shard)).toEqual({ pending: 0, lag: 0 })
    }))

  it.scoped("an entry left on another consumer of a shard held for long is delivered within a claim period", () =>
    Effect.gen(function*() {
      const inboxes = ShardInboxMemory.makeStore(8)
      const layer = Layer.mergeAll(
        Journal.layerWith({ batch: 16, writers: 1 }),
        ShardInboxMemory.layer(inboxes)
      ).pipe(Layer.provideMerge(memoryPorts(EventStoreMemory.makeStore())))
      const node = yield* Node.run(settings("owner")).pipe(Effect.provide(layer))
      for (let i = 0; i < 10 && node.host.owned().length < 8; i++) yield* TestClock.adjust("10 millis")
      expect(node.host.owned()).toHaveLength(8)
      // Held well past the rounds that claim recently acquired shards.
      const period = ShardHost.claimPeriodMs(settings("owner").reclaimIdleMs)
      expect(period).toBe(2000)
      yield* TestClock.adjust(`${3 * period} millis`)
      const inbox = ShardInboxMemory.make(inboxes)
      const target = "00000000-0000-4000-8000-00000000abce"
      const shard = shardOf(target, 8)
      yield* inbox.send({
        target,
        command_id: "orphan-2",
        command: { _tag: "StartScan" },
        reply_to: null,
        traceparent: null,
        sent_at: 0
      })
      expect(yield* inbox.read("stalled-node", [shard], { count: 10, blockMs: 0 })).toHaveLength(1)
      // Rounds that claim only recent shards leave it; the next claim of every shard, within a period, takes it.
      let rounds = 0
      while ((yield* inbox.pending(shard)).pending > 0 && rounds < 20) {
        yield* TestClock.adjust("500 millis")
        for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
        rounds++
      }
      expect(yield* inbox.pending(shard)).toEqual({ pending: 0, lag: 0 })
      expect(rounds * 500).toBeLessThanOrEqual(period + 500)
    }))

  it.scoped("a node configured with another shard count than the cluster's refuses to join", () =>
    Effect.gen(function*() {
      const events = EventStoreMemory.makeStore()
      const shared = memoryPorts(events)
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

  it.scoped("a command that keeps failing goes to the dead letters after maxDeliveries, an undecodable one at once", () =>
    Effect.gen(function*() {
      const events = EventStoreMemory.makeStore()
      const inboxes = ShardInboxMemory.makeStore(8)
      const layer = Layer.mergeAll(
        Journal.layerWith({ batch: 16, writers: 1 }),
        ShardInboxMemory.layer(inboxes)
      ).pipe(Layer.provideMerge(memoryPorts(events)))
      // Entries idle for 2 s are delivered again (30 s by default): six deliveries take seconds of the test clock.
      const node = yield* Node.run({ ...settings("dl"), reclaimIdleMs: 2000 }).pipe(Effect.provide(layer))
      for (let i = 0; i < 40 && node.host.owned().length < 8; i++) yield* TestClock.adjust("500 millis")
      expect(node.host.owned()).toHaveLength(8)
      const counted = (reason: string) =>
        Effect.map(Metric.value(Metric.tagged(Metrics.deadLetters, "reason", reason)), (state) => state.count)
      const deadOf = (shard: number) => ShardInboxMemory.deadLetters(inboxes, shard)

      // Undecodable: no delivery can ever succeed, so it goes at once.
      const undecodable = yield* counted("undecodable")
      yield* ShardInboxMemory.appendRaw(inboxes, 3, "{not json")
      for (let i = 0; i < 50 && deadOf(3).length === 0; i++) yield* TestClock.adjust("100 millis")
      expect(deadOf(3).map((letter) => [letter.raw, letter.reason, letter.deliveries])).toEqual([
        ["{not json", "undecodable entry", 1]
      ])
      expect(yield* counted("undecodable")).toBe(undecodable + 1)

      // A command its actor cannot take (the event store is down): delivered again and again, then set aside.
      const redelivered = yield* counted("redelivered")
      events.outage = true
      const target = "0b7e6a52-6a43-4c1e-9d3b-5f0f6a1e2d3c"
      const shard = shardOf(target, 8)
      yield* ShardInboxMemory.appendRaw(
        inboxes,
        shard,
        JSON.stringify({
          target,
          command_id: "start",
          command: { _tag: "StartScan" },
          reply_to: null,
          traceparent: null,
          sent_at: 0
        })
      )
      const settled = () => deadOf(shard).some((letter) => letter.reason !== "undecodable entry")
      for (let i = 0; i < 200 && !settled(); i++) yield* TestClock.adjust("500 millis")
      const letters = deadOf(shard).filter((letter) => letter.reason !== "undecodable entry")
      expect(letters.map((letter) => [letter.reason, letter.deliveries])).toEqual([["delivered 6 times", 6]])
      expect(yield* counted("redelivered")).toBe(redelivered + 1)
      // Set aside means acknowledged: nothing of it is pending any more.
      expect((yield* ShardInboxMemory.make(inboxes).pending(shard)).pending).toBe(0)
      // Redeliveries (each loading its scan with retries) ran beside the ownership rounds: every lease was renewed.
      expect(node.host.owned()).toHaveLength(8)
    }))

  it.scoped("a command to a scan whose actor is not running is taken once: one answer, one acknowledgement", () =>
    Effect.gen(function*() {
      const events = EventStoreMemory.makeStore()
      const inboxes = ShardInboxMemory.makeStore(8)
      const acked: Array<string> = []
      const memory = ShardInboxMemory.make(inboxes)
      const counting = Layer.succeed(ShardInbox, {
        ...memory,
        ack: (shard, ids) => Effect.zipRight(Effect.sync(() => acked.push(...ids)), memory.ack(shard, ids))
      })
      const hub = RepliesMemory.makeMemoryHub()
      // The scan's one task never ends: the scan stays RUNNING with its actor.
      const ports = memoryPorts(events, { replies: hub, run: () => Effect.never })
      // Built in the test's scope: the journal's writer must outlive `Node.run`'s start.
      const context = yield* Layer.build(
        Layer.mergeAll(Journal.layerWith({ batch: 16, writers: 1 }), counting).pipe(Layer.provideMerge(ports))
      )
      const node = yield* Node.run(settings("once")).pipe(Effect.provide(context))
      for (let i = 0; i < 10 && node.host.owned().length < 8; i++) yield* TestClock.adjust("10 millis")
      expect(node.host.owned()).toHaveLength(8)

      const scanId = "5a0c2f3e-8d1b-4c6a-9e7f-0b1c2d3e4f5a" as ScanId
      const shard = shardOf(scanId, 8)
      const created = createdEvent(scanId, [
        { id: "resolve" as ModuleId, input_types: ["DOMAIN"], output_types: ["IP"], config: {} }
      ], { name: "once", configuration: ScanConfiguration.make({}) })
      yield* EventStoreMemory.make(events).append([creation(created, shard)])
      const answers: Array<string> = []
      hub.channels.set("test:answers", (reply) => void answers.push(`${reply.command_id} ${reply.outcome}`))
      const entry = yield* memory.send({
        target: scanId,
        command_id: "start-once",
        command: { _tag: "StartScan" },
        reply_to: "test:answers",
        traceparent: null,
        sent_at: 0
      })
      for (let i = 0; i < 50 && (answers.length === 0 || (yield* memory.pending(shard)).pending > 0); i++) {
        yield* TestClock.adjust("100 millis")
      }
      // The actor started with the command as its first message; it was not offered to it a second time.
      expect(answers).toEqual(["start-once accepted"])
      expect(acked).toEqual([entry])
      expect(node.host.actorCount()).toBe(1)
    }))

  it.scoped("a scan slow to load holds back no other scan's commands, and each scan's commands stay in order", () =>
    Effect.gen(function*() {
      const events = EventStoreMemory.makeStore()
      const inboxes = ShardInboxMemory.makeStore(8)
      const memory = ShardInboxMemory.make(inboxes)
      const hub = RepliesMemory.makeMemoryHub()
      const slow = "1b6f0c3e-2a4d-4e5f-8a9b-0c1d2e3f4a5b" as ScanId
      const quick = "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f" as ScanId
      // The slow scan's log loads only once `loaded` completes.
      const loaded = yield* Deferred.make<void>()
      const store = EventStoreMemory.make(events)
      const gated = Layer.succeed(EventStore, {
        ...store,
        load: (scanId) =>
          scanId === slow ? Effect.zipRight(Deferred.await(loaded), store.load(scanId)) : store.load(scanId)
      })
      // Tasks never end: both scans stay RUNNING, so the quick one can be paused once started.
      const ports = Layer.merge(memoryPorts(events, { replies: hub, run: () => Effect.never }), gated)
      const plan = [{
        id: "resolve" as ModuleId,
        input_types: ["DOMAIN" as const],
        output_types: ["IP" as const],
        config: {}
      }]
      for (const scanId of [slow, quick]) {
        const created = createdEvent(scanId, plan, { name: scanId, configuration: ScanConfiguration.make({}) })
        yield* store.append([creation(created, shardOf(scanId, 8))])
      }
      const answers: Array<string> = []
      hub.channels.set("test:answers", (reply) => void answers.push(`${reply.command_id} ${reply.outcome}`))
      const send = (target: ScanId, command_id: string, command: ScanCommand) =>
        memory.send({ target, command_id, command, reply_to: "test:answers", traceparent: null, sent_at: 0 })
      // All three wait in the inbox before the node starts, so that its first read takes them together.
      yield* send(slow, "start-slow", { _tag: "StartScan" })
      yield* send(quick, "start-quick", { _tag: "StartScan" })
      yield* send(quick, "pause-quick", { _tag: "PauseScan" })

      const context = yield* Layer.build(
        Layer.mergeAll(Journal.layerWith({ batch: 16, writers: 1 }), ShardInboxMemory.layer(inboxes)).pipe(
          Layer.provideMerge(ports)
        )
      )
      yield* Node.run(settings("quick")).pipe(Effect.provide(context))
      for (let i = 0; i < 50 && answers.length < 2; i++) yield* TestClock.adjust("100 millis")
      // The quick scan was started, then paused (a pause before its start would have been refused), while the slow
      // one still loaded.
      expect(answers).toEqual(["start-quick accepted", "pause-quick accepted"])
      yield* Deferred.succeed(loaded, undefined)
      for (let i = 0; i < 50 && answers.length < 3; i++) yield* TestClock.adjust("100 millis")
      expect(answers).toEqual(["start-quick accepted", "pause-quick accepted", "start-slow accepted"])
    }))
})
