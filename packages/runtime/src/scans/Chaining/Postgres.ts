/** The dependency edges of chained scans in Postgres (`scan_dependencies`). */
import { OrganizationId, ScanId } from "@mirage/domain/Ids"
import { Effect, Layer, Schema } from "effect"
import { attempt, PersistenceError } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
import { ScanDependencies } from "../Chaining.js"

const DependentRows = Schema.Array(Schema.Struct({ scan_id: ScanId, organization_id: OrganizationId }))

export const make = Effect.gen(function*() {
  const sql = yield* PgClient
  return ScanDependencies.of({
    set: (organizationId, scanId, dependsOn) =>
      attempt("set scan dependencies", () =>
        sql.begin(async (tx) => {
          await tx`delete from scan_dependencies where scan_id = ${scanId}`
          if (dependsOn.length > 0) {
            await tx`insert into scan_dependencies (scan_id, depends_on, organization_id)
                     select ${scanId}, d, ${organizationId} from unnest(${[...dependsOn]}::uuid[]) as d
                     on conflict do nothing`
          }
        })).pipe(Effect.asVoid),
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
