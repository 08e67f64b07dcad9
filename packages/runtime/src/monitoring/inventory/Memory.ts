/** The inventory in memory: the twin of the Postgres projection for unit tests and simulations, on the same folds. */
import { entityKey } from "@mirage/domain/Entity"
import type { OrganizationId, ScanId } from "@mirage/domain/Ids"
import { applyToSeries, foldRuns, recordSighting, withoutRun } from "@mirage/domain/Inventory"
import type { AssetRecord } from "@mirage/domain/Inventory"
import { Effect, Layer } from "effect"
import { encodeAssetCursor, Inventory } from "./Inventory.js"
import type { Asset, Series } from "./Inventory.js"

interface SeriesState {
  readonly series: Series
  assets: Map<string, AssetRecord>
  runs: Array<{ readonly scan_id: ScanId; readonly at: number }>
}

export interface Store {
  readonly series: Map<string, SeriesState>
  /** Scans whose run was applied or retracted: their late sightings record nothing. */
  readonly ended: Set<ScanId>
}

export const makeStore = (): Store => ({ series: new Map(), ended: new Set() })

const seriesKey = (series: Series) => `${series.organization_id}\u0000${series.target_type}\u0000${series.target_value}`

const stateOf = (store: Store, series: Series): SeriesState => {
  const key = seriesKey(series)
  const known = store.series.get(key)
  if (known !== undefined) return known
  const fresh: SeriesState = { series, assets: new Map(), runs: [] }
  store.series.set(key, fresh)
  return fresh
}

const sortKey = (asset: Asset) => [asset.target_value, asset.target_type, asset.type, asset.value] as const

const after = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!
  return false
}

export const make = (store: Store) =>
  Inventory.of({
    record: (sightings) =>
      Effect.sync(() => {
        for (const sighting of sightings) {
          if (store.ended.has(sighting.scan_id)) continue
          const state = stateOf(store, sighting.series)
          const key = entityKey(sighting)
          const next = recordSighting(state.assets.get(key), sighting.scan_id, sighting, sighting.at)
          if (next !== undefined) state.assets.set(key, next)
        }
      }),
    retract: (series, scanId) =>
      Effect.sync(() => {
        const state = stateOf(store, series)
        // A run applied stays: only a scan that ended without completing is taken back.
        if (state.runs.some((run) => run.scan_id === scanId)) return
        store.ended.add(scanId)
        const times = new Map(state.runs.map((run) => [run.scan_id, run.at]))
        state.assets = withoutRun(state.assets, scanId, (id) => times.get(id))
      }),
    known: (series, scanId) =>
      Effect.sync(() =>
        new Set(
          [...stateOf(store, series).assets.values()].filter((asset) => asset.first_scan !== scanId).map(entityKey)
        )
      ),
    applyRun: (series, run) =>
      Effect.sync(() => {
        const state = stateOf(store, series)
        const applied = applyToSeries(state.assets, state.runs, run)
        if (applied.applied) {
          store.ended.add(run.scan_id)
          state.runs = [...state.runs, { scan_id: run.scan_id, at: run.at }]
          state.assets = new Map(applied.assets.map((asset) => [entityKey(asset), asset]))
        }
        return applied
      }),
    replace: (series, runs) =>
      Effect.sync(() => {
        const state = stateOf(store, series)
        state.assets = foldRuns(runs)
        state.runs = runs.map((run) => ({ scan_id: run.scan_id, at: run.at }))
      }),
    assets: (series) => Effect.sync(() => [...stateOf(store, series).assets.values()]),
    list: (query) =>
      Effect.sync(() => {
        const all: Array<Asset> = []
        for (const state of store.series.values()) {
          if (state.series.organization_id !== query.organization_id) continue
          if (query.target !== undefined && state.series.target_value !== query.target) continue
          for (const asset of state.assets.values()) {
            if (query.type !== undefined && asset.type !== query.type) continue
            if (query.status !== undefined && asset.status !== query.status) continue
            all.push({ ...asset, target_type: state.series.target_type, target_value: state.series.target_value })
          }
        }
        const sorted = all
          .filter((asset) => query.cursor === undefined || after(sortKey(asset), query.cursor))
          .sort((a, b) => (after(sortKey(a), sortKey(b)) ? 1 : after(sortKey(b), sortKey(a)) ? -1 : 0))
        const items = sorted.slice(0, query.limit)
        const last = items[items.length - 1]
        return {
          items,
          next_cursor: sorted.length > query.limit && last !== undefined
            ? encodeAssetCursor([last.target_value, last.target_type, last.type, last.value])
            : null
        }
      }),
    referencedScans: (organizationId: OrganizationId) =>
      Effect.sync(() => {
        const ids = new Set<ScanId>()
        for (const state of store.series.values()) {
          if (state.series.organization_id !== organizationId) continue
          for (const asset of state.assets.values()) ids.add(asset.first_scan).add(asset.last_scan)
          const latest = state.runs[state.runs.length - 1]
          if (latest !== undefined) ids.add(latest.scan_id)
        }
        return ids
      })
  })

export const layer = (store: Store = makeStore()) => Layer.succeed(Inventory, make(store))
