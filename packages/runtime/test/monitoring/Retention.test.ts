/**
 * Retention: expired runs lose their results, events and place in the scans list; runs not ended, the latest ended
 * run of a series, runs the inventory refers to and runs a running scan depends on are never purged.
 */
import { describe, expect, it } from "@effect/vitest"
import { deriveUuid, OrganizationId, ScanId } from "@mirage/domain/Ids"
import { expiredRuns, RetentionPolicy } from "@mirage/domain/Retention"
import * as AlertStorePostgres from "@mirage/runtime/monitoring/alerts/AlertStore/Postgres"
import { monitorRun } from "@mirage/runtime/monitoring/alerts/Monitor"
import * as InventoryPostgres from "@mirage/runtime/monitoring/inventory/Postgres"
import { purgeOrganization, putPolicy, sweep } from "@mirage/runtime/monitoring/retention/Retention"
import { PgClient } from "@mirage/runtime/platform/PgClient"
import { ResultStore } from "@mirage/runtime/scans/ResultStore"
import * as ChannelPorts from "@mirage/testkit/ChannelPorts"
import * as MonitoringWorld from "@mirage/testkit/MonitoringWorld"
import { Effect, Layer, TestClock } from "effect"
import { completedScan, storeRun, stores } from "./Harness.js"

const organization = OrganizationId.make("0b7f3c52-4d1e-4a6b-9c2d-5e8f7a6b1c02")
const series = { organization_id: organization, target_type: "DOMAIN" as const, target_value: MonitoringWorld.root }
const day = MonitoringWorld.dayMs

const layer = Layer.mergeAll(InventoryPostgres.layer, AlertStorePostgres.layer).pipe(
  Layer.provide(ChannelPorts.layer()),
  Layer.provideMerge(stores)
)

const id = (name: string) => ScanId.make(deriveUuid("retention", name))

describe("Retention", () => {
  it("keeps what is needed, the latest ended run and runs not ended, whatever the policy", () => {
    const runs = [
      { id: id("a"), series: "s", created_at: 1, ended_at: 2 },
      { id: id("b"), series: "s", created_at: 3, ended_at: 4 },
      { id: id("c"), series: "s", created_at: 5, ended_at: 6 },
      { id: id("d"), series: "s", created_at: 7, ended_at: null }
    ]
    const keepOne = RetentionPolicy.make({ keep_runs: 1, keep_days: null })
    expect(expiredRuns(runs, keepOne, 10, new Set())).toEqual([id("b"), id("a")])
    expect(expiredRuns(runs, keepOne, 10, new Set([id("a")]))).toEqual([id("b")])
    expect(expiredRuns(runs, RetentionPolicy.make({ keep_runs: null, keep_days: null }), 10, new Set())).toEqual([])
    expect(expiredRuns(runs, RetentionPolicy.make({ keep_runs: null, keep_days: 1 }), day + 3, new Set()))
      .toEqual([id("a")])
  })

  it.scoped(
    "purges expired runs' results and events, never what the inventory or a running scan needs",
    () =>
      Effect.gen(function*() {
        const sql = yield* PgClient
        const results = yield* ResultStore
        const ids: Array<ScanId> = []
        for (const n of [1, 2, 3, 4, 5, 6]) {
          const scanId = yield* storeRun(organization, "daily", n)
          ids.push(scanId)
          yield* monitorRun({ series, scan_id: scanId, at: MonitoringWorld.completedAt(n) })
        }
        const failed = yield* storeRun(organization, "daily-failed", 4.5, { status: "FAILED" })
        const running = yield* storeRun(organization, "daily-running", 8, { status: "RUNNING" })
        // Another series: W is expired; X is needed by the running Y; Z is that series' latest ended run.
        const w = yield* storeRun(organization, "other", 1, { target: "other.example" })
        const x = yield* storeRun(organization, "other", 2, { target: "other.example" })
        const z = yield* storeRun(organization, "other", 3, { target: "other.example" })
        const y = yield* storeRun(organization, "other", 4, { target: "other.example", status: "RUNNING" })
        yield* Effect.promise(() =>
          sql`insert into scan_dependencies (scan_id, depends_on, organization_id) values (${y}, ${x}, ${organization})`
        )
        for (const scanId of [ids[4]!, w]) {
          yield* Effect.promise(() =>
            sql`insert into scan_events (scan_id, seq, type, payload, at) values (${scanId}, 1, 'ScanStarted', '{}', now())`
          )
        }

        yield* putPolicy(organization, RetentionPolicy.make({ keep_runs: 1, keep_days: null }))
        const purged = yield* purgeOrganization(organization, MonitoringWorld.completedAt(9))
        // Runs 1-3 hold first sightings, run 1 the last sighting of the closed port, run 6 is the latest: they stay.
        expect([...purged].sort()).toEqual([ids[3]!, ids[4]!, failed, w].sort())
        for (const scanId of purged) expect(yield* results.count(scanId)).toBe(0)
        for (const scanId of [...ids.slice(0, 3), ids[5]!, running, x, z, y]) {
          expect(yield* results.count(scanId)).toBeGreaterThan(0)
        }
        const events = yield* Effect.promise(() =>
          sql`select scan_id from scan_events where scan_id in ${sql([ids[4]!, w])}`
        )
        expect(events).toHaveLength(0)
        const listed = yield* Effect.promise(() =>
          sql<
            Array<{ id: string }>
          >`select id from scans where organization_id = ${organization} and deleted_at is null`
        )
        expect(listed.map((row) => row.id).sort()).toEqual([...ids.slice(0, 3), ids[5]!, running, x, z, y].sort())
        // The inventory is untouched, and a second pass purges nothing more.
        expect(yield* monitorRun({ series, scan_id: ids[5]!, at: MonitoringWorld.completedAt(6) })).toEqual([])
        expect(yield* purgeOrganization(organization, MonitoringWorld.completedAt(9))).toEqual([])
      }).pipe(Effect.provide(layer)),
    60_000
  )

  it.scoped("the background sweep applies a policy by age at the clock's time", () =>
    Effect.gen(function*() {
      const results = yield* ResultStore
      const a = yield* storeRun(organization, "aged", 1, { target: "aged.example" })
      const b = yield* storeRun(organization, "aged", 2, { target: "aged.example" })
      yield* completedScan(
        organization,
        ScanId.make(deriveUuid("aged-c")),
        { type: "DOMAIN", value: "aged.example" },
        MonitoringWorld.completedAt(3)
      )
      yield* putPolicy(organization, RetentionPolicy.make({ keep_runs: null, keep_days: 2 }))
      yield* TestClock.setTime(MonitoringWorld.completedAt(3))
      expect(yield* sweep).toBe(0)
      yield* TestClock.setTime(MonitoringWorld.completedAt(3) + 1)
      expect(yield* sweep).toBe(1)
      expect(yield* results.count(a)).toBe(0)
      expect(yield* results.count(b)).toBeGreaterThan(0)
    }).pipe(Effect.provide(layer)), 60_000)
})
