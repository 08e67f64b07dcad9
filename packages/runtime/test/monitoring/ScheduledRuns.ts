/**
 * Scheduled runs of the changing world, as a node runs them, on the TestClock: the schedule's actor (its Postgres
 * store and fences) fires each due time; its run is created and started as a scan actor whose modules answer as the
 * world is at that run; results, events and the live inventory go to the real stores, and the monitor settles each
 * run's end (inventory statuses, alerts). The launcher stands in for the scan service and the shard's inbox only.
 */
import { Entity } from "@mirage/domain/Entity"
import { deriveUuid, ModuleId, OrganizationId, UserId } from "@mirage/domain/Ids"
import type { ScanId } from "@mirage/domain/Ids"
import { defaultConfiguration, overrideConfiguration, ScanDefinition, ScanModule } from "@mirage/domain/Scan"
import { decide, hasEnded, initial } from "@mirage/domain/ScanMachine"
import { Schedule, ScheduleId } from "@mirage/domain/Schedule"
import { Replies } from "@mirage/runtime/cluster/Replies"
import { TaskExecutor } from "@mirage/runtime/collection/TaskExecutor"
import * as TaskPool from "@mirage/runtime/collection/TaskPool"
import * as AlertFeedRedis from "@mirage/runtime/monitoring/alerts/AlertFeed/Redis"
import * as AlertStorePostgres from "@mirage/runtime/monitoring/alerts/AlertStore/Postgres"
import * as Monitor from "@mirage/runtime/monitoring/alerts/Monitor"
import * as InventoryFeed from "@mirage/runtime/monitoring/inventory/InventoryFeed"
import * as InventoryPostgres from "@mirage/runtime/monitoring/inventory/Postgres"
import * as ScheduleHost from "@mirage/runtime/monitoring/schedules/ScheduleHost"
import { runRequest, ScheduleLauncher } from "@mirage/runtime/monitoring/schedules/ScheduleLauncher"
import { ScheduleStore } from "@mirage/runtime/monitoring/schedules/ScheduleStore"
import type { StoredSchedule } from "@mirage/runtime/monitoring/schedules/ScheduleStore"
import * as ScheduleStorePostgres from "@mirage/runtime/monitoring/schedules/ScheduleStore/Postgres"
import { EventStore } from "@mirage/runtime/scans/EventStore"
import * as EventStorePostgres from "@mirage/runtime/scans/EventStore/Postgres"
import * as Journal from "@mirage/runtime/scans/Journal"
import type { ResultStore } from "@mirage/runtime/scans/ResultStore"
import * as ScanActor from "@mirage/runtime/scans/ScanActor"
import { combine, ScanObserver } from "@mirage/runtime/scans/ScanObserver"
import * as ChannelPorts from "@mirage/testkit/ChannelPorts"
import * as MonitoringWorld from "@mirage/testkit/MonitoringWorld"
import {
  Clock,
  Context,
  DateTime,
  Deferred,
  Effect,
  Either,
  Layer,
  Option,
  Scope,
  TestClock,
  TestServices
} from "effect"
import { stores } from "./Harness.js"

export const organization = OrganizationId.make(deriveUuid("scheduled-world", "organization"))
const user = UserId.make(deriveUuid("scheduled-world", "user"))
const shard = 1
const minuteMs = 60_000
/** The first due time: the world's first run. */
export const firstDue = MonitoringWorld.start
/** The certificate every run sees ends 30 days and 90 seconds after the first run: within 30 days at the third. */
export const certificateEnd = firstDue + 30 * MonitoringWorld.dayMs + 90_000
export const series = { organization_id: organization, target_type: "DOMAIN" as const, target_value: "example.com" }

export const layer = Layer.mergeAll(
  Journal.layerWith({ batch: 64, writers: 1 }),
  InventoryFeed.layer,
  TaskPool.layerWith(8),
  ScheduleStorePostgres.layer,
  AlertStorePostgres.layer.pipe(Layer.provide(ChannelPorts.layer({ policy: ChannelPorts.loopbackOnly }))),
  AlertFeedRedis.layer,
  Layer.succeed(
    Replies,
    Replies.of({ channel: "test", ask: (_id, send) => Effect.as(send, Option.none()), publish: () => Effect.void })
  )
).pipe(
  Layer.provideMerge(InventoryPostgres.layer),
  Layer.provideMerge(EventStorePostgres.layer),
  Layer.provideMerge(stores)
)

/** A schedule every minute over the world's root, with the world's modules, from just before the first due time. */
export const scheduleOf = (name: string, newEntitiesOnly: boolean) =>
  Schedule.make({
    id: ScheduleId.make(deriveUuid("scheduled-world", name)),
    organization_id: organization,
    user_id: user,
    name,
    description: "",
    cron: "* * * * *",
    time_zone: "UTC",
    overlap: "skip",
    catch_up: "run_once",
    enabled: true,
    scan: {
      targets: [Entity.make({ type: "DOMAIN", value: MonitoringWorld.root })],
      modules: MonitoringWorld.modules.map((module) => ScanModule.make({ id: ModuleId.make(module.id) })),
      configuration: { recursion_depth: 3 },
      new_entities_only: newEntitiesOnly
    },
    since: DateTime.unsafeMake(firstDue - 30_000),
    created_at: DateTime.unsafeMake(firstDue - 30_000),
    updated_at: DateTime.unsafeMake(firstDue - 30_000),
    next_due_at: null,
    version: 1
  })

const plan = MonitoringWorld.modules.map((module) => ({ ...module, id: ModuleId.make(module.id), config: {} }))

/** Which run of the world (1-4) a due time is. */
const runOf = (dueAt: number) => Math.min(4, Math.floor((dueAt - firstDue) / minuteMs) + 1) as 1 | 2 | 3 | 4

const settings = { graceMs: 30_000, refreshMs: 1_000, queuePollMs: 5_000, missedLimit: 100 }

/** Polls (on the live clock, a few ms at a time) until `done` holds; the test fails if it never does. */
const until = (what: string, done: Effect.Effect<boolean>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 4000; i++) {
      if (yield* done) return
      yield* TestServices.provideLive(Effect.sleep("5 millis"))
    }
    return yield* Effect.dieMessage(`never happened: ${what}`)
  })

/** Whether a fiber sleeps until `at` on the TestClock. */
const sleepsUntil = (at: number) => Effect.map(TestClock.sleeps(), (sleeps) => Array.from(sleeps).includes(at))

/**
 * Starts the schedule's host on the TestClock with the world behind it (the clock at 30 s before the first due
 * time); returns `fire(n)`, which moves the clock to the n-th due time and waits until its run is settled, the scans
 * of the runs in order, and the tasks each run's modules ran.
 */
export const scheduled = (schedule: Schedule) =>
  Effect.gen(function*() {
    const events = yield* EventStore
    const scope = yield* Effect.scope
    yield* TestClock.setTime(firstDue - 30_000)
    yield* events.fence(shard, 1)
    const runs = new Map<ScanId, { readonly n: 1 | 2 | 3 | 4; readonly done: Deferred.Deferred<void> }>()
    const running = new Set<ScanId>()
    const calls = new Map<ScanId, Array<string>>()
    const order: Array<ScanId> = []
    const executor = TaskExecutor.of({
      run: (task) =>
        Effect.sync(() => {
          const scanId = task.scan_id as ScanId
          calls.get(scanId)?.push(`${task.module_id} ${task.entity.value}`)
          return MonitoringWorld.answer(runs.get(scanId)!.n, task.module_id, task.entity.value, certificateEnd).map(
            (item) => ({
              type: item.type,
              value: item.value,
              confidence: 0.9,
              source_data: item.source_data ?? {},
              metadata: {}
            })
          )
        })
    })
    const monitor = yield* Monitor.observer(() => Effect.void, Effect.void)
    const settled = ScanObserver.of({
      persisted: ({ after, before }) =>
        hasEnded(before, after)
          ? Effect.suspend(() => {
            running.delete(after.id)
            const run = runs.get(after.id)
            return run === undefined ? Effect.void : Effect.asVoid(Deferred.succeed(run.done, undefined))
          })
          : Effect.void
    })
    const context = (yield* Effect.context<Journal.Journal | ResultStore | TaskPool.TaskPool | Replies>()).pipe(
      Context.add(TaskExecutor, executor),
      Context.add(ScanObserver, combine(monitor, settled))
    )

    /** What the scan service and the shard's owner do with a run: create its scan, start it in an actor. */
    const startRun = (stored: StoredSchedule, dueAt: number, index: number, scanId: ScanId) =>
      Effect.gen(function*() {
        if (runs.has(scanId)) return
        runs.set(scanId, { n: runOf(dueAt), done: yield* Deferred.make<void>() })
        calls.set(scanId, [])
        order.push(scanId)
        running.add(scanId)
        const request = runRequest(stored, dueAt, index)
        const definition = ScanDefinition.make({
          name: request.name,
          description: request.description ?? "",
          target: request.target,
          modules: request.modules ?? [],
          configuration: overrideConfiguration(defaultConfiguration(), request.configuration)
        })
        const now = yield* Clock.currentTimeMillis
        const header = { organization_id: organization, user_id: user, template_id: null, depends_on: null }
        const created = Either.getOrThrow(
          decide(undefined, { _tag: "CreateScan", scan_id: scanId, header, definition, plan }, now)
        )[0]!
        if (created._tag !== "ScanCreated") return yield* Effect.dieMessage("expected ScanCreated")
        yield* events.append([{
          scan_id: scanId,
          shard,
          expected_seq: 0,
          events: [created],
          command_id: `create-${scanId}`,
          fence: null,
          state: initial(created),
          snapshot: false
        }])
        const loaded = Option.getOrThrow(yield* events.load(scanId))
        const start = {
          _tag: "Deliver" as const,
          envelope: {
            target: scanId,
            command_id: `start-${scanId}`,
            command: { _tag: "StartScan" as const },
            reply_to: null,
            traceparent: null,
            sent_at: now
          },
          ack: Effect.void
        }
        yield* ScanActor.make(loaded, { shard, fence: { shard, epoch: 1 } }, {
          scanConcurrency: 4,
          snapshotEvery: 50
        }, [start]).pipe(Effect.provide(context), Scope.extend(scope))
      }).pipe(Effect.orDie)

    const launcher = ScheduleLauncher.of({
      launch: (stored, dueAt, scanIds) =>
        Effect.forEach(scanIds, (id, index) => startRun(stored, dueAt, index, id), { discard: true }),
      running: (_stored, scanIds) => Effect.sync(() => scanIds.some((id) => running.has(id)))
    })
    const store = yield* ScheduleStore
    yield* store.insert({ schedule, shard, owner: { user_id: user, role: "admin", key_id: deriveUuid("key") } })
    yield* ScheduleHost.make(settings, () => [{ shard, epoch: 1 }]).pipe(
      Effect.provideService(ScheduleLauncher, launcher)
    )

    /** Moves the clock to the n-th due time (once the schedule waits for it) and waits until its run is settled. */
    const fire = (n: number) =>
      Effect.gen(function*() {
        const due = firstDue + (n - 1) * minuteMs
        yield* until(`the schedule waits for due time ${n}`, sleepsUntil(due))
        yield* TestClock.setTime(due)
        yield* until(`run ${n} is launched`, Effect.sync(() => order.length >= n))
        yield* Deferred.await(runs.get(order[n - 1]!)!.done)
        return order[n - 1]!
      })

    return { calls, fire, order }
  })
