/**
 * Schedules in the simulation: every node hosts the schedule actors of its shards on the shared in-memory schedule
 * store (fenced by the event store's fences), and runs are launched into a shared tally. The invariant checked at the
 * end: each due time of each schedule, from its start until shortly before the end, was recorded exactly once.
 */
import { Entity } from "@mirage/domain/Entity"
import { deriveUuid, OrganizationId, UserId } from "@mirage/domain/Ids"
import { Schedule, ScheduleId } from "@mirage/domain/Schedule"
import { dueBetween } from "@mirage/domain/ScheduleCron"
import { DateTime, Effect, Layer } from "effect"
import type { Scope } from "effect"
import type { ShardLease } from "../cluster/ShardLeases.js"
import { shardOf } from "../cluster/Shards.js"
import * as ScheduleHost from "../monitoring/schedules/ScheduleHost.js"
import { ScheduleLauncher } from "../monitoring/schedules/ScheduleLauncher.js"
import * as ScheduleStoreMemory from "../monitoring/schedules/ScheduleStore/Memory.js"
import type { ScheduleSettings } from "../monitoring/schedules/Settings.js"
import type { EventStoreMemory } from "../scans/EventStore/Memory.js"
import type { Ledger } from "./Invariants.js"
import { violate } from "./Invariants.js"

export interface World {
  readonly store: ScheduleStoreMemory.ScheduleStoreMemory
  /** Scan id → how many times a run launched it (a relaunch after a crash is allowed: creation is idempotent). */
  readonly launches: Map<string, number>
}

export const makeWorld = (): World => ({ store: ScheduleStoreMemory.makeStore(), launches: new Map() })

export const settings: ScheduleSettings = { graceMs: 30_000, refreshMs: 1_000, queuePollMs: 2_000, missedLimit: 100 }

/** A node's schedule host, in the node's scope and on its clock. */
export const host = (
  world: World,
  events: EventStoreMemory,
  leases: () => ReadonlyArray<ShardLease>
): Effect.Effect<unknown, never, Scope.Scope> =>
  ScheduleHost.make(settings, leases).pipe(
    Effect.provide(Layer.merge(
      ScheduleStoreMemory.layer(world.store, events),
      Layer.succeed(
        ScheduleLauncher,
        ScheduleLauncher.of({
          launch: (_stored, _due, ids) =>
            Effect.sync(() => {
              for (const id of ids) world.launches.set(id, (world.launches.get(id) ?? 0) + 1)
            }),
          running: () => Effect.succeed(false)
        })
      )
    ))
  )

/** `count` schedules due every 2, 3, 5 … seconds from `at`, alternating the catch-up policy. */
export const seed = (world: World, count: number, shards: number, at: number) => {
  const periods = [2, 3, 5, 7]
  for (let i = 0; i < count; i++) {
    const schedule = Schedule.make({
      id: ScheduleId.make(deriveUuid("sim-schedule", String(i))),
      organization_id: OrganizationId.make(deriveUuid("sim-org")),
      user_id: UserId.make(deriveUuid("sim-user")),
      name: `sim ${i}`,
      description: "",
      cron: `*/${periods[i % periods.length]} * * * * *`,
      time_zone: "UTC",
      overlap: "skip",
      catch_up: i % 2 === 0 ? "run_once" : "skip_missed",
      enabled: true,
      scan: { targets: [Entity.make({ type: "DOMAIN", value: `s${i}.example` })], new_entities_only: false },
      since: DateTime.unsafeMake(at),
      created_at: DateTime.unsafeMake(at),
      updated_at: DateTime.unsafeMake(at),
      next_due_at: null,
      version: 1
    })
    world.store.seq += 1
    world.store.schedules.set(schedule.id, {
      schedule,
      shard: shardOf(schedule.id, shards),
      owner: { user_id: schedule.user_id, role: "admin", key_id: deriveUuid("sim-key") },
      deleted: false,
      seq: world.store.seq
    })
  }
}

/**
 * "schedule-once": each schedule's records are exactly its due times from its start, in order, none twice, none
 * skipped, up to `until`; every started record's scans were launched.
 */
export const check = (world: World, ledger: Ledger, until: number) =>
  Effect.gen(function*() {
    let recorded = 0
    for (const { schedule } of world.store.schedules.values()) {
      const records = Array.from(world.store.runs.get(schedule.id)?.values() ?? []).sort((a, b) => a.due_at - b.due_at)
      recorded += records.length
      const spec = { cron: schedule.cron, time_zone: schedule.time_zone }
      const since = DateTime.toEpochMillis(schedule.since) - 1
      const expected = dueBetween(spec, since, until, 100_000)
      const got = records.map((r) => r.due_at).filter((due) => due <= until)
      if (got.join() !== expected.join()) {
        const missing = expected.filter((due) => !got.includes(due))
        yield* violate(
          ledger,
          "schedule-once",
          `schedule ${schedule.name}: ${got.length} due times recorded of ${expected.length}; missing ${
            missing.slice(0, 3).join(",")
          }`
        )
      }
      for (const record of records) {
        if (record.outcome !== "started") continue
        if (record.scan_ids.some((id) => !world.launches.has(id))) {
          yield* violate(ledger, "schedule-once", `schedule ${schedule.name}: due ${record.due_at} never launched`)
        }
      }
    }
    return recorded
  })
