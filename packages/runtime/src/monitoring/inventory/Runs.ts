/**
 * Runs as the inventory reads them: a completed scan's entities from its stored results, the completed runs of
 * a series from the scans projection, and the rebuild of a series' inventory from them.
 */
import { EntityType } from "@mirage/domain/Entity"
import { OrganizationId, ScanId } from "@mirage/domain/Ids"
import { expiryOf } from "@mirage/domain/Inventory"
import type { Run, Sighting } from "@mirage/domain/Inventory"
import { Effect, Schema } from "effect"
import { PersistenceError } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
import { ResultStore } from "../../scans/ResultStore.js"
import { Inventory } from "./Inventory.js"
import type { Series } from "./Inventory.js"

const pageSize = 1000

/** Every entity a scan stored a result for (all pages). */
export const sightingsOf = (scanId: ScanId) =>
  Effect.gen(function*() {
    const results = yield* ResultStore
    const sightings: Array<Sighting> = []
    let cursor: string | undefined
    do {
      const page = yield* results.list({ owner: scanId, limit: pageSize, ...(cursor === undefined ? {} : { cursor }) })
      for (const result of page.items) {
        sightings.push({ type: result.data_type, value: result.data, expires_at: expiryOf(result.source_data) })
      }
      cursor = page.next_cursor ?? undefined
    } while (cursor !== undefined)
    return sightings
  })

export const runOf = (scanId: ScanId, at: number) =>
  Effect.map(sightingsOf(scanId), (entities): Run => ({ scan_id: scanId, at, entities }))

const CompletedRow = Schema.Struct({ id: ScanId, at: Schema.Number })

/** The series' completed runs (not deleted), in the order they completed. */
export const completedRuns = (series: Series) =>
  Effect.gen(function*() {
    const sql = yield* PgClient
    const rows = yield* Effect.tryPromise({
      try: () =>
        sql`
          select id, (extract(epoch from completed_at) * 1000)::float8 as at from scans
          where organization_id = ${series.organization_id} and target_type = ${series.target_type}
            and target_value = ${series.target_value} and status = 'COMPLETED' and deleted_at is null
            and completed_at is not null
          order by completed_at, id`,
      catch: (cause) => new PersistenceError({ operation: "read series runs", cause })
    })
    return yield* Effect.mapError(
      Schema.decodeUnknown(Schema.Array(CompletedRow))(rows),
      (cause) => new PersistenceError({ operation: "read series runs", cause })
    )
  })

/** Rebuilds a series' inventory from its completed runs' results; returns how many runs it folded. */
export const rebuild = (series: Series) =>
  Effect.gen(function*() {
    const inventory = yield* Inventory
    const runs = yield* Effect.forEach(yield* completedRuns(series), (row) => runOf(row.id, row.at))
    yield* inventory.replace(series, runs)
    return runs.length
  })

/** The series every organization's scans form (for a full rebuild). */
export const allSeries = Effect.gen(function*() {
  const sql = yield* PgClient
  const rows = yield* Effect.tryPromise({
    try: () =>
      sql`select distinct organization_id, target_type, target_value from scans
          where status = 'COMPLETED' and deleted_at is null`,
    catch: (cause) => new PersistenceError({ operation: "read series", cause })
  })
  return yield* Effect.mapError(
    Schema.decodeUnknown(Schema.Array(Schema.Struct({
      organization_id: OrganizationId,
      target_type: EntityType,
      target_value: Schema.String
    })))(rows),
    (cause) => new PersistenceError({ operation: "read series", cause })
  )
})
