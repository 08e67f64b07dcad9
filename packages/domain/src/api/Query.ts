/**
 * Query parameters that stand for numbers and times: text on the wire, decoded to what they are, and documented in
 * OpenAPI as what they are (an integer with its bounds, an RFC 3339 date-time), not as any string.
 */
import { Schema } from "effect"

/** An integer within bounds. */
export const IntegerParam = (bounds: { readonly min: number; readonly max: number }, description: string) =>
  Schema.NumberFromString.pipe(
    Schema.int(),
    Schema.between(bounds.min, bounds.max),
    Schema.annotations({
      description,
      jsonSchema: { type: "integer", minimum: bounds.min, maximum: bounds.max, description }
    })
  )

/** A number within bounds. */
export const NumberParam = (bounds: { readonly min: number; readonly max: number }, description: string) =>
  Schema.NumberFromString.pipe(
    Schema.between(bounds.min, bounds.max),
    Schema.annotations({
      description,
      jsonSchema: { type: "number", minimum: bounds.min, maximum: bounds.max, description }
    })
  )

/** A point in time, e.g. `2025-01-31T12:00:00Z`. */
export const TimeParam = (description: string) =>
  Schema.DateTimeUtc.annotations({
    description,
    jsonSchema: { type: "string", format: "date-time", description }
  })

export const pageLimits = { default: 50, max: 200 } as const

/** A page's size. */
export const Limit = IntegerParam(
  { min: 1, max: pageLimits.max },
  `Page size, 1-${pageLimits.max} (default ${pageLimits.default})`
)

/** An opaque position in a listing, from the previous page's `next_cursor`. */
export const Cursor = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9_-]{1,1024}$/, { message: () => "a cursor is the next_cursor of a previous page" }),
  Schema.annotations({ description: "The next_cursor of the previous page" })
)

/** `limit` and `cursor` of a listing. */
export const PageParams = Schema.Struct({
  limit: Schema.optionalWith(Limit, { default: () => pageLimits.default }),
  cursor: Schema.optional(Cursor)
})
export type PageParams = typeof PageParams.Type
