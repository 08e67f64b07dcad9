/** What the Postgres stores do with the rows they read and the times they write, beside `attempt`. */
import type { SchemaAST } from "effect"
import { Effect, Schema } from "effect"
import { PersistenceError } from "./Errors.js"

/** A check of one column's value, for the types a column decodes to unchanged. */
type Check = (value: unknown) => boolean

const checkOf = (ast: SchemaAST.AST): Check | undefined => {
  switch (ast._tag) {
    case "StringKeyword":
      return (value) => typeof value === "string"
    case "NumberKeyword":
      return (value) => typeof value === "number"
    case "BooleanKeyword":
      return (value) => typeof value === "boolean"
    case "Literal": {
      const literal = ast.literal
      return (value) => value === literal
    }
    case "Union": {
      const checks = ast.types.map(checkOf)
      if (!checks.every((check) => check !== undefined)) return undefined
      return (value) => checks.some((check) => check(value))
    }
    default:
      return undefined
  }
}

/**
 * For a row of required columns of strings, numbers, booleans, literals and unions of them (`null` among them), which
 * decode unchanged: the rows as its schema would give them (each row's own columns, no others), or undefined when a
 * row is not one (the schema then says why). Undefined for any other row schema (refinements, transformations,
 * optional columns), which always goes through the schema. A page of 21 scan rows took ≈ 40 µs through the schema.
 */
export const plainRows = (ast: SchemaAST.AST): ((rows: unknown) => Array<unknown> | undefined) | undefined => {
  if (ast._tag !== "TypeLiteral" || ast.indexSignatures.length > 0) return undefined
  const names: Array<string> = []
  const checks: Array<Check> = []
  for (const property of ast.propertySignatures) {
    const check = checkOf(property.type)
    if (typeof property.name !== "string" || property.isOptional || check === undefined) return undefined
    names.push(property.name)
    checks.push(check)
  }
  return (rows) => {
    if (!Array.isArray(rows)) return undefined
    const out = new Array<unknown>(rows.length)
    for (let i = 0; i < rows.length; i++) {
      const row: unknown = rows[i]
      if (typeof row !== "object" || row === null || Array.isArray(row)) return undefined
      const decoded: Record<string, unknown> = {}
      for (let c = 0; c < names.length; c++) {
        const name = names[c]!
        const value = (row as Record<string, unknown>)[name]
        if (!checks[c]!(value) || !Object.hasOwn(row, name)) return undefined
        decoded[name] = value
      }
      out[i] = decoded
    }
    return out
  }
}

/**
 * A decoder of rows as `row` describes them, built once (a parser is compiled where its schema is made): a row that
 * does not decode is a PersistenceError naming the operation. Rows of plain columns are checked without the parser
 * (`plainRows`), with the same result.
 */
export const rowsDecoder = <A, I>(row: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknown(Schema.Array(row))
  const plain = plainRows(row.ast)
  return (operation: string) => (rows: unknown): Effect.Effect<ReadonlyArray<A>, PersistenceError> => {
    const checked = plain?.(rows)
    // The checks above are exactly the schema's for such rows: what they admit, it decodes to the same values.
    if (checked !== undefined) return Effect.succeed(checked as ReadonlyArray<A>)
    return Effect.mapError(decode(rows), (cause) => new PersistenceError({ operation, cause }))
  }
}

/** The `document` column of each row. */
export const documents = (rows: ReadonlyArray<{ readonly document: unknown }>): Array<unknown> =>
  rows.map((row) => row.document)

/** Epoch milliseconds as the ISO text a `timestamptz` parameter takes. */
export const iso = (ms: number): string => new Date(ms).toISOString()
