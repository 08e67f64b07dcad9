/**
 * The read model of scans the gateway answers from: the `scans` projection, scoped to one
 * organization, newest first, paged with an opaque keyset cursor on (created_at, id).
 */
import type { EntityType } from "@mirage/domain/Entity"
import type { OrganizationId, ScanId } from "@mirage/domain/Ids"
import { Scan } from "@mirage/domain/Scan"
import type { ScanStatus } from "@mirage/domain/Scan"
import type { TaskCounts } from "@mirage/domain/ScanMachine"
import { Context, Data, Effect, Either, Option, Schema } from "effect"
import type { DateTime } from "effect"
import { PersistenceError } from "../platform/Errors.js"

/** A scan as the projection has it, with what a status report needs beyond the wire Scan. */
export interface ScanView {
  readonly scan: Scan
  /** Seq of the last event the projection reflects. */
  readonly seq: number
  readonly shard: number
  /** Null when the projection does not record task counts. */
  readonly tasks: TaskCounts | null
  /** Running time before the current running stretch (ms), null when not recorded. */
  readonly running_ms: number | null
  /** Epoch ms at which the current running stretch began, null when not running or not recorded. */
  readonly running_since: number | null
}

export interface ScanQuery {
  readonly limit: number
  readonly cursor?: ScanCursor | undefined
  readonly status?: ScanStatus | undefined
  readonly target_type?: EntityType | undefined
  /** Substring of the name, case-insensitive. */
  readonly name?: string | undefined
  /** Inclusive. */
  readonly created_after?: DateTime.Utc | undefined
  /** Exclusive. */
  readonly created_before?: DateTime.Utc | undefined
}

export interface ScanViewPage {
  readonly items: ReadonlyArray<ScanView>
  readonly next_cursor: string | null
}

export interface ScanReadModelService {
  /** The scan if it exists, is not deleted and belongs to the organization. */
  readonly get: (organizationId: OrganizationId, id: ScanId) => Effect.Effect<Option.Option<ScanView>, PersistenceError>
  readonly list: (organizationId: OrganizationId, query: ScanQuery) => Effect.Effect<ScanViewPage, PersistenceError>
  /** Results the scan stored from `sinceMs` on (epoch ms), for its current rate. */
  readonly resultsSince: (id: ScanId, sinceMs: number) => Effect.Effect<number, PersistenceError>
}

export class ScanReadModel extends Context.Tag("@mirage/runtime/ScanReadModel")<
  ScanReadModel,
  ScanReadModelService
>() {}

/** Where a page ended: the created_at (as stored, full precision) and id of its last scan. */
export const ScanCursor = Schema.Struct({ created_at: Schema.String, id: Schema.UUID })
export type ScanCursor = typeof ScanCursor.Type

export class InvalidCursor extends Data.TaggedError("InvalidCursor")<{ readonly cursor: string }> {}

const CursorJson = Schema.parseJson(ScanCursor)

export const encodeCursor = (cursor: ScanCursor): string =>
  Buffer.from(Schema.encodeSync(CursorJson)(cursor), "utf8").toString("base64url")

export const decodeCursor = (text: string): Either.Either<ScanCursor, InvalidCursor> => {
  const cursor = Schema.decodeUnknownOption(CursorJson)(Buffer.from(text, "base64url").toString("utf8"))
  return Option.isSome(cursor) && !Number.isNaN(Date.parse(cursor.value.created_at))
    ? Either.right(cursor.value)
    : Either.left(new InvalidCursor({ cursor: text }))
}

const Counts = Schema.Struct({
  queued: Schema.Int,
  running: Schema.Int,
  completed: Schema.Int,
  failed: Schema.Int,
  cancelled: Schema.Int
})

// The correlation findings are counted when a scan is read (from the read copy of its results), not projected.
const { correlation_count: _, ...documentFields } = Scan.fields

/**
 * `scans.document`: the encoded wire Scan (without its correlation count), plus (when the projection writer records
 * them) the task counts and running time of the scan's state.
 */
export const ScanDocument = Schema.Struct({
  ...documentFields,
  // Absent in documents written before chaining existed.
  depends_on: Schema.optionalWith(Scan.fields.depends_on, { default: () => null }),
  tasks: Schema.optional(Counts),
  running_ms: Schema.optional(Schema.Number),
  running_since: Schema.optional(Schema.NullOr(Schema.Number))
})
export type ScanDocument = typeof ScanDocument.Type

/**
 * A view from a projection row (with the scan's correlation findings counted, when the row has them); a document
 * that does not decode is a store failure.
 */
export const viewFromDocument = (
  document: unknown,
  row: { readonly seq: number; readonly shard: number; readonly correlation_count?: number }
): Effect.Effect<ScanView, PersistenceError> =>
  Schema.decodeUnknown(ScanDocument)(document).pipe(
    Effect.mapError((cause) => new PersistenceError({ operation: "decode scan projection", cause })),
    Effect.map(({ running_ms, running_since, tasks, ...fields }) => ({
      // Just decoded by the same fields' schemas: validating again in the constructor cost ~300 µs a scan, the
      // largest part of a scans page's CPU.
      scan: Scan.make({ ...fields, correlation_count: row.correlation_count ?? 0 }, true),
      seq: row.seq,
      shard: row.shard,
      tasks: tasks ?? null,
      running_ms: running_ms ?? null,
      running_since: running_since ?? null
    }))
  )

/**
 * A row of the `scans` projection as read: its version (the row version Postgres gives every update, `xmin`), the
 * document's JSON text — null when the reader already held this version and did not ask for it again — and what a
 * view takes beside it.
 */
export interface ProjectionRow {
  readonly id: string
  readonly version: string
  readonly document: string | null
  readonly seq: number
  readonly shard: number
  readonly correlation_count: number
}

/** Scans kept decoded at most; past that the cache starts over. */
const viewCapacity = 10_000

interface Kept {
  readonly version: string
  readonly seq: number
  readonly view: ScanView
}

/**
 * The views of the scans read lately, each kept while its row is unchanged: views (and the JSON text made once of each
 * scan) outlive the request, and a reader that asks only for the documents of versions it does not hold moves and
 * decodes nothing for a page of unchanged scans (a scan's document is ≈ 5 KB; sending twenty of them as text cost
 * Postgres five times the rest of a page's query).
 */
export const makeViewCache = () => {
  const kept = new Map<string, Kept>()
  const keep = (id: string, entry: Kept) => {
    if (kept.size >= viewCapacity && !kept.has(id)) kept.clear()
    kept.set(id, entry)
    return entry.view
  }
  return {
    /** The version of the scan's row held, "" when none: a read of the same version may leave the document out. */
    version: (id: string): string => kept.get(id)?.version ?? "",
    /** The view of a row; None when the row came without its document and its version is no longer held. */
    view: (row: ProjectionRow): Effect.Effect<Option.Option<ScanView>, PersistenceError> => {
      const entry = kept.get(row.id)
      // The seq too: a row version is a 32-bit transaction id, which wraps around.
      if (entry !== undefined && entry.version === row.version && entry.seq === row.seq) {
        const { view } = entry
        if (view.scan.correlation_count === row.correlation_count) return Effect.succeedSome(view)
        // Correlation findings are counted at read time: only the count changed.
        const scan = Scan.make({ ...view.scan, correlation_count: row.correlation_count }, true)
        return Effect.succeedSome(keep(row.id, { ...entry, view: { ...view, scan } }))
      }
      if (row.document === null) return Effect.succeedNone
      const text = row.document
      return Effect.try({
        try: (): unknown => JSON.parse(text),
        catch: (cause) => new PersistenceError({ operation: "decode scan projection", cause })
      }).pipe(
        Effect.flatMap((document) => viewFromDocument(document, row)),
        Effect.map((view) => Option.some(keep(row.id, { version: row.version, seq: row.seq, view })))
      )
    }
  }
}
