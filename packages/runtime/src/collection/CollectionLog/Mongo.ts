/**
 * The collection log on MongoDB (or FerretDB): collection `collection_logs`, one document per entry,
 * `_id` sorting by time so pages are keyset on `_id`. Indexed on {owner, task_id, at} and for the
 * two listings. Beside it, `collection_source_latest` keeps each source's latest summary and latest failed one
 * (two small documents per source, replaced on append only by a later summary), so `/sources` reads one short
 * collection instead of searching the whole log once per source.
 */
import { Effect, Layer, Schema } from "effect"
import type { Filter } from "mongodb"
import { MongoServerError } from "mongodb"
import { attempt, PersistenceError } from "../../platform/Errors.js"
import { MongoDatabase } from "../../platform/MongoDatabase.js"
import { bySourceOf, CollectionLog, decodeCursor, encodeCursor, fieldsOf, latestOf } from "../CollectionLog.js"
import type { CollectionLogEntry, CollectionLogService, LatestRole } from "../CollectionLog.js"

export const collectionName = "collection_logs"
export const latestCollectionName = "collection_source_latest"

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

/** `_id` is `<role>:<source>`; `entry_id` orders replacements, so an earlier summary never overwrites a later one. */
interface LatestStored {
  readonly _id: string
  readonly role: LatestRole
  readonly entry_id: string
  readonly summary: typeof SummaryDocument.Encoded
}
const LatestDocument = Schema.Struct({ role: Schema.Literal("last", "error"), summary: SummaryDocument })
const decodeLatest = Schema.decodeUnknown(Schema.Array(LatestDocument))
const encodeSummary = Schema.encode(SummaryDocument)

/** A replacement whose guard did not match (a later summary is stored) tries to insert the same `_id`: no harm. */
const laterStored = (cause: unknown) => cause instanceof MongoServerError && cause.code === 11000

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

export const make = Effect.gen(function*() {
  const db = yield* MongoDatabase
  const logs = db.collection<Stored>(collectionName)
  const latest = db.collection<LatestStored>(latestCollectionName)
  // One at a time: FerretDB 1.24 drops the connection when a batch of indexes that already exist is created again.
  yield* Effect.forEach(
    [
      { key: { owner: 1, task_id: 1, at: 1 }, name: "owner_task_at" },
      { key: { task_id: 1, _id: 1 }, name: "task_id" },
      { key: { owner: 1, _id: 1 }, name: "owner_id" }
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
      yield* keepLatest(entries)
    })

  // One replacement per source and role (a task's append carries one summary); concurrent, not one bulk write,
  // since FerretDB ends an unordered bulk write at its first duplicate key.
  const keepLatest = (entries: ReadonlyArray<CollectionLogEntry>) =>
    Effect.forEach(latestOf(entries), ({ entry, role }) =>
      Effect.gen(function*() {
        const summary = yield* encodeSummary({ ...entry, _id: entry.id, at: new Date(entry.at) }).pipe(
          Effect.mapError((cause) => new PersistenceError({ operation: "CollectionLog.append: encode latest", cause }))
        )
        const _id = `${role}:${entry.source}`
        yield* Effect.tryPromise({
          try: () =>
            latest.replaceOne({ _id, entry_id: { $lt: entry.id } }, { role, entry_id: entry.id, summary }, {
              upsert: true
            }),
          catch: (cause) => cause
        }).pipe(
          Effect.catchIf(laterStored, () => Effect.void),
          Effect.mapError((cause) => new PersistenceError({ operation: "CollectionLog.append: latest", cause }))
        )
      }), { concurrency: "unbounded", discard: true })

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
    latestBySource: Effect.gen(function*() {
      const documents = yield* attempt("CollectionLog.latestBySource", () => latest.find({}).toArray())
      const decoded = yield* decodeLatest(documents).pipe(
        Effect.mapError((cause) => new PersistenceError({ operation: "CollectionLog.latestBySource: decode", cause }))
      )
      return bySourceOf(decoded.flatMap(({ role, summary }) => {
        const entry = fromDocument(summary)
        return entry.kind === "summary" ? [{ role, entry }] : []
      }))
    })
  })
})

/** The log on the database of `MongoDatabase`; creates its indexes (idempotently) when built. */
export const layer = Layer.effect(CollectionLog, make)
