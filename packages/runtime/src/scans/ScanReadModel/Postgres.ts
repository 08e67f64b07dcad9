/** The scans read model over the `scans` projection in Postgres. */
import { DateTime, Effect, Layer, Schema } from "effect"
import { attempt } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
import { rowsDecoder } from "../../platform/Rows.js"
import { encodeCursor, makeViewCache, ScanReadModel } from "../ScanReadModel.js"

const Row = Schema.Struct({
  id: Schema.String,
  seq: Schema.Number,
  shard: Schema.Number,
  /** The document's JSON text: parsed only when the scan is not kept decoded already. */
  document: Schema.String,
  /** The scan's CORRELATION results in the read copy (a partial index keeps the count to the findings). */
  correlation_count: Schema.Number,
  /** created_at in full (microsecond) precision, for the cursor. */
  position: Schema.String
})

const decodeRows = rowsDecoder(Row)

/** LIKE pattern for a substring, with the pattern's own wildcards escaped. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, "\\$&")}%`

export const make = Effect.gen(function*() {
  const sql = yield* PgClient
  const viewOf = makeViewCache()
  const correlations = () =>
    sql`(select count(*)::int from results_read r
      where r.owner = scans.id::text and r.data_type = 'CORRELATION') as correlation_count`
  return ScanReadModel.of({
    resultsSince: (id, sinceMs) =>
      attempt("scan rate", () =>
        sql<Array<{ n: number }>>`
          select coalesce(sum((payload->>'result_count')::int), 0)::int as n from scan_events
          where scan_id = ${id} and type = 'TaskCompleted' and at >= to_timestamp(${sinceMs} / 1000.0)
        `).pipe(Effect.map((rows) => rows[0]?.n ?? 0)),
    get: (organizationId, id) =>
      attempt("read scan", () =>
        sql`
          select id, seq, shard, document::text as document, to_json(created_at) #>> '{}' as position, ${correlations()} from scans
          where id = ${id} and organization_id = ${organizationId} and deleted_at is null
        `).pipe(
          Effect.flatMap(decodeRows("read scan")),
          Effect.flatMap((rows) =>
            rows[0] === undefined
              ? Effect.succeedNone
              : Effect.asSome(viewOf(rows[0]))
          )
        ),
    list: (organizationId, query) =>
      attempt("list scans", () => {
        const { created_after, created_before, cursor, name, status, target_type } = query
        const byStatus = status === undefined ? sql`` : sql`and status = ${status}`
        const byType = target_type === undefined ? sql`` : sql`and target_type = ${target_type}`
        const byName = name === undefined ? sql`` : sql`and name ilike ${containing(name)}`
        const from = created_after === undefined
          ? sql``
          : sql`and created_at >= ${DateTime.formatIso(created_after)}::timestamptz`
        const until = created_before === undefined
          ? sql``
          : sql`and created_at < ${DateTime.formatIso(created_before)}::timestamptz`
        const after = cursor === undefined
          ? sql``
          : sql`and (created_at, id) < (${cursor.created_at}::timestamptz, ${cursor.id}::uuid)`
        return sql`
          select id, seq, shard, document::text as document, to_json(created_at) #>> '{}' as position, ${correlations()} from scans
          where organization_id = ${organizationId} and deleted_at is null
          and not exists (select 1 from collect_jobs j where j.job_id = scans.id)
          ${byStatus} ${byType} ${byName} ${from} ${until} ${after}
          order by created_at desc, id desc
          limit ${query.limit + 1}
        `
      }).pipe(
        Effect.flatMap(decodeRows("list scans")),
        Effect.flatMap((rows) => {
          const page = rows.slice(0, query.limit)
          const last = page[page.length - 1]
          return Effect.map(
            Effect.forEach(page, viewOf),
            (items) => ({
              items,
              next_cursor: rows.length > query.limit && last !== undefined
                ? encodeCursor({ created_at: last.position, id: last.id })
                : null
            })
          )
        })
      )
  })
})

export const layer = Layer.effect(ScanReadModel, make)
