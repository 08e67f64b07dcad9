/**
 * The collection log on MongoDB (or FerretDB): collection `collection_logs`, one document per entry,
 * `_id` sorting by time so pages are keyset on `_id`. Indexed on {owner, task_id, at} and for the
 * two listings.
 */
import { Effect, Layer, Option, Schema } from "effect"
import type { Filter } from "mongodb"
import { PersistenceError } from "../../platform/Errors.js"
import { MongoDatabase } from "../../platform/MongoDatabase.js"
import { CollectionLog, decodeCursor, encodeCursor, fieldsOf, interrupted } from "../CollectionLog.js"
import type { CollectionLogEntry, CollectionLogService } from "../CollectionLog.js"

export const collectionName = "collection_logs"

interface Stored {
  readonly _id: string
  readonly [field: string]: unknown
}

const stored = { _id: Schema.String, at: Schema.ValidDateFromSelf, ...fieldsOf.common }
const RequestDocument = Schema.Struct({ ...stored, ...fieldsOf.request })
const SummaryDocument = Schema.Struct({ ...stored, ...fieldsOf.summary })
export const CollectionLogDocument = Schema.Union(RequestDocument, SummaryDocument)
type CollectionLogDocument = typeof CollectionLogDocument.Type

const encodeDocuments = Schema.encode(Schema.Array(CollectionLogDocument))
const decodeDocuments = Schema.decodeUnknown(Schema.Array(CollectionLogDocument))

const toDocument = ({ at, id, ...fields }: CollectionLogEntry): CollectionLogDocument => ({
  _id: id,
  at: new Date(at),
  ...fields
})

const fromDocument = ({ _id, at, ...fields }: CollectionLogDocument): CollectionLogEntry => ({
  id: _id,
  at: at.getTime(),
  ...fields
})

const attempt = <A>(operation: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new PersistenceError({ operation, cause }) })

export const make = Effect.gen(function*() {
  const db = yield* MongoDatabase
  const logs = db.collection<Stored>(collectionName)
  // One at a time: FerretDB 1.24 drops the connection when a batch of indexes that already exist is created again.
  yield* Effect.forEach(
    [
      { key: { owner: 1, task_id: 1, at: 1 }, name: "owner_task_at" },
      { key: { task_id: 1, _id: 1 }, name: "task_id" },
      { key: { owner: 1, _id: 1 }, name: "owner_id" },
      { key: { source: 1, kind: 1, _id: 1 }, name: "source_kind_id" }
    ],
    (index) => attempt("CollectionLog: create indexes", () => logs.createIndexes([index])),
    { discard: true }
  )

  const append: CollectionLogService["append"] = (entries) =>
    entries.length === 0 ? Effect.void : Effect.gen(function*() {
      const documents = yield* encodeDocuments(entries.map(toDocument)).pipe(
        Effect.mapError((cause) => new PersistenceError({ operation: "CollectionLog.append: encode", cause }))
      )
      yield* attempt(
        "CollectionLog.append",
        () => logs.insertMany(documents.map((document) => ({ ...document })), { ordered: false })
      )
    })

  const page = (operation: string, filter: Filter<Stored>, cursor: string | null, limit: number) =>
    Effect.gen(function*() {
      const after = decodeCursor(cursor)
      const size = Math.max(1, Math.floor(limit))
      const documents = yield* attempt(
        operation,
        () =>
          logs.find(after === undefined ? filter : { ...filter, _id: { $gt: after } }).sort({ _id: 1 }).limit(size + 1)
            .toArray()
      )
      const items = yield* decodeDocuments(documents).pipe(
        Effect.map((decoded) => decoded.map(fromDocument)),
        Effect.mapError((cause) => new PersistenceError({ operation: `${operation}: decode`, cause }))
      )
      const kept = items.slice(0, size)
      const last = kept[kept.length - 1]
      return { items: kept, next_cursor: items.length > size && last !== undefined ? encodeCursor(last.id) : null }
    })

  return CollectionLog.of({
    append,
    listForTask: (taskId, cursor, limit) => page("CollectionLog.listForTask", { task_id: taskId }, cursor, limit),
    listForOwner: (owner, cursor, limit) => page("CollectionLog.listForOwner", { owner }, cursor, limit),
    lastSummary: (source, failedOnly) =>
      Effect.gen(function*() {
        const filter: Filter<Stored> = failedOnly
          ? { source, kind: "summary", error: { $nin: [null, interrupted] } }
          : { source, kind: "summary", error: { $ne: interrupted } }
        const documents = yield* attempt(
          "CollectionLog.lastSummary",
          () => logs.find(filter).sort({ _id: -1 }).limit(1).toArray()
        )
        const decoded = yield* decodeDocuments(documents).pipe(
          Effect.mapError((cause) => new PersistenceError({ operation: "CollectionLog.lastSummary: decode", cause }))
        )
        return Option.flatMap(
          Option.fromNullable(decoded[0]),
          (document) => {
            const entry = fromDocument(document)
            return entry.kind === "summary" ? Option.some(entry) : Option.none()
          }
        )
      })
  })
})

/** The log on the database of `MongoDatabase`; creates its indexes (idempotently) when built. */
export const layer = Layer.effect(CollectionLog, make)
