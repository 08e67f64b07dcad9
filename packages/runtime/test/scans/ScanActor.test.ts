import { describe, expect, it } from "@effect/vitest"
import { Entity } from "@mirage/domain/Entity"
import type { EntityType } from "@mirage/domain/Entity"
import { deriveUuid } from "@mirage/domain/Ids"
import type { ModuleId, OrganizationId, ScanId, TaskId } from "@mirage/domain/Ids"
import { ScanConfiguration } from "@mirage/domain/Scan"
import type { PlannedModule, ScanCommand } from "@mirage/domain/ScanEvent"
import { evolve, initial, planTasks } from "@mirage/domain/ScanMachine"
import { Effect, Fiber, Layer, Option, TestClock } from "effect"
import type { Duration } from "effect"
import { Replies } from "../../src/cluster/Replies.js"
import type { Reply } from "../../src/cluster/Replies.js"
import { TaskExecutor, TaskFailure } from "../../src/collection/TaskExecutor.js"
import type { Finding, TaskSpec } from "../../src/collection/TaskExecutor.js"
import * as TaskPool from "../../src/collection/TaskPool.js"
import * as InventoryFeed from "../../src/monitoring/inventory/InventoryFeed.js"
import * as InventoryMemory from "../../src/monitoring/inventory/Memory.js"
import { EventStore } from "../../src/scans/EventStore.js"
import * as EventStoreMemory from "../../src/scans/EventStore/Memory.js"
import * as Journal from "../../src/scans/Journal.js"
import { ResultStore } from "../../src/scans/ResultStore.js"
import * as ResultStoreMemory from "../../src/scans/ResultStore/Memory.js"
import * as ScanActor from "../../src/scans/ScanActor.js"
import * as ScanObserver from "../../src/scans/ScanObserver.js"
import * as Scans from "../support/Scans.js"

const scanId = "6f1c1f3e-2a1b-4c3d-8e9f-0a1b2c3d4e5f" as ScanId
const plan: ReadonlyArray<PlannedModule> = [
  { id: "subdomains" as ModuleId, input_types: ["DOMAIN"], output_types: ["DOMAIN"], config: {} },
  { id: "resolve" as ModuleId, input_types: ["DOMAIN"], output_types: ["IP"], config: {} }
]

/** A small world: what each module finds for each entity. */
const world: Record<string, ReadonlyArray<readonly [EntityType, string]>> = {
  "subdomains DOMAIN:example.test": [["DOMAIN", "a.example.test"], ["DOMAIN", "B.example.test."], [
    "DOMAIN",
    "a.example.test"
  ]],
  "resolve DOMAIN:example.test": [["IP", "192.0.2.1"]],
  "resolve DOMAIN:a.example.test": [["IP", "192.0.2.2"]],
  "resolve DOMAIN:b.example.test": [["IP", "192.0.2.2"], ["IP", "192.0.2.3"]]
}
const expected = ["DOMAIN:a.example.test", "DOMAIN:b.example.test", "IP:192.0.2.1", "IP:192.0.2.2", "IP:192.0.2.3"]

const finding = ([type, value]: readonly [EntityType, string]): Finding => ({
  type,
  value,
  confidence: 0.9,
  source_data: {},
  metadata: {}
})

interface ExecutorOptions {
  /** Simulated time each task takes. */
  readonly delay?: Duration.DurationInput
  readonly fail?: ReadonlySet<string>
  /** Every task the executor was given. */
  readonly specs?: Array<TaskSpec>
}

const executor = (calls: Array<string>, options: ExecutorOptions = {}) =>
  Layer.succeed(
    TaskExecutor,
    TaskExecutor.of({
      run: (task: TaskSpec) =>
        Effect.gen(function*() {
          const key = `${task.module_id} ${task.entity.type}:${task.entity.value}`
          calls.push(key)
          options.specs?.push(task)
          if (options.delay !== undefined) yield* Effect.sleep(options.delay)
          if (options.fail?.has(task.module_id)) {
            return yield* new TaskFailure({ kind: "failed", reason: "source down" })
          }
          return (world[key] ?? []).map(finding)
        })
    })
  )

const replies = (published: Array<Reply>) =>
  Layer.succeed(
    Replies,
    Replies.of({
      channel: "test",
      ask: (_id, send) => Effect.as(send, Option.none()),
      publish: (_channel, reply) => Effect.sync(() => void published.push(reply))
    })
  )

const configuration = (overrides: Partial<ScanConfiguration> = {}) =>
  ScanConfiguration.make({ recursion_depth: 2, ...overrides })

/** The scan's creation event: its target example.test, its plan `plan`. */
const createdEvent = (overrides: Partial<ScanConfiguration> = {}) =>
  Scans.createdEvent(scanId, plan, { name: "t", configuration: configuration(overrides) })

/** Creates the scan in the store and starts its actor; returns what a test needs to drive it. */
const setup = (
  options: ExecutorOptions & {
    readonly configuration?: Partial<ScanConfiguration>
    /** The node's inventory (in memory), fed by the actor's results and read by new-entities-only scans. */
    readonly inventory?: InventoryMemory.Store
    readonly updateExpiryMs?: number
  } = {}
) =>
  Effect.gen(function*() {
    const calls: Array<string> = []
    const published: Array<Reply> = []
    const store = EventStoreMemory.makeStore()
    const results = ResultStoreMemory.makeStore()
    const layer = Layer.mergeAll(
      Journal.layerWith({ batch: 64, writers: 1 }).pipe(Layer.provideMerge(EventStoreMemory.layer(store))),
      ResultStoreMemory.layer(results),
      executor(calls, options),
      TaskPool.layerWith(4),
      replies(published),
      ScanObserver.layerNone,
      options.inventory === undefined
        ? Layer.empty
        : InventoryFeed.layer.pipe(Layer.provideMerge(InventoryMemory.layer(options.inventory)))
    )
    const context = yield* Layer.build(layer)
    const events = context.unsafeMap.get(EventStore.key) as EventStore["Type"]
    const first = createdEvent(options.configuration)
    yield* events.append([Scans.creation(first, 0)])
    yield* events.fence(0, 1)
    const spawn = Effect.gen(function*() {
      const loaded = Option.getOrThrow(yield* events.load(scanId))
      return yield* ScanActor.make(loaded, { shard: 0, fence: { shard: 0, epoch: 1 } }, {
        scanConcurrency: 2,
        snapshotEvery: 5,
        ...(options.updateExpiryMs === undefined ? {} : { updateExpiryMs: options.updateExpiryMs })
      }).pipe(Effect.provide(context))
    })
    const send = (actor: ScanActor.ActorHandle, command: ScanCommand, id: string) =>
      actor.offer({
        _tag: "Deliver",
        envelope: { target: scanId, command_id: id, command, reply_to: "test", traceparent: null, sent_at: 0 },
        ack: Effect.void
      })
    const stored = Effect.map(
      Effect.provide(ResultStore, context).pipe(Effect.flatMap((r) => r.list({ owner: scanId, limit: 100 }))),
      (page) => page.items.map((r) => `${r.data_type}:${r.data}`).sort()
    )
    const log = Effect.map(events.events(scanId, 0, 1000), (list) => list.map((e) => e.event))
    const load = Effect.map(events.load(scanId), (loaded) => Option.getOrThrow(loaded).state)
    return { calls, published, spawn, send, stored, log, load, events }
  })

describe("ScanActor", () => {
  it.scoped("runs a scan to completion: each module once per entity, each result once, events in order", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      const actor = yield* t.spawn
      yield* t.send(actor, { _tag: "StartScan" }, "start-1")
      expect(yield* actor.exit).toBe("finished")
      const state = yield* t.load
      expect(state.status).toBe("COMPLETED")
      expect(state.reason).toBe("quiescent")
      expect(state.progress).toBe(1)
      expect(yield* t.stored).toEqual(expected)
      expect(state.result_count).toBe(expected.length)
      // Two modules per domain (3 domains); none for IPs.
      expect([...t.calls].sort()).toEqual([
        "resolve DOMAIN:a.example.test",
        "resolve DOMAIN:b.example.test",
        "resolve DOMAIN:example.test",
        "subdomains DOMAIN:a.example.test",
        "subdomains DOMAIN:b.example.test",
        "subdomains DOMAIN:example.test"
      ])
      const log = yield* t.log
      expect(log[0]!._tag).toBe("ScanCreated")
      expect(log[1]!._tag).toBe("ScanStarted")
      expect(log.at(-1)!._tag).toBe("ScanCompleted")
      expect(t.published).toEqual([{ command_id: "start-1", outcome: "accepted", rejection: null }])
    }))

  it.scoped("new entities only: what the series' inventory knew is stored but not expanded; results feed it live", () =>
    Effect.gen(function*() {
      const inventory = InventoryMemory.makeStore()
      const series = {
        organization_id: "00000000-0000-4000-8000-000000000001" as OrganizationId,
        target_type: "DOMAIN" as const,
        target_value: "example.test"
      }
      const earlier = deriveUuid("an earlier run") as ScanId
      const memory = InventoryMemory.make(inventory)
      yield* memory.applyRun(series, {
        scan_id: earlier,
        at: 0,
        entities: [{ type: "DOMAIN", value: "a.example.test", expires_at: null }]
      })
      const t = yield* setup({ configuration: { new_entities_only: true }, inventory })
      const actor = yield* t.spawn
      yield* t.send(actor, { _tag: "StartScan" }, "start-1")
      expect(yield* actor.exit).toBe("finished")
      // a.example.test is a result of the scan, but no module ran on it.
      expect(yield* t.stored).toEqual(expected)
      expect([...t.calls].sort()).toEqual([
        "resolve DOMAIN:b.example.test",
        "resolve DOMAIN:example.test",
        "subdomains DOMAIN:b.example.test",
        "subdomains DOMAIN:example.test"
      ])
      // Every result reached the inventory while the scan ran: new ones found by it, a known one seen by it again.
      const assets = yield* Effect.repeat(memory.assets(series), {
        until: (list) => list.length === expected.length,
        times: 100_000
      })
      const byValue = new Map(assets.map((asset) => [asset.value, asset]))
      expect(byValue.get("a.example.test")).toMatchObject({ first_scan: earlier, scans: [earlier, scanId] })
      expect(byValue.get("b.example.test")).toMatchObject({ first_scan: scanId, status: "new", scans: [scanId] })
      expect(yield* memory.known(series, scanId)).toEqual(new Set(["DOMAIN:a.example.test"]))
    }))

  it.scoped("gives each task the scan's task_timeout, 60 s unless configured", () =>
    Effect.gen(function*() {
      for (const [configured, expected] of [[undefined, 60_000], [7, 7_000]] as const) {
        const specs: Array<TaskSpec> = []
        const t = yield* setup({ specs, configuration: configured === undefined ? {} : { task_timeout: configured } })
        const actor = yield* t.spawn
        yield* t.send(actor, { _tag: "StartScan" }, "start")
        expect(yield* actor.exit).toBe("finished")
        expect(specs.length).toBeGreaterThan(0)
        expect(new Set(specs.map((spec) => spec.timeout_ms))).toEqual(new Set([expected]))
      }
    }))

  it.scoped("rejects an illegal command with the current status and changes nothing", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      const actor = yield* t.spawn
      yield* t.send(actor, { _tag: "ResumeScan" }, "resume-1")
      yield* Effect.repeat(Effect.sync(() => t.published.length), { until: (n) => n > 0 })
      expect(t.published[0]).toMatchObject({
        outcome: "rejected",
        rejection: { tag: "IllegalTransition", status: "CREATED" }
      })
      expect((yield* t.log).length).toBe(1)
      yield* actor.stop
    }))

  it.scoped("refuses an update that carries staged changes once it has waited longer than the expiry", () =>
    Effect.gen(function*() {
      const t = yield* setup({ updateExpiryMs: 60_000 })
      const actor = yield* t.spawn
      // Sent at 0 and delivered two minutes later: its staged webhook change may have been discarded meanwhile.
      yield* TestClock.adjust("2 minutes")
      yield* t.send(actor, { _tag: "UpdateScan", webhook_change: "5b000000-0000-4000-8000-000000000001" }, "late")
      yield* t.send(actor, { _tag: "UpdateScan", name: "renamed" }, "late-plain")
      yield* Effect.repeat(Effect.sync(() => t.published.length), { until: (n) => n >= 2 })
      expect(t.published[0]).toMatchObject({ outcome: "rejected", rejection: { tag: "UpdateExpired" } })
      // An update without staged changes loses nothing by waiting: applied.
      expect(t.published[1]).toMatchObject({ outcome: "accepted" })
      const updates = (yield* t.log).filter((e) => e._tag === "ScanUpdated")
      expect(updates.map((e) => e.definition.name)).toEqual(["renamed"])
      yield* actor.stop
    }))

  it.scoped("applies a redelivered command once", () =>
    Effect.gen(function*() {
      const t = yield* setup({ delay: "1 second" })
      const actor = yield* t.spawn
      yield* t.send(actor, { _tag: "StartScan" }, "start-1")
      yield* t.send(actor, { _tag: "StartScan" }, "start-1")
      yield* Effect.repeat(Effect.sync(() => t.published.length), { until: (n) => n >= 2 })
      expect(t.published.map((r) => r.outcome)).toEqual(["accepted", "accepted"])
      expect((yield* t.log).filter((e) => e._tag === "ScanStarted").length).toBe(1)
      yield* actor.stop
    }))

  it.scoped("after a crash, reruns what was running and stores nothing twice", () =>
    Effect.gen(function*() {
      const t = yield* setup({ delay: "10 seconds" })
      const first = yield* t.spawn
      yield* t.send(first, { _tag: "StartScan" }, "start-1")
      // Let the start and the first dispatch be persisted, then kill the actor mid-task.
      yield* Effect.repeat(t.load, { until: (s) => s.counts.running === 2 })
      yield* Effect.repeat(Effect.sync(() => t.calls.length), { until: (n) => n === 2 })
      yield* first.stop
      const before = t.calls.length
      expect(before).toBe(2)
      const second = yield* t.spawn
      const done = yield* Effect.fork(second.exit)
      yield* TestClock.adjust("1 minute")
      expect(yield* Fiber.join(done)).toBe("finished")
      expect(t.calls.slice(before).slice(0, 2).sort()).toEqual(t.calls.slice(0, 2).sort())
      expect(yield* t.stored).toEqual(expected)
      expect((yield* t.load).result_count).toBe(expected.length)
    }))

  it.scoped("max_duration counts running time only and ends the scan with its results kept", () =>
    Effect.gen(function*() {
      const t = yield* setup({ delay: "40 seconds", configuration: { max_duration: 60 } })
      const actor = yield* t.spawn
      yield* t.send(actor, { _tag: "StartScan" }, "start")
      yield* Effect.repeat(t.load, { until: (s) => s.status === "RUNNING" })
      yield* TestClock.adjust("30 seconds")
      yield* t.send(actor, { _tag: "PauseScan" }, "pause")
      yield* Effect.repeat(t.load, { until: (s) => s.status === "PAUSED" })
      // Paused for ten minutes: in-flight tasks finish, nothing new starts, the clock does not run.
      yield* TestClock.adjust("10 minutes")
      const paused = yield* t.load
      expect(paused.status).toBe("PAUSED")
      expect(paused.counts.running).toBe(0)
      expect(t.calls.length).toBe(2)
      yield* t.send(actor, { _tag: "ResumeScan" }, "resume")
      yield* Effect.repeat(t.load, { until: (s) => s.status === "RUNNING" })
      yield* TestClock.adjust("29 seconds")
      expect((yield* t.load).status).toBe("RUNNING")
      yield* TestClock.adjust("2 seconds")
      expect(yield* actor.exit).toBe("finished")
      const ended = yield* t.load
      expect(ended.status).toBe("COMPLETED")
      expect(ended.reason).toBe("max_duration")
      expect(ended.result_count).toBeGreaterThan(0)
      expect((yield* t.stored).length).toBe(ended.result_count)
    }))

  it.scoped("max_results stops at exactly that many stored results", () =>
    Effect.gen(function*() {
      const t = yield* setup({ configuration: { max_results: 3 } })
      const actor = yield* t.spawn
      yield* t.send(actor, { _tag: "StartScan" }, "start")
      expect(yield* actor.exit).toBe("finished")
      const state = yield* t.load
      expect(state.reason).toBe("max_results")
      expect(state.result_count).toBe(3)
      expect((yield* t.stored).length).toBe(3)
    }))

  it.scoped("a scan whose every task fails ends FAILED", () =>
    Effect.gen(function*() {
      const t = yield* setup({ fail: new Set(["subdomains", "resolve"]) })
      const actor = yield* t.spawn
      yield* t.send(actor, { _tag: "StartScan" }, "start")
      expect(yield* actor.exit).toBe("finished")
      const state = yield* t.load
      expect(state.status).toBe("FAILED")
      expect(state.counts.failed).toBe(2)
    }))

  it.scoped("stop cancels in-flight tasks", () =>
    Effect.gen(function*() {
      const t = yield* setup({ delay: "1 hour" })
      const actor = yield* t.spawn
      yield* t.send(actor, { _tag: "StartScan" }, "start")
      yield* Effect.repeat(t.load, { until: (s) => s.counts.running === 2 })
      yield* t.send(actor, { _tag: "StopScan" }, "stop")
      expect(yield* actor.exit).toBe("finished")
      const state = yield* t.load
      expect(state.status).toBe("CANCELLED")
      expect(state.counts.cancelled).toBe(2)
      expect(actor.inFlight()).toBe(0)
    }))

  it.scoped("an actor stopped before it ever ran reports its exit and refuses messages", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      const actor = yield* t.spawn
      yield* actor.stop
      expect(yield* actor.exit).toBe("stopped")
      expect(yield* t.send(actor, { _tag: "StartScan" }, "late")).toBe(false)
    }))

  it("stores a snapshot every snapshotEvery events, or every as many events as the scan has tasks once it has more", () => {
    const created = createdEvent()
    const started = evolve(initial(created), { _tag: "ScanStarted", at: 0 })
    const withTasks = (n: number) =>
      evolve(started, {
        _tag: "TasksPlanned",
        at: 0,
        tasks: planTasks(scanId, plan, Entity.make({ type: "DOMAIN", value: "example.test" }), 0).flatMap((task) =>
          Array.from({ length: n / 2 }, (_, i) => ({ ...task, task_id: deriveUuid(task.task_id, String(i)) as TaskId }))
        )
      })
    const small = withTasks(10)
    expect(ScanActor.snapshotDue(small, 199, 200)).toBe(false)
    expect(ScanActor.snapshotDue(small, 200, 200)).toBe(true)
    const large = withTasks(1000)
    expect(ScanActor.snapshotDue(large, 200, 200)).toBe(false)
    expect(ScanActor.snapshotDue(large, 999, 200)).toBe(false)
    expect(ScanActor.snapshotDue(large, 1000, 200)).toBe(true)
    // A scan that ends stores its final state once `snapshotEvery` events have passed, whatever its size; a short one
    // does not.
    const ended = evolve(large, { _tag: "ScanCancelled", at: 1, reason: "stopped" })
    expect(ScanActor.snapshotDue(ended, 199, 200)).toBe(false)
    expect(ScanActor.snapshotDue(ended, 200, 200)).toBe(true)
    expect(ScanActor.snapshotDue(evolve(small, { _tag: "ScanCancelled", at: 1, reason: "stopped" }), 30, 200)).toBe(
      false
    )
  })
})
