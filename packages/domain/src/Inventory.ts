/**
 * The asset inventory of a series of runs (scans with the same organization and target), as a pure fold:
 * each completed run updates every entity's first/last sighting and whether the latest run still sees it.
 * While a run goes, its sightings are recorded as they arrive (`recordSighting`); when it completes, it is applied
 * to the inventory as it was before them (`withoutRun`), so the projection, kept live, and its rebuild agree.
 */
import { Schema } from "effect"
import type { Entity } from "./Entity.js"
import { entityKey, EntityType } from "./Entity.js"
import { ScanId } from "./Ids.js"

export const AssetStatus = Schema.Literal("new", "present", "gone")
export type AssetStatus = typeof AssetStatus.Type

/** One entity as a run saw it; `expires_at` (epoch ms) when it is or carries a certificate with an end of validity. */
export interface Sighting {
  readonly type: EntityType
  readonly value: string
  readonly expires_at: number | null
}

/**
 * A completed run: what it found, and when it completed (epoch ms). A partial run (one that expanded only the
 * entities new to the inventory) did not look again behind what it knew, so what it did not see is not gone: it
 * stays as the run before left it (no longer `new`).
 */
export interface Run {
  readonly scan_id: ScanId
  readonly at: number
  readonly entities: ReadonlyArray<Sighting>
  readonly partial?: boolean
}

export interface AssetRecord {
  readonly type: EntityType
  readonly value: string
  readonly first_seen: number
  readonly last_seen: number
  readonly first_scan: ScanId
  readonly last_scan: ScanId
  readonly scans: ReadonlyArray<ScanId>
  readonly status: AssetStatus
  readonly expires_at: number | null
}

export type Inventory = ReadonlyMap<string, AssetRecord>

/** The sightings of a run, one per entity (the latest expiry wins when several results carry one). */
export const uniqueSightings = (sightings: ReadonlyArray<Sighting>): ReadonlyArray<Sighting> => {
  const byKey = new Map<string, Sighting>()
  for (const sighting of sightings) {
    const key = entityKey(sighting)
    const known = byKey.get(key)
    if (known === undefined) byKey.set(key, sighting)
    else if (sighting.expires_at !== null && (known.expires_at === null || sighting.expires_at > known.expires_at)) {
      byKey.set(key, { ...known, expires_at: sighting.expires_at })
    }
  }
  return [...byKey.values()]
}

/**
 * The inventory after one more run: what the run sees is `new` (not seen by the run before) or `present`;
 * what it no longer sees is `gone`, keeping its last sighting (unless the run is partial).
 */
export const applyRun = (inventory: Inventory, run: Run): Map<string, AssetRecord> => {
  const next = new Map<string, AssetRecord>()
  const seen = new Set<string>()
  for (const sighting of uniqueSightings(run.entities)) {
    const key = entityKey(sighting)
    seen.add(key)
    const known = inventory.get(key)
    next.set(
      key,
      known === undefined
        ? {
          type: sighting.type,
          value: sighting.value,
          first_seen: run.at,
          last_seen: run.at,
          first_scan: run.scan_id,
          last_scan: run.scan_id,
          scans: [run.scan_id],
          status: "new",
          expires_at: sighting.expires_at
        }
        : {
          ...known,
          last_seen: run.at,
          last_scan: run.scan_id,
          scans: known.scans.includes(run.scan_id) ? known.scans : [...known.scans, run.scan_id],
          status: known.status === "gone" ? "new" : "present",
          expires_at: sighting.expires_at ?? known.expires_at
        }
    )
  }
  for (const [key, known] of inventory) {
    if (seen.has(key)) continue
    // A partial run did not look again: what was new is still there as far as it knows, what went is still gone.
    const status = run.partial !== true ? "gone" : known.status === "new" ? "present" : known.status
    next.set(key, known.status === status ? known : { ...known, status })
  }
  return next
}

/**
 * One sighting of a running scan, recorded before its run ends: a new asset (`new`, first and last seen now), or one
 * more scan of a known one (last seen now; its status waits for the run's end). Undefined when the scan was recorded
 * already: a repeat, or a late sighting of a run applied since, changes nothing.
 */
export const recordSighting = (
  known: AssetRecord | undefined,
  scanId: ScanId,
  sighting: Sighting,
  at: number
): AssetRecord | undefined =>
  known === undefined
    ? {
      type: sighting.type,
      value: sighting.value,
      first_seen: at,
      last_seen: at,
      first_scan: scanId,
      last_scan: scanId,
      scans: [scanId],
      status: "new",
      expires_at: sighting.expires_at
    }
    : known.scans.includes(scanId)
    ? undefined
    : {
      ...known,
      last_seen: Math.max(known.last_seen, at),
      last_scan: scanId,
      scans: [...known.scans, scanId],
      expires_at: sighting.expires_at ?? known.expires_at
    }

/**
 * The inventory without what a scan's live sightings recorded: the assets it found first left out, the others
 * without it in their scans (their last sighting back to the run before, whose time `runAt` gives). Assets it did
 * not touch are returned as they are (the same objects).
 */
export const withoutRun = (
  inventory: Inventory,
  scanId: ScanId,
  runAt: (scanId: ScanId) => number | undefined
): Map<string, AssetRecord> => {
  const next = new Map<string, AssetRecord>()
  for (const [key, asset] of inventory) {
    if (asset.first_scan === scanId) continue
    if (!asset.scans.includes(scanId)) {
      next.set(key, asset)
      continue
    }
    const scans = asset.scans.filter((id) => id !== scanId)
    const last = scans[scans.length - 1] ?? asset.first_scan
    next.set(key, { ...asset, scans, last_scan: last, last_seen: runAt(last) ?? asset.first_seen })
  }
  return next
}

/** What applying a run to a series does, given its assets and the runs applied so far (in order). */
export interface RunApplication {
  readonly applied: boolean
  /** Keys (`TYPE:value`) the previous run of the series saw; null when this is the series' first run. */
  readonly previous: ReadonlySet<string> | null
  readonly assets: ReadonlyArray<AssetRecord>
  /** Assets to write (new or changed). */
  readonly write: ReadonlyArray<AssetRecord>
  /** Keys of assets to remove: found live by the run, not among what it stored in the end. */
  readonly remove: ReadonlyArray<string>
}

/**
 * A completed run applied to its series once: to the assets as they were before its live sightings. A run applied
 * before changes nothing and tells what it told then (the run before it saw what it still saw, and what went with it).
 */
export const applyToSeries = (
  stored: Inventory,
  runs: ReadonlyArray<{ readonly scan_id: ScanId; readonly at: number }>,
  run: Run
): RunApplication => {
  const index = runs.findIndex((row) => row.scan_id === run.scan_id)
  if (index >= 0) {
    const prior = runs[index - 1]?.scan_id
    const previous = prior === undefined ? null : new Set(
      [...stored.values()].filter((asset) =>
        asset.last_scan === run.scan_id
          ? asset.status === "present"
          : asset.status === "gone" && asset.last_scan === prior
      ).map(entityKey)
    )
    return { applied: false, previous, assets: [...stored.values()], write: [], remove: [] }
  }
  const times = new Map(runs.map((row) => [row.scan_id, row.at]))
  const before = withoutRun(stored, run.scan_id, (id) => times.get(id))
  const previous = runs.length === 0
    ? null
    : new Set([...before.values()].filter((asset) => asset.status !== "gone").map(entityKey))
  const after = applyRun(before, run)
  return {
    applied: true,
    previous,
    assets: [...after.values()],
    write: [...after.values()].filter((asset) => stored.get(entityKey(asset)) !== asset),
    remove: [...stored.keys()].filter((key) => !after.has(key))
  }
}

/** The inventory of runs applied in order. */
export const foldRuns = (runs: ReadonlyArray<Run>): Map<string, AssetRecord> =>
  runs.reduce<Map<string, AssetRecord>>((inventory, run) => applyRun(inventory, run), new Map())

/** An end of validity in a result's source data (`not_after`, `valid_to`, `certificate.valid_to`), epoch ms. */
export const expiryOf = (sourceData: Readonly<Record<string, unknown>>): number | null => {
  const nested = sourceData["certificate"]
  const candidates = [
    sourceData["not_after"],
    sourceData["valid_to"],
    typeof nested === "object" && nested !== null ? (nested as Record<string, unknown>)["valid_to"] : undefined
  ]
  for (const candidate of candidates) {
    if (typeof candidate === "string") {
      const at = Date.parse(candidate)
      if (!Number.isNaN(at)) return at
    }
  }
  return null
}

/** Entities added and removed between two runs, grouped by type, with counts. */
export class TypeChanges extends Schema.Class<TypeChanges>("TypeChanges")({
  type: EntityType,
  added: Schema.Array(Schema.String),
  removed: Schema.Array(Schema.String)
}) {}

export class ScanDiff extends Schema.Class<ScanDiff>("ScanDiff")({
  scan_id: ScanId,
  against: Schema.NullOr(ScanId),
  added_count: Schema.Int,
  removed_count: Schema.Int,
  unchanged_count: Schema.Int,
  by_type: Schema.Array(TypeChanges)
}) {}

/** What `current` found that `previous` did not (added), and the reverse (removed); values sorted, types in order. */
export const diffRuns = (
  current: { readonly scan_id: ScanId; readonly entities: ReadonlyArray<Entity | Sighting> },
  previous: { readonly scan_id: ScanId; readonly entities: ReadonlyArray<Entity | Sighting> } | null
): ScanDiff => {
  const now = new Map(current.entities.map((entity) => [entityKey(entity), entity]))
  const before = new Map((previous?.entities ?? []).map((entity) => [entityKey(entity), entity]))
  const byType = new Map<EntityType, { added: Array<string>; removed: Array<string> }>()
  const slot = (type: EntityType) => {
    const known = byType.get(type)
    if (known !== undefined) return known
    const fresh = { added: [] as Array<string>, removed: [] as Array<string> }
    byType.set(type, fresh)
    return fresh
  }
  let unchanged = 0
  for (const [key, entity] of now) {
    if (before.has(key)) unchanged++
    else slot(entity.type).added.push(entity.value)
  }
  for (const [key, entity] of before) if (!now.has(key)) slot(entity.type).removed.push(entity.value)
  const by_type = EntityType.literals.flatMap((type) => {
    const changes = byType.get(type)
    return changes === undefined ? [] : [
      TypeChanges.make({ type, added: changes.added.sort(), removed: changes.removed.sort() })
    ]
  })
  return ScanDiff.make({
    scan_id: current.scan_id,
    against: previous?.scan_id ?? null,
    added_count: by_type.reduce((n, changes) => n + changes.added.length, 0),
    removed_count: by_type.reduce((n, changes) => n + changes.removed.length, 0),
    unchanged_count: unchanged,
    by_type
  })
}
