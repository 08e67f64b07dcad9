/**
 * The changing world on a schedule every minute, fired by the schedule's actor under the TestClock: each run is a
 * scan whose modules answer as the world is at that run (a subdomain appears, a port closes, a certificate comes
 * within 30 days of its end). The runs' diffs, the inventory's statuses after each run and the alerts each run
 * raised match the changes exactly, and the inventory rebuilt from the runs equals the one kept as they went. A
 * schedule that expands only new entities runs its follow-up modules on the new names only.
 */
import { describe, expect, it } from "@effect/vitest"
import type { ScanId } from "@mirage/domain/Ids"
import { diffRuns } from "@mirage/domain/Inventory"
import { runScanId } from "@mirage/domain/Schedule"
import { AlertStore } from "@mirage/runtime/monitoring/alerts/AlertStore"
import { Inventory } from "@mirage/runtime/monitoring/inventory/Inventory"
import { rebuild, sightingsOf } from "@mirage/runtime/monitoring/inventory/Runs"
import { ScheduleStore } from "@mirage/runtime/monitoring/schedules/ScheduleStore"
import * as MonitoringWorld from "@mirage/testkit/MonitoringWorld"
import { Effect } from "effect"
import { firstDue, layer, organization, scheduled, scheduleOf, series } from "./ScheduledRuns.js"

const rules = MonitoringWorld.alertRules(organization)

const statuses = Effect.map(
  Effect.flatMap(Inventory, (inventory) => inventory.assets(series)),
  (assets) =>
    Object.fromEntries([...assets].sort((a, b) => (a.value < b.value ? -1 : 1)).map((a) => [a.value, a.status]))
)

const byKey = (a: { type: string; value: string }, b: { type: string; value: string }) =>
  `${a.type}:${a.value}` < `${b.type}:${b.value}` ? -1 : 1

describe("a schedule over the changing world", () => {
  it.scoped(
    "fires every minute under the TestClock; diffs, inventory and alerts match the world's changes",
    () =>
      Effect.gen(function*() {
        const store = yield* AlertStore
        for (const each of rules) yield* store.putRule(each)
        const schedule = scheduleOf("every minute", false)
        const world = yield* scheduled(schedule)

        const ids: Array<ScanId> = []
        const after: Array<Record<string, string>> = []
        for (const n of [1, 2, 3, 4]) {
          ids.push(yield* world.fire(n))
          after.push(yield* statuses)
        }
        // The schedule's own runs: one scan per due time, under the ids the due times give.
        expect(ids).toEqual([0, 1, 2, 3].map((i) => runScanId(schedule.id, firstDue + i * 60_000, 0)))
        const records = yield* Effect.flatMap(ScheduleStore, (schedules) => schedules.runs(schedule.id, null, 10))
        expect(records.map((record) => [record.due_at - firstDue, record.outcome])).toEqual(
          expect.arrayContaining([[0, "started"], [60_000, "started"], [120_000, "started"], [180_000, "started"]])
        )

        // Alerts, run by run.
        const alerts = (yield* store.alerts({ organization_id: organization, limit: 100 })).items
        const raised = ids.map((id) =>
          alerts.filter((alert) => alert.scan_id === id)
            .map(MonitoringWorld.describeAlert)
            .sort()
        )
        expect(raised).toEqual(MonitoringWorld.expectedAlerts)

        // Inventory statuses after each run.
        const base = {
          "192.0.2.10": "present",
          "192.0.2.10:443": "present",
          "5f0c4d7a9e2b3c1d8e6f7a0b9c2d4e1f3a5b7c9d": "present",
          "cdn.partner.net": "present",
          "mail.example.com": "present",
          "www.example.com": "present"
        }
        expect(after[0]).toEqual({
          "192.0.2.10": "new",
          "192.0.2.10:22": "new",
          "192.0.2.10:443": "new",
          "5f0c4d7a9e2b3c1d8e6f7a0b9c2d4e1f3a5b7c9d": "new",
          "cdn.partner.net": "new",
          "mail.example.com": "new",
          "www.example.com": "new"
        })
        expect(after[1]).toEqual({
          ...base,
          "192.0.2.10:22": "gone",
          "dev.example.com": "new",
          "shop.partner.net": "new"
        })
        expect(after[2]).toEqual({
          ...base,
          "192.0.2.10:22": "gone",
          "192.0.2.10:8443": "new",
          "CVE-2024-3094": "new",
          "dev.example.com": "present",
          "shop.partner.net": "present"
        })
        expect(after[3]).toEqual({
          ...base,
          "192.0.2.10:22": "gone",
          "192.0.2.10:8443": "present",
          "CVE-2024-3094": "present",
          "dev.example.com": "present",
          "shop.partner.net": "present"
        })

        // Diffs between consecutive runs.
        const sightings = yield* Effect.forEach(ids, (id) => sightingsOf(id))
        const diffs = [1, 2, 3].map((i) =>
          diffRuns({ scan_id: ids[i]!, entities: sightings[i]! }, { scan_id: ids[i - 1]!, entities: sightings[i - 1]! })
        )
        expect(diffs.map((diff) => diff.by_type.map((changes) => [changes.type, changes.added, changes.removed])))
          .toEqual([
            [["DOMAIN", ["dev.example.com", "shop.partner.net"], []], ["OPEN_PORT", [], ["192.0.2.10:22"]]],
            [["OPEN_PORT", ["192.0.2.10:8443"], []], ["VULNERABILITY", ["CVE-2024-3094"], []]],
            []
          ])

        // First and last sightings are the runs' ends (due times: the clock stood still while each ran).
        const inventory = yield* Inventory
        const assets = yield* inventory.assets(series)
        const closed = assets.find((asset) => asset.value === "192.0.2.10:22")!
        expect([closed.first_seen, closed.last_seen, closed.scans]).toEqual([firstDue, firstDue, [ids[0]]])
        const www = assets.find((asset) => asset.value === "www.example.com")!
        expect([www.first_seen, www.last_seen, www.scans]).toEqual([firstDue, firstDue + 180_000, ids])

        // Rebuilt from the runs' events and results, the inventory is the one kept as results arrived.
        const kept = [...assets].sort(byKey)
        expect(yield* rebuild(series)).toBe(4)
        expect([...(yield* inventory.assets(series))].sort(byKey)).toEqual(kept)
      }).pipe(Effect.provide(layer)),
    120_000
  )

  it.scoped(
    "with new entities only, the second run expands the new names and nothing it knew",
    () =>
      Effect.gen(function*() {
        const world = yield* scheduled(scheduleOf("new names only", true))
        const first = yield* world.fire(1)
        const second = yield* world.fire(2)
        const ran = (id: ScanId) => [...world.calls.get(id)!].sort()
        // The first run knows nothing: everything it finds is expanded.
        expect(ran(first)).toEqual([
          "crtsh cdn.partner.net",
          "crtsh example.com",
          "crtsh mail.example.com",
          "crtsh www.example.com",
          "dns_resolve cdn.partner.net",
          "dns_resolve example.com",
          "dns_resolve mail.example.com",
          "dns_resolve www.example.com",
          "port_scan_tcp 192.0.2.10",
          "shodan_internetdb 192.0.2.10",
          "tls_certificate 192.0.2.10:22",
          "tls_certificate 192.0.2.10:443"
        ])
        // The second: the target's modules, then only the two names that are new.
        expect(ran(second)).toEqual([
          "crtsh dev.example.com",
          "crtsh example.com",
          "crtsh shop.partner.net",
          "dns_resolve dev.example.com",
          "dns_resolve example.com",
          "dns_resolve shop.partner.net"
        ])
        // The names it knew are still results of the run; what it did not look behind again is not gone.
        expect((yield* sightingsOf(second)).map((s) => s.value).sort()).toEqual([
          "cdn.partner.net",
          "dev.example.com",
          "mail.example.com",
          "shop.partner.net",
          "www.example.com"
        ])
        expect(yield* statuses).toEqual({
          "192.0.2.10": "present",
          "192.0.2.10:22": "present",
          "192.0.2.10:443": "present",
          "5f0c4d7a9e2b3c1d8e6f7a0b9c2d4e1f3a5b7c9d": "present",
          "cdn.partner.net": "present",
          "dev.example.com": "new",
          "mail.example.com": "present",
          "shop.partner.net": "new",
          "www.example.com": "present"
        })
      }).pipe(Effect.provide(layer)),
    120_000
  )
})
