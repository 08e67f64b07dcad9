/** Field helpers of lenient answers: a field that may be absent or null, and metadata that leaves out what was not sent. */
import { Schema } from "effect"
import type { Finding } from "../Module.js"
import { uniqueBy } from "./Unique.js"

/** A field the source may leave out or send as null. */
export const optional = <A, I>(schema: Schema.Schema<A, I>) =>
  Schema.optionalWith(schema, { exact: true, nullable: true })

/** The fields that carry something: undefined, null, "" and [] are left out. */
export const present = (fields: Readonly<Record<string, unknown>>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(fields).filter(([, value]) =>
      value !== undefined && value !== null && value !== "" && !(Array.isArray(value) && value.length === 0)
    )
  )

/** An address as `host:port` names it (IPv6 in brackets). */
export const hostPort = (ip: string, port: number) => `${ip.includes(":") ? `[${ip}]` : ip}:${port}`

/** One finding per entity, the first kept: a source may name the same port or AS in several rows. */
export const distinct = (findings: ReadonlyArray<Finding>): ReadonlyArray<Finding> =>
  uniqueBy(findings, (f) => `${f.type}:${f.value}`)
