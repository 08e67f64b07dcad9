/**
 * Collection results, unique per (owner, hash) where the owner is a scan or a standalone job:
 * a task that runs again stores nothing twice. A result's id is `resultIdFor(owner, hash)`, so the
 * id alone is the uniqueness key; a result with any other id is refused.
 */
import type { JsonBytesOf } from "@mirage/domain/api/JsonText"
import type { CollectionResult } from "@mirage/domain/CollectionTask"
import type { EntityType } from "@mirage/domain/Entity"
import { ResultId, resultIdFor } from "@mirage/domain/Ids"
import { Context, DateTime, Effect, Schema } from "effect"
import { PersistenceError } from "../platform/Errors.js"

export interface ResultQuery {
  /** A scan id, or a standalone job's task id. */
  readonly owner: string
  readonly task_id?: string
  readonly data_type?: EntityType
  readonly module_id?: string
  readonly min_confidence?: number
  /** Opaque cursor from a previous page. */
  readonly cursor?: string
  readonly limit: number
}

export interface ResultPage {
  readonly items: ReadonlyArray<CollectionResult>
  readonly next_cursor: string | null
}

/** A page as the API answers it: each result's wire encoding as JSON, in UTF-8 bytes as stored, undecoded. */
export interface ResultJsonPage {
  readonly items: ReadonlyArray<JsonBytesOf<typeof CollectionResult>>
  readonly next_cursor: string | null
}

export interface ResultStoreService {
  /** Stores results of one owner; duplicates of stored ones are skipped. Returns how many were new. */
  readonly insert: (
    owner: string,
    results: ReadonlyArray<CollectionResult>
  ) => Effect.Effect<number, PersistenceError>
  /** Stores results of many owners at once (one round trip); returns how many were new in all. */
  readonly insertAll: (
    batches: ReadonlyArray<{ readonly owner: string; readonly results: ReadonlyArray<CollectionResult> }>
  ) => Effect.Effect<number, PersistenceError>
  readonly list: (query: ResultQuery) => Effect.Effect<ResultPage, PersistenceError>
  /** The page `list` gives, as the JSON of each result's wire encoding (what `Schema.encode` would give), in bytes. */
  readonly listJson: (query: ResultQuery) => Effect.Effect<ResultJsonPage, PersistenceError>
  readonly count: (owner: string) => Effect.Effect<number, PersistenceError>
  /** Removes every result of one owner (a run that retention let go); idempotent. */
  readonly purge: (owner: string) => Effect.Effect<void, PersistenceError>
}

/** The wire encoding of a result (what `Schema.encode(CollectionResult)` gives), without the schema walk. */
export const wireOf = (result: CollectionResult): typeof CollectionResult.Encoded => ({
  id: result.id,
  task_id: result.task_id,
  scan_id: result.scan_id,
  module_id: result.module_id,
  data_type: result.data_type,
  data: result.data,
  source_data: result.source_data,
  confidence: result.confidence,
  collected_at: DateTime.formatIso(result.collected_at),
  metadata: result.metadata,
  hash: result.hash,
  parent: result.parent
})

export class ResultStore extends Context.Tag("@mirage/runtime/ResultStore")<ResultStore, ResultStoreService>() {}

/** The cursor of a page: the last result id, base64url (opaque to clients; both adapters use it). */
export const encodeCursor = (id: ResultId): string => Buffer.from(id, "utf8").toString("base64url")

/** The result id a cursor stands for; a cursor that is not one of ours fails. */
export const decodeCursor = (cursor: string): Effect.Effect<ResultId, PersistenceError> =>
  Schema.decodeUnknown(ResultId)(Buffer.from(cursor, "base64url").toString("utf8")).pipe(
    Effect.mapError((cause) => new PersistenceError({ operation: "ResultStore.list: invalid cursor", cause }))
  )

/** The first result whose id is not the one its owner and hash give, refused as a batch's encoding failure. */
export const misidentified = (
  batches: ReadonlyArray<{ readonly owner: string; readonly results: ReadonlyArray<CollectionResult> }>
): PersistenceError | undefined => {
  for (const { owner, results } of batches) {
    for (const result of results) {
      if (result.id !== resultIdFor(owner, result.hash)) {
        return new PersistenceError({
          operation: "ResultStore.insert: encode",
          cause: `result ${result.id} of ${owner} is not resultIdFor(owner, hash)`
        })
      }
    }
  }
  return undefined
}

/** The page of `limit` results from the `limit` + 1 read (the last one only tells that a next page exists). */
export const pageFrom = <A>(
  read: ReadonlyArray<A>,
  limit: number,
  idOf: (item: A) => ResultId
): { readonly items: ReadonlyArray<A>; readonly next_cursor: string | null } => {
  const items = read.slice(0, limit)
  const last = items[items.length - 1]
  return { items, next_cursor: read.length > limit && last !== undefined ? encodeCursor(idOf(last)) : null }
}
