/**
 * The asset inventory of a series of runs (scans with the same organization and target), as a pure fold:
 * each completed run updates every entity's first/last sighting and whether the latest run still sees it.
 * The Postgres projection and its rebuild both apply `applyRun`, so rebuilding gives what was kept incrementally.
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

/** A completed run: what it found, and when it completed (epoch ms). */
export interface Run {
  readonly scan_id: ScanId
  readonly at: number
  readonly entities: ReadonlyArray<Sighting>
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
 * what it no longer sees is `gone`, keeping its last sighting.
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
    if (!seen.has(key)) next.set(key, known.status === "gone" ? known : { ...known, status: "gone" })
  }
  return next
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
