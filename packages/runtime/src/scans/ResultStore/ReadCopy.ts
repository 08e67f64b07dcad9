/**
 * The read copy of results in PostgreSQL (table `results_read`), written beside every MongoDB insert and read by
 * pages: keyset on (owner, id), the primary key, so a page is one index range whatever the owner's size. FerretDB
 * cannot do that: with a filter it sorts and limits in memory after reading every document of the owner.
 */
import { trustedBytes } from "@mirage/domain/api/JsonText"
import type { JsonBytesOf } from "@mirage/domain/api/JsonText"
import { CollectionResult } from "@mirage/domain/CollectionTask"
import { ResultId } from "@mirage/domain/Ids"
import { Effect, Schema } from "effect"
import type { TransactionSql } from "postgres"
import { PersistenceError } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
import type { Sql } from "../../platform/PgClient.js"
import { wireOf } from "../ResultStore.js"
import type { ResultQuery } from "../ResultStore.js"

export { wireOf } from "../ResultStore.js"

const decodeResults = Schema.decodeUnknown(Schema.Array(CollectionResult))

interface Row {
  readonly owner: string
  readonly id: string
  readonly task_id: string
  readonly module_id: string
  readonly data_type: string
  readonly confidence: number
  /** The wire encoding, written into the batch's JSON as it is: PostgreSQL keeps a `json` value's text unchanged. */
  readonly document: typeof CollectionResult.Encoded
}

/** Rows per statement: the batch travels as one JSON parameter. */
const chunk = 5000

const byKey = (a: Row, b: Row) =>
  a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0

export interface ReadCopy {
  /** Copies results (already checked by the caller); a copy that exists is left as it is. */
  readonly insert: (
    batches: ReadonlyArray<{ readonly owner: string; readonly results: ReadonlyArray<CollectionResult> }>
  ) => Effect.Effect<void, PersistenceError>
  /** One page (at most `limit` + 1 results, to tell whether there is a next page) after the result `after`. */
  readonly page: (
    query: ResultQuery,
    after: ResultId | undefined,
    limit: number
  ) => Effect.Effect<ReadonlyArray<CollectionResult>, PersistenceError>
  /**
   * The same page as the stored JSON of each result, as the bytes PostgreSQL sent: the document column holds
   * `wireOf(result)` (the wire encoding) and nothing else, so it is the API's answer as it is. With the id the next
   * page starts after, when there is one.
   */
  readonly pageJson: (
    query: ResultQuery,
    after: ResultId | undefined,
    limit: number
  ) => Effect.Effect<
    {
      readonly items: ReadonlyArray<JsonBytesOf<typeof CollectionResult>>
      readonly next: ResultId | null
    },
    PersistenceError
  >
  readonly count: (owner: string) => Effect.Effect<number, PersistenceError>
  /** Removes the copies of one owner's results. */
  readonly purge: (owner: string) => Effect.Effect<void, PersistenceError>
}

const encodeRows = (
  batches: ReadonlyArray<{ readonly owner: string; readonly results: ReadonlyArray<CollectionResult> }>
) =>
  Effect.try({
    // In key order, so that two writers copying the same results wait on each other rather than deadlock.
    try: () =>
      batches.flatMap(({ owner, results }) =>
        results.map((result): Row => ({
          owner,
          id: result.id,
          task_id: result.task_id,
          module_id: result.module_id,
          data_type: result.data_type,
          confidence: result.confidence,
          document: wireOf(result)
        }))
      ).sort(byKey),
    catch: (cause) => new PersistenceError({ operation: "ResultStore.insert: read copy encode", cause })
  })

/**
 * A chunk of rows as the statement's one JSON parameter, each document nested as it is: one encoding of every result.
 * `json_to_recordset` refuses a `\u0000` escape anywhere in its input, nested values included, while the `json`
 * column keeps one: a chunk where one appears (a stray NUL the caller let through) sends every document as its JSON
 * text instead, a string that the statement parses, as before.
 */
const chunkJson = (rows: ReadonlyArray<Row>): string => {
  const text = JSON.stringify(rows)
  return text.includes("\\u0000")
    ? JSON.stringify(rows.map(({ document, ...row }) => ({ ...row, document_text: JSON.stringify(document) })))
    : text
}

/** Copies results through `sql` (the pool, or a transaction); a copy that exists is left as it is. */
export const insertWith = (
  sql: Sql | TransactionSql<Record<string, never>>,
  batches: ReadonlyArray<{ readonly owner: string; readonly results: ReadonlyArray<CollectionResult> }>
) =>
  Effect.gen(function*() {
    const rows = yield* encodeRows(batches)
    for (let from = 0; from < rows.length; from += chunk) {
      const text = yield* Effect.try({
        try: () => chunkJson(rows.slice(from, from + chunk)),
        catch: (cause) => new PersistenceError({ operation: "ResultStore.insert: read copy encode", cause })
      })
      yield* Effect.tryPromise({
        try: () =>
          sql`
            insert into results_read (owner, id, task_id, module_id, data_type, confidence, document)
            select owner, id, task_id, module_id, data_type, confidence, coalesce(document, document_text::json)
            from json_to_recordset(${text}::text::json) as r(
              owner text, id uuid, task_id text, module_id text, data_type text, confidence double precision,
              document json, document_text text
            )
            on conflict do nothing
          `,
        catch: (cause) => new PersistenceError({ operation: "ResultStore.insert: read copy", cause })
      })
    }
  })

const pageOf = <Row extends object = object>(
  sql: Sql,
  columns: ReturnType<Sql>,
  query: ResultQuery,
  after: ResultId | undefined,
  limit: number
) => {
  const byTask = query.task_id === undefined ? sql`` : sql`and task_id = ${query.task_id}`
  const byType = query.data_type === undefined ? sql`` : sql`and data_type = ${query.data_type}`
  const byModule = query.module_id === undefined ? sql`` : sql`and module_id = ${query.module_id}`
  const byConfidence = query.min_confidence === undefined ? sql`` : sql`and confidence >= ${query.min_confidence}`
  const from = after === undefined ? sql`` : sql`and id > ${after}::uuid`
  return sql<Array<Row>>`
    select ${columns} from results_read
    where owner = ${query.owner} ${byTask} ${byType} ${byModule} ${byConfidence} ${from}
    order by id
    limit ${limit + 1}
  `
}

/** The one statement a page costs (exported so that its plan can be checked). */
export const pageStatement = (sql: Sql, query: ResultQuery, after: ResultId | undefined, limit: number) =>
  pageOf<{ document: unknown }>(sql, sql`document`, query, after, limit)

/**
 * The same page as each document's JSON text, taken as the bytes received (`raw`), and the id of the page's last
 * result only (the next page's cursor; null on every other row): one `Buffer` per row instead of two. The text
 * stays 101 rows: one value joined in the statement was tried, and one 44 KB value costs the exchange more than 101
 * rows (see the README).
 */
export const pageJsonStatement = (sql: Sql, query: ResultQuery, after: ResultId | undefined, limit: number) =>
  sql`
    select document::text, case when row_number() over (order by id) = ${limit} then id::text end
    from (${pageOf(sql, sql`id, document`, query, after, limit)}) as page
  `

const utf8 = new TextDecoder()

export const make = Effect.gen(function*() {
  const sql = yield* PgClient
  const attempt = <A>(operation: string, run: () => Promise<A>) =>
    Effect.tryPromise({ try: run, catch: (cause) => new PersistenceError({ operation, cause }) })

  const insert: ReadCopy["insert"] = (batches) => insertWith(sql, batches)

  const page: ReadCopy["page"] = (query, after, limit) =>
    attempt("ResultStore.list", () => pageStatement(sql, query, after, limit)).pipe(
      Effect.flatMap((rows) => decodeResults(rows.map((row) => row.document))),
      Effect.mapError((cause) =>
        cause instanceof PersistenceError
          ? cause
          : new PersistenceError({ operation: "ResultStore.list: decode", cause })
      )
    )

  const pageJson: ReadCopy["pageJson"] = (query, after, limit) =>
    attempt("ResultStore.list", () => pageJsonStatement(sql, query, after, limit).raw()).pipe(
      Effect.map((rows) => {
        const last = rows.length > limit ? rows[limit - 1]![1] : null
        return {
          items: rows.slice(0, limit).map(([document]) => trustedBytes(CollectionResult, document!)),
          next: last === null || last === undefined ? null : ResultId.make(utf8.decode(last))
        }
      })
    )

  const purge: ReadCopy["purge"] = (owner) =>
    attempt("ResultStore.purge: read copy", () => sql`delete from results_read where owner = ${owner}`).pipe(
      Effect.asVoid
    )

  const count: ReadCopy["count"] = (owner) =>
    attempt(
      "ResultStore.count",
      () => sql<Array<{ n: number }>>`select count(*)::int as n from results_read where owner = ${owner}`
    ).pipe(
      Effect.map((rows) => rows[0]?.n ?? 0)
    )

  return { insert, page, pageJson, count, purge } satisfies ReadCopy
})
