import { describe, expect, it } from "@effect/vitest"
import { Entity } from "@mirage/domain/Entity"
import { deriveUuid, OrganizationId, UserId } from "@mirage/domain/Ids"
import type { ScanId } from "@mirage/domain/Ids"
import { Schedule, ScheduleId } from "@mirage/domain/Schedule"
import type { CatchUpPolicy, OverlapPolicy } from "@mirage/domain/Schedule"
import { runScanId } from "@mirage/domain/Schedule"
import type { ShardLease } from "@mirage/runtime/cluster/ShardLeases"
import * as ScheduleHost from "@mirage/runtime/monitoring/schedules/ScheduleHost"
import { ScheduleLauncher } from "@mirage/runtime/monitoring/schedules/ScheduleLauncher"
import { ScheduleStore } from "@mirage/runtime/monitoring/schedules/ScheduleStore"
import * as ScheduleStoreMemory from "@mirage/runtime/monitoring/schedules/ScheduleStore/Memory"
import type { ScheduleSettings } from "@mirage/runtime/monitoring/schedules/Settings"
import { DateTime, Effect, Layer, TestClock } from "effect"

const settings: ScheduleSettings = { graceMs: 30_000, refreshMs: 1_000, queuePollMs: 5_000, missedLimit: 100 }
const t0 = Date.parse("2026-06-01T00:00:30Z")
const shard = 3

const makeSchedule = (name: string, options: {
  readonly cron?: string
  readonly overlap?: OverlapPolicy
  readonly catchUp?: CatchUpPolicy
  readonly targets?: number
}) =>
  Schedule.make({
    id: ScheduleId.make(deriveUuid("schedule-host-test", name)),
    organization_id: OrganizationId.make(deriveUuid("org")),
    user_id: UserId.make(deriveUuid("user")),
    name,
    description: "",
    cron: options.cron ?? "* * * * *",
    time_zone: "UTC",
    overlap: options.overlap ?? "skip",
    catch_up: options.catchUp ?? "run_once",
    enabled: true,
    scan: {
      targets: Array.from({ length: options.targets ?? 1 }, (_, i) =>
        Entity.make({ type: "DOMAIN", value: `e${i}.test` })),
      new_entities_only: false
    },
    since: DateTime.unsafeMake(t0),
    created_at: DateTime.unsafeMake(t0),
    updated_at: DateTime.unsafeMake(t0),
    next_due_at: null,
    version: 1
  })

/** A world of one shard: its fence, the leases the host sees, the launched scans and which of them still run. */
const world = () => {
  const fences = new Map<number, number>([[shard, 1]])
  const store = ScheduleStoreMemory.makeStore()
  const launched: Array<ScanId> = []
  const running = new Set<ScanId>()
  /** Whether launched scans keep running (until `running` is cleared) or end at once. */
  const state = { hold: false }
  let leases: ReadonlyArray<ShardLease> = [{ shard, epoch: 1 }]
  const launcher = ScheduleLauncher.of({
    launch: (_stored, _due, ids) =>
      Effect.sync(() => {
        for (const id of ids) {
          launched.push(id)
          if (state.hold) running.add(id)
        }
      }),
    running: (_stored, ids) => Effect.sync(() => ids.some((id) => running.has(id)))
  })
  const layer = Layer.merge(
    ScheduleStoreMemory.layer(store, { fences }),
    Layer.succeed(ScheduleLauncher, launcher)
  )
  const add = (schedule: Schedule) =>
    Effect.flatMap(
      ScheduleStore,
      (s) =>
        s.insert({ schedule, shard, owner: { user_id: schedule.user_id, role: "admin", key_id: deriveUuid("key") } })
    )
  const outcomes = (schedule: Schedule) =>
    Array.from(store.runs.get(schedule.id)?.values() ?? []).sort((a, b) => a.due_at - b.due_at).map((r) => [
      (r.due_at - t0 + 30_000) / 60_000,
      r.outcome
    ])
  return {
    fences,
    store,
    launched,
    running,
    state,
    layer,
    add,
    outcomes,
    setLeases: (next: ReadonlyArray<ShardLease>) => {
      leases = next
    },
    leases: () => leases
  }
}

describe("ScheduleHost", () => {
  it.scoped("fires every due time once, with the run ids the due time gives", () => {
    const w = world()
    const schedule = makeSchedule("every-minute", { targets: 2 })
    return Effect.gen(function*() {
      yield* TestClock.setTime(t0)
      yield* w.add(schedule)
      yield* ScheduleHost.make(settings, w.leases)
      yield* TestClock.adjust("10 minutes")
      expect(w.outcomes(schedule)).toEqual(Array.from({ length: 10 }, (_, i) => [i + 1, "started"]))
      const dues = Array.from({ length: 10 }, (_, i) => t0 - 30_000 + (i + 1) * 60_000)
      expect(w.launched).toEqual(
        dues.flatMap((due) => [runScanId(schedule.id, due, 0), runScanId(schedule.id, due, 1)])
      )
    }).pipe(Effect.provide(w.layer))
  })

  it.scoped("overlap skip: a due time that finds the previous run going is skipped", () => {
    const w = world()
    const schedule = makeSchedule("skip", { overlap: "skip" })
    w.state.hold = true
    return Effect.gen(function*() {
      yield* TestClock.setTime(t0)
      yield* w.add(schedule)
      yield* ScheduleHost.make(settings, w.leases)
      yield* TestClock.adjust("3 minutes")
      w.running.clear()
      yield* TestClock.adjust("1 minute")
      expect(w.outcomes(schedule)).toEqual([[1, "started"], [2, "skipped_overlap"], [3, "skipped_overlap"], [
        4,
        "started"
      ]])
    }).pipe(Effect.provide(w.layer))
  })

  it.scoped("overlap queue_one: one run waits for the previous one, later ones are skipped", () => {
    const w = world()
    const schedule = makeSchedule("queue", { overlap: "queue_one" })
    w.state.hold = true
    return Effect.gen(function*() {
      yield* TestClock.setTime(t0)
      yield* w.add(schedule)
      yield* ScheduleHost.make(settings, w.leases)
      yield* TestClock.adjust("3 minutes")
      expect(w.outcomes(schedule)).toEqual([[1, "started"], [2, "queued"], [3, "skipped_overlap"]])
      expect(w.launched.length).toBe(1)
      w.running.clear()
      yield* TestClock.adjust("5 seconds")
      expect(w.outcomes(schedule)).toEqual([[1, "started"], [2, "started"], [3, "skipped_overlap"]])
      expect(w.launched).toEqual([runScanId(schedule.id, t0 + 30_000, 0), runScanId(schedule.id, t0 + 90_000, 0)])
    }).pipe(Effect.provide(w.layer))
  })

  const outage = (catchUp: CatchUpPolicy) => {
    const w = world()
    const schedule = makeSchedule(`outage-${catchUp}`, { catchUp })
    return Effect.gen(function*() {
      yield* TestClock.setTime(t0)
      yield* w.add(schedule)
      yield* ScheduleHost.make(settings, w.leases)
      yield* TestClock.adjust("2 minutes")
      // The shard is lost, then taken again under a new epoch after five more due times.
      w.setLeases([])
      yield* TestClock.adjust("5 minutes")
      w.fences.set(shard, 2)
      w.setLeases([{ shard, epoch: 2 }])
      yield* TestClock.adjust("1 second")
      return w.outcomes(schedule)
    }).pipe(Effect.provide(w.layer))
  }

  it.scoped("catch-up run_once: the missed due times are recorded and the latest runs once", () =>
    Effect.map(outage("run_once"), (outcomes) =>
      expect(outcomes).toEqual([
        [1, "started"],
        [2, "started"],
        [3, "missed"],
        [4, "missed"],
        [5, "missed"],
        [6, "missed"],
        [7, "started"]
      ])))

  it.scoped("catch-up skip_missed: no missed due time runs", () =>
    Effect.map(outage("skip_missed"), (outcomes) =>
      expect(outcomes).toEqual([
        [1, "started"],
        [2, "started"],
        [3, "missed"],
        [4, "missed"],
        [5, "missed"],
        [6, "missed"],
        [7, "missed"]
      ])))

  it.scoped("a host whose epoch is stale records nothing, and two hosts never record a due time twice", () => {
    const w = world()
    const schedule = makeSchedule("takeover", { cron: "*/10 * * * * *" })
    return Effect.gen(function*() {
      yield* TestClock.setTime(t0)
      yield* w.add(schedule)
      let second: ReadonlyArray<ShardLease> = []
      yield* ScheduleHost.make(settings, w.leases)
      yield* ScheduleHost.make(settings, () => second)
      yield* TestClock.adjust("30 seconds")
      // The second node takes the shard over while the first still believes it holds it.
      w.fences.set(shard, 2)
      second = [{ shard, epoch: 2 }]
      yield* TestClock.adjust("60 seconds")
      const records = Array.from(w.store.runs.get(schedule.id)!.values())
      expect(records.map((r) => r.due_at)).toEqual(Array.from({ length: 10 }, (_, i) => t0 + 10_000 * i))
      expect(records.every((r) => r.outcome === "started")).toBe(true)
      expect(new Set(w.launched).size).toBe(w.launched.length)
      expect(w.launched.length).toBe(10)
    }).pipe(Effect.provide(w.layer))
  })

  it.scoped("a disabled or deleted schedule stops firing", () => {
    const w = world()
    const schedule = makeSchedule("toggled", {})
    return Effect.gen(function*() {
      yield* TestClock.setTime(t0)
      yield* w.add(schedule)
      yield* ScheduleHost.make(settings, w.leases)
      yield* TestClock.adjust("2 minutes")
      const store = yield* ScheduleStore
      yield* store.replace(Schedule.make({ ...schedule, enabled: false, version: 2 }), 1)
      yield* TestClock.adjust("3 minutes")
      expect(w.outcomes(schedule).length).toBe(2)
      yield* store.replace(
        Schedule.make({ ...schedule, enabled: true, version: 3, since: DateTime.unsafeMake(t0 + 5 * 60_000) }),
        2
      )
      yield* TestClock.adjust("2 minutes")
      expect(w.outcomes(schedule).map(([m]) => m)).toEqual([1, 2, 6, 7])
      yield* store.remove(schedule.organization_id, schedule.id)
      yield* TestClock.adjust("3 minutes")
      expect(w.outcomes(schedule).length).toBe(4)
    }).pipe(Effect.provide(w.layer))
  })
})
