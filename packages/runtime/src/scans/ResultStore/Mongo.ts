/**
 * The result store on MongoDB (or FerretDB): collection `results`, unique on `_id` (which is `resultIdFor(owner,
 * hash)`), so storing a result twice is a duplicate-key error that counts as "already stored". Pages are read from
 * the read copy in PostgreSQL (ResultStore/ReadCopy), keyset on (owner, id), written beside every insert.
 */
import { CollectionResult } from "@mirage/domain/CollectionTask"
import { EntityType } from "@mirage/domain/Entity"
import { ModuleId, ResultId, ScanId, TaskId } from "@mirage/domain/Ids"
import { DateTime, Effect, Either, Layer, ParseResult, Schema } from "effect"
import { MongoBulkWriteError } from "mongodb"
import type { Collection, Db } from "mongodb"
import { PersistenceError } from "../../platform/Errors.js"
import { MongoDatabase } from "../../platform/MongoDatabase.js"
import { PgClient } from "../../platform/PgClient.js"
import * as Tracing from "../../platform/Tracing.js"
import { decodeCursor, encodeCursor, misidentified, pageFrom, ResultStore } from "../ResultStore.js"
import type { ResultQuery, ResultStoreService } from "../ResultStore.js"
import * as ReadCopy from "./ReadCopy.js"

export const collectionName = "results"

const duplicateKey = 11000

/** What the driver is told of the documents: string ids; everything else is decoded with `ResultDocument`. */
interface Stored {
  readonly _id: string
  readonly [field: string]: unknown
}

/** The key under which a free-form record that cannot be stored as is keeps its JSON text. */
const jsonKey = "%json"

/**
 * Whether a value can be stored as a document as it is, on MongoDB and on FerretDB alike. FerretDB refuses keys with
 * "." or a leading "$", arrays directly inside arrays, NaN and infinities (NaN even drops the connection), and on its
 * PostgreSQL backend NUL characters; only plain JSON values are considered.
 */
const storable = (value: unknown, inArray = false): boolean => {
  if (value === null || typeof value === "boolean") return true
  if (typeof value === "string") return !value.includes("\u0000")
  if (typeof value === "number") return Number.isFinite(value)
  if (Array.isArray(value)) return !inArray && value.every((item) => storable(item, true))
  if (typeof value !== "object") return false
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return false
  return Object.entries(value).every(([key, item]) =>
    !key.includes(".") && !key.startsWith("$") && !key.includes("\u0000") && key !== jsonKey && storable(item)
  )
}

/**
 * A free-form record (`source_data`, `metadata`): a subdocument when the server can hold it as is, so operators can
 * query it, otherwise `{ "%json": <its JSON text> }`. A record with a "%json" key is never stored as is, so the two
 * forms cannot be confused.
 */
const FreeRecord = Schema.Record({ key: Schema.String, value: Schema.Unknown })

const StoredRecord = Schema.transformOrFail(Schema.Unknown, FreeRecord, {
  strict: true,
  decode: (stored, _, ast) => {
    if (typeof stored !== "object" || stored === null || !(jsonKey in stored)) {
      return ParseResult.decodeUnknown(FreeRecord)(stored)
    }
    const text: unknown = Object.getOwnPropertyDescriptor(stored, jsonKey)?.value
    return Either.try({
      try: (): unknown => JSON.parse(typeof text === "string" ? text : ""),
      catch: () => new ParseResult.Type(ast, stored, "not a JSON record")
    }).pipe(Effect.flatMap(ParseResult.decodeUnknown(FreeRecord)))
  },
  encode: (record, _, ast) =>
    storable(record)
      ? ParseResult.succeed(record)
      : Either.try({
        try: () => ({ [jsonKey]: JSON.stringify(record) }),
        catch: () => new ParseResult.Type(ast, record, "not representable as JSON")
      })
})

/** A document of `results`. */
export const ResultDocument = Schema.Struct({
  _id: ResultId,
  owner: Schema.String,
  scan_id: Schema.NullOr(ScanId),
  task_id: TaskId,
  module_id: ModuleId,
  data_type: EntityType,
  data: Schema.String,
  source_data: StoredRecord,
  confidence: Schema.Number.pipe(Schema.between(0, 1)),
  collected_at: Schema.DateTimeUtcFromDate,
  metadata: StoredRecord,
  hash: Schema.String,
  parent: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })
})

/** The reference encoding, through the schema: what `encodeDocument` must agree with. */
export const encodeDocumentWithSchema = (owner: string, { id, ...fields }: CollectionResult): Stored =>
  Schema.encodeSync(ResultDocument)({ _id: id, owner, ...fields })

const storedRecord = (record: Readonly<Record<string, unknown>>): Record<string, unknown> =>
  storable(record) ? record : { [jsonKey]: JSON.stringify(record) }

/**
 * `ResultDocument` encoded without the schema: results are checked when they are made, and every result of a scan
 * goes through here. The test suite checks that both encodings agree. Throws when a free-form record is not JSON.
 */
export const encodeDocument = (owner: string, result: CollectionResult): Stored => ({
  _id: result.id,
  owner,
  scan_id: result.scan_id,
  task_id: result.task_id,
  module_id: result.module_id,
  data_type: result.data_type,
  data: result.data,
  source_data: storedRecord(result.source_data),
  confidence: result.confidence,
  collected_at: DateTime.toDateUtc(result.collected_at),
  metadata: storedRecord(result.metadata),
  hash: result.hash,
  parent: result.parent
})

const decodeDocument = Schema.decodeUnknownEither(ResultDocument)

const fromDocument = ({ _id, owner, ...fields }: typeof ResultDocument.Type) => ({
  owner,
  result: CollectionResult.make({ id: _id, ...fields })
})

/** Documents copied per statement while the read copy is filled from what MongoDB holds. */
const backfillBatch = 2000

/**
 * Fills the read copy with the results stored before it existed, once per MongoDB database (recorded in
 * `results_read_backfills`; concurrent starts wait on an advisory lock). Documents that do not decode are left out
 * and counted.
 */
const backfill = (db: Db, results: Collection<Stored>) =>
  Effect.gen(function*() {
    const sql = yield* PgClient
    const skipped = yield* attempt("ResultStore: backfill the read copy", () =>
      sql.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(hashtext(${`mirage:results_read:${db.databaseName}`}))`
        const done = await tx`select 1 from results_read_backfills where mongo_database = ${db.databaseName}`
        if (done.length > 0) return 0
        let skipped = 0
        let batch: Array<ReturnType<typeof fromDocument>> = []
        const flush = () =>
          Effect.runPromise(
            ReadCopy.insertWith(tx, batch.map(({ owner, result }) => ({ owner, results: [result] })))
          ).then(() => {
            batch = []
          })
        for await (const document of results.find({}).batchSize(backfillBatch)) {
          const decoded = decodeDocument(document)
          if (Either.isLeft(decoded)) skipped++
          else batch.push(fromDocument(decoded.right))
          if (batch.length >= backfillBatch) await flush()
        }
        await flush()
        await tx`insert into results_read_backfills (mongo_database) values (${db.databaseName})`
        return skipped
      }))
    if (skipped > 0) yield* Effect.logWarning(`${skipped} stored results could not be copied to the read copy`)
  })

const attempt = <A>(operation: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new PersistenceError({ operation, cause }) })

/** Documents the server did not store: all duplicates means all the others are stored. */
const onlyDuplicates = (error: MongoBulkWriteError): boolean => {
  const errors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors]
  return error.err === undefined && errors.length > 0 && errors.every((e) => e.code === duplicateKey)
}

export const make = Effect.gen(function*() {
  const db = yield* MongoDatabase
  const copy = yield* ReadCopy.make
  const results = db.collection<Stored>(collectionName)
  yield* backfill(db, results)
  // Unique by `_id` alone: ids are `resultIdFor(owner, hash)` (checked on insert), so a unique (owner, hash) index
  // would only double the cost of every insert. Pages of an owner read (owner, _id).
  yield* attempt(
    "ResultStore: create index owner_id",
    () => results.createIndex({ owner: 1, _id: 1 }, { name: "owner_id" })
  )

  const insertAll: ResultStoreService["insertAll"] = (batches) => {
    const size = batches.reduce((n, batch) => n + batch.results.length, 0)
    return size === 0 ? Effect.succeed(0) : Effect.gen(function*() {
      const refused = misidentified(batches)
      if (refused !== undefined) return yield* Effect.fail(refused)
      const documents = yield* Effect.try({
        try: () => batches.flatMap((batch) => batch.results.map((item) => encodeDocument(batch.owner, item))),
        catch: (cause) => new PersistenceError({ operation: "ResultStore.insert: encode", cause })
      })
      const stored = Effect.tryPromise({
        try: () => results.insertMany(documents, { ordered: false }),
        catch: (cause) => cause
      }).pipe(
        Effect.map((result) => result.insertedCount),
        Effect.catchAll((cause) =>
          cause instanceof MongoBulkWriteError && onlyDuplicates(cause)
            ? Effect.succeed(cause.insertedCount)
            : Effect.fail(new PersistenceError({ operation: "ResultStore.insert", cause }))
        )
      )
      // Both writes are idempotent by id: after a failure of either, the caller's retry completes the other.
      const [inserted] = yield* Effect.all([stored, copy.insert(batches)], { concurrency: 2 })
      return inserted
    }).pipe(Tracing.whenTraced("ResultStore.insert", () => ({
      captureStackTrace: false,
      attributes: { owners: batches.length, results: size }
    })))
  }

  const insert: ResultStoreService["insert"] = (owner, items) => insertAll([{ owner, results: items }])

  const list: ResultStoreService["list"] = Effect.fnUntraced(function*(query: ResultQuery) {
    const after = query.cursor === undefined ? undefined : yield* decodeCursor(query.cursor)
    const limit = Math.max(1, Math.floor(query.limit))
    return pageFrom(yield* copy.page(query, after, limit), limit, (result) => result.id)
  })

  const listJson: ResultStoreService["listJson"] = Effect.fnUntraced(function*(query: ResultQuery) {
    const after = query.cursor === undefined ? undefined : yield* decodeCursor(query.cursor)
    const page = yield* copy.pageJson(query, after, Math.max(1, Math.floor(query.limit)))
    return { items: page.items, next_cursor: page.next === null ? null : encodeCursor(page.next) }
  })

  // The copy goes last: until it has, pages still show what a retried purge will remove.
  const purge: ResultStoreService["purge"] = (owner) =>
    attempt("ResultStore.purge", () => results.deleteMany({ owner })).pipe(Effect.zipRight(copy.purge(owner)))

  return ResultStore.of({ insert, insertAll, list, listJson, count: copy.count, purge })
})

/** The result store on the database of `MongoDatabase`; creates its indexes (idempotently) when built. */
export const layer = Layer.effect(ResultStore, make)
