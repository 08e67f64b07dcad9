/**
 * The asset inventory: per organization and root target (a series of runs), every entity ever found, kept as
 * results arrive (`Inventory.record`, fed in batches by the InventoryFeed), settled by applying each completed
 * run (`Inventory.applyRun`: statuses, what went) and rebuildable from the runs' events and results.
 */
import type { CollectionResult } from "@mirage/domain/CollectionTask"
import type { EntityType } from "@mirage/domain/Entity"
import type { OrganizationId, ScanId } from "@mirage/domain/Ids"
import { expiryOf } from "@mirage/domain/Inventory"
import type { AssetRecord, AssetStatus, Run, Sighting } from "@mirage/domain/Inventory"
import type { ScanState } from "@mirage/domain/ScanMachine"
import type { Effect } from "effect"
import { Context, Data, DateTime, Either, Option, Schema } from "effect"
import type { PersistenceError } from "../../platform/Errors.js"

/** A series: the runs (scans) of one organization with the same target. */
export interface Series {
  readonly organization_id: OrganizationId
  readonly target_type: EntityType
  readonly target_value: string
}

/** The series a scan is a run of. */
export const seriesOf = (state: ScanState): Series => ({
  organization_id: state.header.organization_id,
  target_type: state.definition.target.type,
  target_value: state.definition.target.value
})

/** One entity a running scan stored a result for, with when it was found (epoch ms): the live projection's input. */
export interface LiveSighting extends Sighting {
  readonly series: Series
  readonly scan_id: ScanId
  readonly at: number
}

/** The entity a stored result is a sighting of, with when it was found (epoch ms). */
export const sightingOf = (result: CollectionResult): Sighting & { readonly at: number } => ({
  type: result.data_type,
  value: result.data,
  expires_at: expiryOf(result.source_data),
  at: DateTime.toEpochMillis(result.collected_at)
})

/** What applying a run did: whether it was new, the keys the run before it saw, and the series' assets after it. */
export interface Applied {
  readonly applied: boolean
  /** Keys (`TYPE:value`) the previous run of the series saw; null when this is the series' first run. */
  readonly previous: ReadonlySet<string> | null
  readonly assets: ReadonlyArray<AssetRecord>
}

export interface AssetQuery {
  readonly organization_id: OrganizationId
  readonly target?: string | undefined
  readonly type?: EntityType | undefined
  readonly status?: AssetStatus | undefined
  readonly cursor?: AssetCursor | undefined
  readonly limit: number
}

export interface Asset extends AssetRecord {
  readonly target_type: EntityType
  readonly target_value: string
}

export interface AssetPage {
  readonly items: ReadonlyArray<Asset>
  readonly next_cursor: string | null
}

export interface InventoryService {
  /**
   * Records sightings of running scans in one write (a scan that has ended records nothing more: its run's end
   * settles it). A new asset is `new` at once; a known one gets the scan and its last sighting, its status waits.
   */
  readonly record: (sightings: ReadonlyArray<LiveSighting>) => Effect.Effect<void, PersistenceError>
  /** Takes back what a scan that ended without completing recorded live: it is not a run of its series. */
  readonly retract: (series: Series, scanId: ScanId) => Effect.Effect<void, PersistenceError>
  /** Keys (`entityKey`) of the series' assets other scans found first: what a run of `scanId` knew before it. */
  readonly known: (series: Series, scanId: ScanId) => Effect.Effect<ReadonlySet<string>, PersistenceError>
  /**
   * Applies a completed run to its series, once (a run applied before changes nothing), to the assets as they were
   * before its live sightings.
   */
  readonly applyRun: (series: Series, run: Run) => Effect.Effect<Applied, PersistenceError>
  /** Replaces the series' inventory with the fold of the given runs (in order). */
  readonly replace: (series: Series, runs: ReadonlyArray<Run>) => Effect.Effect<void, PersistenceError>
  readonly assets: (series: Series) => Effect.Effect<ReadonlyArray<AssetRecord>, PersistenceError>
  readonly list: (query: AssetQuery) => Effect.Effect<AssetPage, PersistenceError>
  /** Scans the inventory refers to as an asset's first or last sighting, or as a series' latest run. */
  readonly referencedScans: (organizationId: OrganizationId) => Effect.Effect<ReadonlySet<ScanId>, PersistenceError>
}

export class Inventory extends Context.Tag("@mirage/runtime/Inventory")<Inventory, InventoryService>() {}

/** Where a page ended: the last asset's target, type and value. */
export const AssetCursor = Schema.Tuple(Schema.String, Schema.String, Schema.String, Schema.String)
export type AssetCursor = typeof AssetCursor.Type

export class InvalidAssetCursor extends Data.TaggedError("InvalidAssetCursor")<{ readonly cursor: string }> {}

const CursorJson = Schema.parseJson(AssetCursor)

export const encodeAssetCursor = (cursor: AssetCursor): string =>
  Buffer.from(Schema.encodeSync(CursorJson)(cursor), "utf8").toString("base64url")

export const decodeAssetCursor = (text: string): Either.Either<AssetCursor, InvalidAssetCursor> =>
  Option.match(Schema.decodeUnknownOption(CursorJson)(Buffer.from(text, "base64url").toString("utf8")), {
    onNone: () => Either.left(new InvalidAssetCursor({ cursor: text })),
    onSome: Either.right
  })
