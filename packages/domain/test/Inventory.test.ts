import { describe, expect, it } from "@effect/vitest"
import { entityKey } from "@mirage/domain/Entity"
import { deriveUuid, ScanId } from "@mirage/domain/Ids"
import { applyRun, applyToSeries, foldRuns, recordSighting, withoutRun } from "@mirage/domain/Inventory"
import type { AssetRecord, Run, Sighting } from "@mirage/domain/Inventory"
import { FastCheck } from "effect"

const universe: ReadonlyArray<Sighting> = [
  { type: "DOMAIN", value: "www.example.com", expires_at: null },
  { type: "DOMAIN", value: "dev.example.com", expires_at: null },
  { type: "IP", value: "192.0.2.10", expires_at: null },
  { type: "OPEN_PORT", value: "192.0.2.10:22", expires_at: null },
  { type: "CERTIFICATE", value: "5f0c4d7a9e2b3c1d8e6f7a0b9c2d4e1f3a5b7c9d", expires_at: 1_000_000 }
]

const scan = (n: number) => ScanId.make(deriveUuid("inventory-test", String(n)))

const runOf = (n: number, picked: ReadonlyArray<boolean>, partial: boolean): Run => ({
  scan_id: scan(n),
  at: 1000 * (n + 1),
  entities: universe.filter((_, i) => picked[i]),
  ...(partial ? { partial } : {})
})

/** The series kept live: each run's sightings recorded as they arrive (in any order, some twice), then applied. */
const keptLive = (runs: ReadonlyArray<Run>, order: ReadonlyArray<number>) => {
  let assets = new Map<string, AssetRecord>()
  const applied: Array<{ scan_id: ScanId; at: number }> = []
  const previous: Array<ReadonlySet<string> | null> = []
  for (const run of runs) {
    const arriving = [...run.entities, ...run.entities.slice(0, 1)]
      .map((sighting, i) => ({ sighting, rank: order[i % order.length]! }))
      .sort((a, b) => a.rank - b.rank)
    for (const { sighting } of arriving) {
      const next = recordSighting(assets.get(entityKey(sighting)), run.scan_id, sighting, run.at - 500)
      if (next !== undefined) assets.set(entityKey(sighting), next)
    }
    const result = applyToSeries(assets, applied, run)
    previous.push(result.previous)
    assets = new Map(result.assets.map((asset) => [entityKey(asset), asset]))
    for (const key of result.remove) assets.delete(key)
    applied.push({ scan_id: run.scan_id, at: run.at })
  }
  return { assets, previous }
}

const sorted = (assets: Iterable<AssetRecord>) => [...assets].sort((a, b) => (entityKey(a) < entityKey(b) ? -1 : 1))

describe("Inventory", () => {
  it("kept as results arrive then settled by each run's end, it is the fold of the runs", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.array(
          FastCheck.tuple(FastCheck.array(FastCheck.boolean(), { minLength: 5, maxLength: 5 }), FastCheck.boolean()),
          { minLength: 1, maxLength: 5 }
        ),
        FastCheck.array(FastCheck.nat(100), { minLength: 6, maxLength: 6 }),
        (shapes, order) => {
          const runs = shapes.map(([picked, partial], n) => runOf(n, picked, partial))
          const live = keptLive(runs, order)
          expect(sorted(live.assets.values())).toEqual(sorted(foldRuns(runs).values()))
          // What each run's alerts compare with: the keys the series still held before it.
          runs.forEach((_, n) => {
            const before = foldRuns(runs.slice(0, n))
            const expected = n === 0
              ? null
              : new Set([...before.values()].filter((asset) => asset.status !== "gone").map(entityKey))
            expect(live.previous[n]).toEqual(expected)
          })
        }
      )
    )
  })

  it("a run applied again changes nothing; a late sighting of it records nothing", () => {
    const first = runOf(0, [true, false, true, true, true], false)
    const second = runOf(1, [true, true, true, false, true], false)
    const after = foldRuns([first, second])
    const again = applyToSeries(after, [first, second], second)
    expect(again.applied).toBe(false)
    expect(again.write).toEqual([])
    expect(again.previous).toEqual(
      new Set([
        "DOMAIN:www.example.com",
        "IP:192.0.2.10",
        "OPEN_PORT:192.0.2.10:22",
        "CERTIFICATE:5f0c4d7a9e2b3c1d8e6f7a0b9c2d4e1f3a5b7c9d"
      ])
    )
    expect(recordSighting(after.get("DOMAIN:dev.example.com"), second.scan_id, universe[1]!, 9999)).toBeUndefined()
  })

  it("taking back a scan's live sightings restores the inventory of the runs before it", () => {
    const first = runOf(0, [true, false, true, true, false], false)
    const kept = foldRuns([first])
    const assets = new Map(kept)
    for (const sighting of universe) {
      const next = recordSighting(assets.get(entityKey(sighting)), scan(7), sighting, 5000)
      if (next !== undefined) assets.set(entityKey(sighting), next)
    }
    expect(assets.get("DOMAIN:dev.example.com")?.status).toBe("new")
    expect(assets.get("DOMAIN:www.example.com")?.scans).toEqual([scan(0), scan(7)])
    const restored = withoutRun(assets, scan(7), (id) => (id === first.scan_id ? first.at : undefined))
    expect(sorted(restored.values())).toEqual(sorted(kept.values()))
  })

  it("a partial run marks nothing gone: what was new is present, what went stays gone", () => {
    const first = runOf(0, [true, true, true, false, false], false)
    const second = runOf(1, [true, false, true, true, false], false)
    const partial = runOf(2, [true, false, false, false, false], true)
    const statuses = Object.fromEntries(
      [...applyRun(foldRuns([first, second]), partial).values()].map((asset) => [asset.value, asset.status])
    )
    expect(statuses).toEqual({
      "www.example.com": "present",
      "dev.example.com": "gone",
      "192.0.2.10": "present",
      "192.0.2.10:22": "present"
    })
  })
})
