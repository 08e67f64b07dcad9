/** The dependency edges of chained scans in Postgres (`scan_dependencies`), and their staged changes. */
import { OrganizationId, ScanId } from "@mirage/domain/Ids"
import { Clock, Effect, Layer, Option, Schema } from "effect"
import { attempt, PersistenceError } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
import type { Sql } from "../../platform/PgClient.js"
import { ScanDependencies } from "../Chaining.js"
import { stagedReader } from "../StagedChange.js"

const DependentRows = Schema.Array(Schema.Struct({ scan_id: ScanId, organization_id: OrganizationId }))
const decodeSynced = Schema.decodeUnknown(
  Schema.NullOr(Schema.Struct({ organization_id: OrganizationId, changes: Schema.Array(Schema.String) }))
)

export const make = Effect.gen(function*() {
  const sql = yield* PgClient
  /** Whether the update or creation that carries the staged change `c` is stored (its command id is recorded). */
  const commandStored: ReturnType<Sql> = sql`exists (
    select 1 from scan_commands k where k.scan_id = c.scan_id and k.command_id = c.change_id::text)`
  return ScanDependencies.of({
    stage: (scanId, changeId) =>
      Effect.flatMap(
        Clock.currentTimeMillis,
        (now) =>
          attempt("stage dependency change", () =>
            sql`insert into scan_dependency_changes (change_id, scan_id, created_at)
              values (${changeId}, ${scanId}, to_timestamp(${now} / 1000.0))
              on conflict (change_id) do nothing`)
      ).pipe(Effect.asVoid),
    // The scan's read model row is locked (FOR SHARE) first: no update of the scan is stored until this commits, so
    // the definition read is the latest stored one, the changes found stored are those it reflects, and a later
    // update's sync runs after this one.
    sync: (scanId) =>
      attempt("sync scan dependencies", () =>
        sql.begin(async (tx) => {
          const scans = await tx<Array<{ organization_id: string }>>`
            select organization_id from scans where id = ${scanId} for share`
          const scan = scans[0]
          if (scan === undefined) return null
          await tx`delete from scan_dependencies where scan_id = ${scanId}`
          await tx`insert into scan_dependencies (scan_id, depends_on, organization_id)
                   select id, d::uuid, organization_id
                   from scans, jsonb_array_elements_text(document->'depends_on'->'scan_ids') as d
                   where id = ${scanId}
                   on conflict do nothing`
          const changes = await tx<Array<{ change_id: string }>>`
            select c.change_id::text as change_id from scan_dependency_changes c
            where c.scan_id = ${scanId} and ${commandStored}`
          return { organization_id: scan.organization_id, changes: changes.map((row) => row.change_id) }
        })).pipe(
          Effect.flatMap((synced) =>
            Effect.mapError(
              decodeSynced(synced),
              (cause) => new PersistenceError({ operation: "sync scan dependencies", cause })
            )
          ),
          Effect.map(Option.fromNullable)
        ),
    discard: (changeId) =>
      attempt(
        "discard dependency change",
        () => sql`delete from scan_dependency_changes where change_id = ${changeId}`
      ).pipe(Effect.asVoid),
    staged: stagedReader(
      sql,
      "read staged dependency changes",
      "scan_dependency_changes",
      commandStored
    ),
    dependents: (scanId) =>
      attempt(
        "find dependent scans",
        () => sql`select scan_id, organization_id from scan_dependencies where depends_on = ${scanId}`
      ).pipe(
        Effect.flatMap((rows) =>
          Effect.mapError(
            Schema.decodeUnknown(DependentRows)(rows),
            (cause) => new PersistenceError({ operation: "find dependent scans", cause })
          )
        )
      ),
    reaches: (from, target) =>
      from.length === 0 ?
        Effect.succeed(false) :
        attempt("check dependency cycle", () =>
          sql<Array<{ found: boolean }>>`
          with recursive reach(id) as (
            select unnest(${[...from]}::uuid[])
            union
            select d.depends_on from scan_dependencies d join reach r on d.scan_id = r.id
          )
          select exists (select 1 from reach where id = ${target}) as found`).pipe(
            Effect.map((rows) => rows[0]?.found === true)
          )
  })
})

export const layer = Layer.effect(ScanDependencies, make)
