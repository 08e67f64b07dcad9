/**
 * Test support for "a secret is stored nowhere": every row of every Postgres table and every document of every
 * MongoDB collection of the stack's stores as text, and the texts of several places that contain a secret.
 */
import { MongoDatabase } from "@mirage/runtime/platform/MongoDatabase"
import { PgClient } from "@mirage/runtime/platform/PgClient"
import { Effect } from "effect"

/** Every row of every table of the current schema, as `table: {json}`. */
export const everyRow = Effect.gen(function*() {
  const sql = yield* PgClient
  const tables = yield* Effect.promise(() =>
    sql<Array<{ table_name: string }>>`
      select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`
  )
  const rows: Array<string> = []
  for (const { table_name } of tables) {
    const found = yield* Effect.promise(() =>
      sql<Array<{ row: string }>>`select row_to_json(t)::text as row from ${sql(table_name)} t`
    )
    rows.push(...found.map((r) => `${table_name}: ${r.row}`))
  }
  return { tables: tables.map((t) => t.table_name), rows }
})

/** Every document of every collection, as `collection: {json}`. */
export const everyDocument = Effect.gen(function*() {
  const db = yield* MongoDatabase
  const collections = yield* Effect.promise(() => db.listCollections().toArray())
  const documents: Array<string> = []
  for (const { name } of collections) {
    const all = yield* Effect.promise(() => db.collection(name).find({}).toArray())
    documents.push(...all.map((doc) => `${name}: ${JSON.stringify(doc)}`))
  }
  return { collections: collections.map((c) => c.name), documents }
})

/** The texts of each place (`[where, texts]`) that contain any of `secrets`, by place: empty when none leaks. */
export const leaks = (
  places: ReadonlyArray<readonly [string, ReadonlyArray<string>]>,
  secrets: ReadonlyArray<string>
): Record<string, ReadonlyArray<string>> => {
  const found: Record<string, ReadonlyArray<string>> = {}
  for (const [where, texts] of places) {
    const leaked = texts.filter((text) => secrets.some((secret) => text.includes(secret)))
    if (leaked.length > 0) found[where] = leaked
  }
  return found
}
