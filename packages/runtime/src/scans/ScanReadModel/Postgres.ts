/** The scans read model over the `scans` projection in Postgres. */
import type { OrganizationId, ScanId } from "@mirage/domain/Ids"
import { DateTime, Effect, Layer, Option, Schema } from "effect"
import { attempt } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
import { rowsDecoder } from "../../platform/Rows.js"
import { encodeCursor, makeViewCache, ScanReadModel } from "../ScanReadModel.js"

const Row = Schema.Struct({
  id: Schema.String,
  seq: Schema.Number,
  shard: Schema.Number,
  /** The row's version (`xmin`): the document is read only when it is not the version the cache holds. */
  version: Schema.String,
  document: Schema.NullOr(Schema.String),
  /** The scan's CORRELATION results in the read copy (a partial index keeps the count to the findings). */
  correlation_count: Schema.Number,
  /** created_at in full (microsecond) precision, for the cursor. */
  position: Schema.String
})

const decodeRows = rowsDecoder(Row)

/** A row's document, read for a version the cache does not hold. */
const Document = Schema.Struct({ ...Row.pick("id", "seq", "shard", "version").fields, document: Schema.String })

const decodeDocuments = rowsDecoder(Document)

/** LIKE pattern for a substring, with the pattern's own wildcards escaped. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, "\\$&")}%`

export const make = Effect.gen(function*() {
  const sql = yield* PgClient
  const views = makeViewCache()
  /** The views of a page's rows, the documents of versions not held read in one more query. */
  const viewsOf = Effect.fnUntraced(function*(organizationId: OrganizationId, rows: ReadonlyArray<typeof Row.Type>) {
    const found = yield* Effect.forEach(rows, views.view)
    const missing = rows.filter((_, i) => Option.isNone(found[i]!))
    if (missing.length === 0) return found.flatMap((view) => Option.toArray(view))
    const documents = yield* attempt("list scans", () =>
      sql`
        select id, seq, shard, xmin::text as version, document::text as document from scans
        where id = any(${missing.map((row) => row.id)}::uuid[])
        and organization_id = ${organizationId} and deleted_at is null
      `).pipe(Effect.flatMap(decodeDocuments("list scans")))
    const byId = new Map(documents.map((row) => [row.id, row]))
    const completed = yield* Effect.forEach(rows, (row, i) => {
      const document = byId.get(row.id)
      // A scan deleted between the two queries is left out of the page, as the page's own filters would.
      if (Option.isSome(found[i]!) || document === undefined) return Effect.succeed(found[i]!)
      return views.view({ ...document, correlation_count: row.correlation_count })
    })
    return completed.flatMap((view) => Option.toArray(view))
  })
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
    get: Effect.fnUntraced(function*(organizationId: OrganizationId, id: ScanId) {
      const read = (known: string) =>
        attempt("read scan", () =>
          sql`
            select id, seq, shard, xmin::text as version,
              case when xmin::text = ${known} then null else document::text end as document,
              to_json(created_at) #>> '{}' as position, ${correlations()} from scans
            where id = ${id} and organization_id = ${organizationId} and deleted_at is null
          `).pipe(Effect.flatMap(decodeRows("read scan")))
      const row = (yield* read(views.version(id)))[0]
      if (row === undefined) return Option.none()
      const view = yield* views.view(row)
      if (Option.isSome(view)) return view
      // The version held was dropped meanwhile (the cache started over): the document is asked for.
      const again = (yield* read(""))[0]
      return again === undefined ? Option.none() : yield* views.view(again)
    }),
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
          select id, seq, shard, xmin::text as version, null as document,
            to_json(created_at) #>> '{}' as position, ${correlations()} from scans
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
            viewsOf(organizationId, page),
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
