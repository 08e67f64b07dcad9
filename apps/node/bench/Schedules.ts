/**
 * Schedules at scale: 10,000 schedules due in the same minute (their seconds spread over it), shared by two schedule
 * hosts, each with its own Postgres pool and half the shards under their fences. Every due time must be recorded once;
 * the figure is the p99 lag from due time to the fenced record. Runs are launched into a counter, not into scans:
 * this measures the schedule machinery, not scan creation.
 */
import { Entity } from "@mirage/domain/Entity"
import { deriveUuid, OrganizationId, UserId } from "@mirage/domain/Ids"
import { Schedule, ScheduleId } from "@mirage/domain/Schedule"
import { shardsOf } from "@mirage/runtime/cluster/Assignment"
import { shardOf } from "@mirage/runtime/cluster/Shards"
import * as ScheduleHost from "@mirage/runtime/monitoring/schedules/ScheduleHost"
import { ScheduleLauncher } from "@mirage/runtime/monitoring/schedules/ScheduleLauncher"
import { ScheduleStore } from "@mirage/runtime/monitoring/schedules/ScheduleStore"
import * as ScheduleStorePostgres from "@mirage/runtime/monitoring/schedules/ScheduleStore/Postgres"
import * as PgClient from "@mirage/runtime/platform/PgClient"
import { DateTime, Effect, Layer } from "effect"
import postgres from "postgres"
import type { BenchStores } from "./Stores.js"

const shards = 128

const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0
}

export const fireLag = (stores: BenchStores, count: number) =>
  Effect.gen(function*() {
    const sql = postgres(stores.databaseUrl, { max: 4, onnotice: () => undefined })
    yield* Effect.addFinalizer(() => Effect.promise(() => sql.end()))
    yield* Effect.promise(() =>
      sql`INSERT INTO shard_fences (shard, epoch) SELECT s, 1 FROM generate_series(0, ${shards - 1}) s
          ON CONFLICT (shard) DO UPDATE SET epoch = 1`
    )
    // The minute that starts at least 75 s from now: time for both hosts to start every actor first.
    const now = Date.now()
    const minute = Math.ceil((now + 75_000) / 60_000) * 60_000
    const at = new Date(minute)
    const organization = OrganizationId.make(deriveUuid("bench", "schedules"))
    const user = UserId.make(deriveUuid("bench", "user"))
    const since = DateTime.unsafeMake(now)
    const schedules = Array.from({ length: count }, (_, i) =>
      Schedule.make({
        id: ScheduleId.make(deriveUuid("bench-schedule", String(minute), String(i))),
        organization_id: organization,
        user_id: user,
        name: `bench ${i}`,
        description: "",
        cron: `${i % 60} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`,
        time_zone: "UTC",
        overlap: "skip",
        catch_up: "run_once",
        enabled: true,
        scan: { targets: [Entity.make({ type: "DOMAIN", value: `host${i}.example.com` })], new_entities_only: false },
        since,
        created_at: since,
        updated_at: since,
        next_due_at: null,
        version: 1
      }))
    const owner = { user_id: user, role: "admin" as const, key_id: deriveUuid("bench", "key") }
    yield* Effect.forEach(
      schedules,
      (schedule) =>
        Effect.flatMap(
          ScheduleStore,
          (store) => store.insert({ schedule, shard: shardOf(schedule.id, shards), owner })
        ),
      { concurrency: 8, discard: true }
    ).pipe(Effect.provide(ScheduleStorePostgres.layer.pipe(Layer.provide(PgClient.layerWith(stores.databaseUrl, 8)))))

    let launched = 0
    // Lag is read when the run launches: after its record committed, as a real run would start.
    const lags: Array<number> = []
    const launcher = Layer.succeed(
      ScheduleLauncher,
      ScheduleLauncher.of({
        launch: (_stored, due, ids) =>
          Effect.sync(() => {
            launched += ids.length
            lags.push(Date.now() - due)
          }),
        running: () => Effect.succeed(false)
      })
    )
    const members = ["bench-a", "bench-b"]
    const settings = { graceMs: 30_000, refreshMs: 1_000, queuePollMs: 5_000, missedLimit: 100 }
    const hosts = yield* Effect.forEach(members, (member) =>
      Effect.gen(function*() {
        // Each host its own pool, open for the whole run (built in the run's scope).
        const context = yield* Layer.build(Layer.merge(
          ScheduleStorePostgres.layer.pipe(Layer.provide(PgClient.layerWith(stores.databaseUrl, 16))),
          launcher
        ))
        const leases = shardsOf(member, members, shards).map((shard) => ({ shard, epoch: 1 }))
        return yield* ScheduleHost.make(settings, () => leases).pipe(Effect.provide(context))
      }))
    while (Date.now() < minute + 180_000 && !(launched >= count && Date.now() > minute + 60_000)) {
      yield* Effect.sleep("500 millis")
    }
    const rows = yield* Effect.promise(() =>
      sql<Array<{ schedule_id: string }>>`SELECT schedule_id::text AS schedule_id FROM schedule_runs`
    )
    return {
      schedules: count,
      recorded: rows.length,
      distinct: new Set(rows.map((row) => row.schedule_id)).size,
      launched,
      actors: hosts.reduce((n, host) => n + host.running(), 0),
      p50: percentile(lags, 50),
      p99: percentile(lags, 99),
      max: Math.max(0, ...lags)
    }
  }).pipe(Effect.scoped)
