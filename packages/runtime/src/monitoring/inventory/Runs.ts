/**
 * Runs as the inventory reads them: a completed scan's entities from its stored results, the completed runs of
 * a series from the scans projection, and the rebuild of a series' inventory from them and from what its running
 * scans have stored so far.
 */
import { EntityType } from "@mirage/domain/Entity"
import { OrganizationId, ScanId } from "@mirage/domain/Ids"
import type { Run, Sighting } from "@mirage/domain/Inventory"
import { Effect, Schema } from "effect"
import { attempt } from "../../platform/Errors.js"
import type { PersistenceError } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
import { rowsDecoder } from "../../platform/Rows.js"
import { ResultStore } from "../../scans/ResultStore.js"
import { Inventory, sightingOf } from "./Inventory.js"
import type { Series } from "./Inventory.js"

const pageSize = 1000

/** Every entity a scan stored a result for (all pages), with when it was found. */
const foundBy = (scanId: ScanId) =>
  Effect.gen(function*() {
    const results = yield* ResultStore
    const sightings: Array<Sighting & { readonly at: number }> = []
    let cursor: string | undefined
    do {
      const page = yield* results.list({ owner: scanId, limit: pageSize, ...(cursor === undefined ? {} : { cursor }) })
      sightings.push(...page.items.map(sightingOf))
      cursor = page.next_cursor ?? undefined
    } while (cursor !== undefined)
    return sightings
  })

/** Every entity a scan stored a result for (all pages). */
export const sightingsOf = (scanId: ScanId): Effect.Effect<ReadonlyArray<Sighting>, PersistenceError, ResultStore> =>
  Effect.map(foundBy(scanId), (found) => found.map(({ at: _, ...sighting }) => sighting))

/** A completed scan as a run; `partial` when it expanded only the entities new to its series. */
export const runOf = (scanId: ScanId, at: number, partial = false) =>
  Effect.map(
    sightingsOf(scanId),
    (entities): Run => ({ scan_id: scanId, at, entities, ...(partial ? { partial } : {}) })
  )

const decodeCompleted = rowsDecoder(Schema.Struct({ id: ScanId, at: Schema.Number, partial: Schema.Boolean }))

/** The series' completed runs (not deleted), in the order they completed. */
export const completedRuns = (series: Series) =>
  Effect.gen(function*() {
    const sql = yield* PgClient
    const rows = yield* attempt("read series runs", () =>
      sql`
        select id, (extract(epoch from completed_at) * 1000)::float8 as at,
          coalesce((document #>> '{configuration,new_entities_only}')::boolean, false) as partial from scans
        where organization_id = ${series.organization_id} and target_type = ${series.target_type}
          and target_value = ${series.target_value} and status = 'COMPLETED' and deleted_at is null
          and completed_at is not null
        order by completed_at, id`)
    return yield* decodeCompleted("read series runs")(rows)
  })

/** The series' scans still going (created, running or paused, not deleted). */
export const runningScans = (series: Series) =>
  Effect.gen(function*() {
    const sql = yield* PgClient
    const rows = yield* attempt("read running scans", () =>
      sql<Array<{ id: string }>>`
        select id from scans where organization_id = ${series.organization_id}
          and target_type = ${series.target_type} and target_value = ${series.target_value}
          and status in ('CREATED', 'RUNNING', 'PAUSED') and deleted_at is null
        order by created_at, id`)
    return rows.map((row) => ScanId.make(row.id))
  })

/**
 * Rebuilds a series' inventory from its completed runs' results, then records what its running scans have stored
 * so far (as the live projection did); returns how many runs it folded.
 */
export const rebuild = (series: Series) =>
  Effect.gen(function*() {
    const inventory = yield* Inventory
    const runs = yield* Effect.forEach(yield* completedRuns(series), (row) => runOf(row.id, row.at, row.partial))
    yield* inventory.replace(series, runs)
    for (const scanId of yield* runningScans(series)) {
      const found = yield* foundBy(scanId)
      yield* inventory.record(found.map((sighting) => ({ ...sighting, series, scan_id: scanId })))
    }
    return runs.length
  })

const decodeSeries = rowsDecoder(
  Schema.Struct({ organization_id: OrganizationId, target_type: EntityType, target_value: Schema.String })
)

/** The series every organization's scans form (for a full rebuild). */
export const allSeries = Effect.gen(function*() {
  const sql = yield* PgClient
  const rows = yield* attempt(
    "read series",
    () =>
      sql`select distinct organization_id, target_type, target_value from scans
        where status = 'COMPLETED' and deleted_at is null`
  )
  return yield* decodeSeries("read series")(rows)
})
