/**
 * Text a client sends that the stores keep. PostgreSQL's `text` and `jsonb` refuse U+0000, and a
 * lone UTF-16 surrogate has no UTF-8 form, so both are refused at the edge (400 naming the field)
 * instead of failing the append later (a 503 that loses the audit entry).
 */
import { Schema } from "effect"

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
/** What every unstorable string contains: most text has none, and is passed after this one cheap scan. */
const suspicious = /[\u0000\uD800-\uDFFF]/

/** Why a string cannot be stored, or undefined when it can. */
export const textProblem = (s: string): string | undefined => {
  if (!suspicious.test(s)) return undefined
  if (s.includes("\u0000")) return "must not contain the NUL character (U+0000)"
  if (loneSurrogate.test(s)) return "must not contain a lone UTF-16 surrogate"
  return undefined
}

/** The first string inside a JSON-like value (keys included) that cannot be stored, with its problem. */
export const deepTextProblem = (u: unknown, depth = 0): string | undefined => {
  if (typeof u === "string") return textProblem(u)
  if (depth > 32 || u === null || typeof u !== "object") return undefined
  for (const [key, value] of Array.isArray(u) ? u.entries() : Object.entries(u)) {
    const problem = (typeof key === "string" ? textProblem(key) : undefined) ?? deepTextProblem(value, depth + 1)
    if (problem !== undefined) return problem
  }
  return undefined
}

/** Storable text: no U+0000, no lone surrogate (the JSON Schema pattern says the first; the second has no pattern). */
export const StorableText = Schema.String.pipe(
  Schema.filter((s) => textProblem(s) ?? true, {
    jsonSchema: { pattern: "^[^\\u0000]*$" },
    description: "text without U+0000 or lone UTF-16 surrogates"
  })
)

/** API text between `min` and `max` characters (UTF-16 code units). */
export const ApiText = (options: { readonly min?: number; readonly max: number }) =>
  StorableText.pipe(Schema.minLength(options.min ?? 0), Schema.maxLength(options.max))

const unstorable = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/**
 * A JSON-like value with every unstorable character replaced by U+FFFD: for records that must land (the audit log,
 * findings). Its shape is the value's own (a string stays a string, an array an array, a record a record).
 */
export function storable<A>(u: A): A
export function storable(u: unknown): unknown {
  if (typeof u === "string") return u.replace(unstorable, "\uFFFD")
  if (Array.isArray(u)) return u.map(storable)
  if (u === null || typeof u !== "object") return u
  return Object.fromEntries(Object.entries(u).map(([key, value]) => [storable(key), storable(value)]))
}
