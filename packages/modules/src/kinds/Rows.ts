/**
 * Tolerant reading of a source's answer: each row is decoded on its own, so one row of an odd
 * shape is skipped (counted, its reason noted once) instead of failing the whole answer. Also the
 * lenient field schemas real APIs need (an id that is sometimes a number, a list that is sometimes
 * one value).
 */
import { Effect, Either, ParseResult, Predicate, Schema } from "effect"
import type { CollectionNotes } from "../CollectionNotes.js"

/** Reads one row, or says why it cannot. */
export type RowDecoder<Row> = (raw: unknown) => Either.Either<Row, string>

/** The first issue of a parse error, on one line: `["id"]: Expected string, actual null`. */
export const firstIssue = (error: ParseResult.ParseError): string => {
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  if (issue === undefined) return "does not match"
  return issue.path.length === 0 ? issue.message : `${JSON.stringify(issue.path)}: ${issue.message}`
}

/** A row decoder from a schema (excess fields are ignored: sources add fields all the time). */
export const schema = <S extends Schema.Schema.AnyNoContext>(rowSchema: S): RowDecoder<Schema.Schema.Type<S>> => {
  const decode = Schema.decodeUnknownEither<Schema.Schema.Type<S>, Schema.Schema.Encoded<S>>(rowSchema)
  return (raw) => Either.mapLeft(decode(raw), firstIssue)
}

/** A row decoder from a function that returns undefined for what it cannot read. */
export const from = <A>(read: (raw: unknown) => A | undefined, reason: string): RowDecoder<A> => (raw) => {
  const row = read(raw)
  return row === undefined ? Either.left(reason) : Either.right(row)
}

export interface DecodedRows<Row> {
  readonly rows: ReadonlyArray<Row>
  readonly skipped: number
  /** Why the first skipped row was skipped. */
  readonly reason: string | undefined
}

/** Each row decoded on its own. */
export const decodeAll = <Row>(raws: ReadonlyArray<unknown>, decode: RowDecoder<Row>): DecodedRows<Row> => {
  const rows: Array<Row> = []
  let skipped = 0
  let reason: string | undefined
  for (const raw of raws) {
    const decoded = decode(raw)
    if (Either.isRight(decoded)) rows.push(decoded.right)
    else {
      skipped++
      reason ??= decoded.left
    }
  }
  return { rows, skipped, reason }
}

/** The rows that decode; the others are counted in `notes` with the first reason. */
export const decodeEach = <Row>(
  raws: ReadonlyArray<unknown>,
  decode: RowDecoder<Row>,
  notes: CollectionNotes
): Effect.Effect<ReadonlyArray<Row>> => Effect.suspend(() => keep(decodeAll(raws, decode), notes))

/**
 * A list field read item by item: items that do not decode are skipped (counted), and a field that
 * is not a list at all counts as one skipped row. Absent or null is an empty list.
 */
export const list = <S extends Schema.Schema.AnyNoContext>(
  value: unknown,
  item: S,
  field: string
): DecodedRows<Schema.Schema.Type<S>> => {
  if (value === undefined || value === null) return { rows: [], skipped: 0, reason: undefined }
  if (!Array.isArray(value)) return { rows: [], skipped: 1, reason: `${field} is not a list` }
  const decoded = decodeAll(value, schema(item))
  return decoded.reason === undefined ? decoded : { ...decoded, reason: `${field}: ${decoded.reason}` }
}

/** Notes what `decoded` skipped and gives its rows. */
export const keep = <Row>(decoded: DecodedRows<Row>, notes: CollectionNotes): Effect.Effect<ReadonlyArray<Row>> =>
  decoded.reason === undefined
    ? Effect.succeed(decoded.rows)
    : Effect.as(notes.skipped(decoded.reason, decoded.skipped), decoded.rows)

/** A string, or a number sent where a string was documented (ids, serials): read as its decimal text. */
export const Stringish = Schema.Union(
  Schema.String,
  Schema.transform(Schema.Number, Schema.String, { strict: true, decode: (n) => String(n), encode: Number })
)

/** A list, or one value sent where a list was documented. */
export const OneOrMany = <A, I>(item: Schema.Schema<A, I, never>) =>
  Schema.Union(
    Schema.Array(item),
    Schema.transform(item, Schema.Array(Schema.typeSchema(item)), {
      strict: true,
      decode: (one) => [one],
      encode: (many) => many[0]!
    })
  )

/** The body parsed as JSON, or why it is not JSON. */
export const parseJson = (body: string): Either.Either<unknown, string> =>
  Either.mapLeft(Schema.decodeUnknownEither(Schema.parseJson())(body), firstIssue)

/** The value at a dotted path (`data.items`) of a JSON value, if every step is an object key. */
export const at = (value: unknown, path: string): unknown => {
  let current = value
  for (const key of path.split(".")) {
    if (!Predicate.isRecord(current) || !Object.hasOwn(current, key)) return undefined
    current = current[key]
  }
  return current
}
