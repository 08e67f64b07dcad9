/** What the Postgres stores do with the rows they read and the times they write, beside `attempt`. */
import { Effect, Schema } from "effect"
import { PersistenceError } from "./Errors.js"

/**
 * A decoder of rows as `row` describes them, built once (a parser is compiled where its schema is made): a row that
 * does not decode is a PersistenceError naming the operation.
 */
export const rowsDecoder = <A, I>(row: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknown(Schema.Array(row))
  return (operation: string) => (rows: unknown): Effect.Effect<ReadonlyArray<A>, PersistenceError> =>
    Effect.mapError(decode(rows), (cause) => new PersistenceError({ operation, cause }))
}

/** The `document` column of each row. */
export const documents = (rows: ReadonlyArray<{ readonly document: unknown }>): Array<unknown> =>
  rows.map((row) => row.document)

/** Epoch milliseconds as the ISO text a `timestamptz` parameter takes. */
export const iso = (ms: number): string => new Date(ms).toISOString()
