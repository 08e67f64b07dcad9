/** The result store's contract, run against MongoDB (FerretDB here, a fresh database per test) and the in-memory twin. */
import { describe, expect, it } from "@effect/vitest"
import { CollectionResult } from "@mirage/domain/CollectionTask"
import type { EntityType } from "@mirage/domain/Entity"
import { ModuleId, resultIdFor, ScanId, TaskId } from "@mirage/domain/Ids"
import { TestStores } from "@mirage/testkit"
import { DateTime, Effect, Layer, Redacted, Schema } from "effect"
import type { Scope } from "effect"
import { PersistenceError } from "../../src/platform/Errors.js"
import * as MongoDatabase from "../../src/platform/MongoDatabase.js"
import * as PgClient from "../../src/platform/PgClient.js"
import type { ResultPage, ResultQuery, ResultStoreService } from "../../src/scans/ResultStore.js"
import { ResultStore } from "../../src/scans/ResultStore.js"
import * as ResultStoreMemory from "../../src/scans/ResultStore/Memory.js"
import * as ResultStoreMongo from "../../src/scans/ResultStore/Mongo.js"
import * as ResultWriter from "../../src/scans/ResultWriter.js"

/** A fresh MongoDB database and a fresh Postgres database (the read copy's). */
const stores = Effect.gen(function*() {
  const { url } = yield* TestStores.freshMongoDatabase
  const db = yield* MongoDatabase.make(Redacted.make(url))
  const sql = yield* PgClient.make({ url: Redacted.make(yield* TestStores.freshDatabase), max: 4 })
  return { db, sql }
})

const mongoHarness: Effect.Effect<ResultStoreService, never, Scope.Scope> = Effect.gen(function*() {
  const { db, sql } = yield* stores
  return yield* ResultStoreMongo.make.pipe(
    Effect.provideService(MongoDatabase.MongoDatabase, db),
    Effect.provideService(PgClient.PgClient, sql)
  )
}).pipe(Effect.orDie)

const memoryHarness: Effect.Effect<ResultStoreService> = Effect.sync(() =>
  ResultStoreMemory.make(ResultStoreMemory.makeStore())
)

const scanId = ScanId.make("33333333-3333-4333-8333-333333333333")
const otherScan = ScanId.make("44444444-4444-4444-8444-444444444444")
const taskA = TaskId.make("55555555-5555-4555-8555-555555555555")
const taskB = TaskId.make("66666666-6666-4666-8666-666666666666")

const result = (
  owner: string,
  n: number,
  options: {
    type?: EntityType
    module?: string
    task?: TaskId
    confidence?: number
    source_data?: Record<string, unknown>
    parent?: string | null
  } = {}
) => {
  const hash = `hash-${n}`
  return CollectionResult.make({
    id: resultIdFor(owner, hash),
    task_id: options.task ?? taskA,
    scan_id: ScanId.make(owner),
    module_id: ModuleId.make(options.module ?? "dns_resolve"),
    data_type: options.type ?? "IP",
    data: `192.0.2.${n}`,
    source_data: options.source_data ?? { record: "A", ttl: 300 },
    confidence: options.confidence ?? 1,
    collected_at: DateTime.unsafeMake(1_700_000_000_000 + n),
    metadata: { resolver: "127.0.0.1" },
    hash,
    parent: options.parent === undefined ? "hash-0" : options.parent
  })
}

const wire = (items: ReadonlyArray<CollectionResult>) => items.map((item) => Schema.encodeSync(CollectionResult)(item))

const byId = (a: CollectionResult, b: CollectionResult) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** Every page of a query, following the cursors. */
const allPages = (store: ResultStoreService, query: ResultQuery) =>
  Effect.gen(function*() {
    const pages: Array<ReadonlyArray<CollectionResult>> = []
    let cursor: string | undefined = undefined
    do {
      const page: ResultPage = yield* store.list(cursor === undefined ? query : { ...query, cursor })
      pages.push(page.items)
      cursor = page.next_cursor ?? undefined
    } while (cursor !== undefined && pages.length < 100)
    return pages
  })

const suite = (name: string, harness: Effect.Effect<ResultStoreService, never, Scope.Scope>) =>
  describe(name, () => {
    it.scoped("stores each (owner, hash) once and counts only what is new", () =>
      Effect.gen(function*() {
        const store = yield* harness
        expect(yield* store.insert(scanId, [])).toBe(0)
        // A duplicate within the batch.
        expect(yield* store.insert(scanId, [result(scanId, 1), result(scanId, 2), result(scanId, 1)])).toBe(2)
        // Duplicates of stored ones across batches.
        expect(
          yield* store.insert(scanId, [result(scanId, 2), result(scanId, 3), result(scanId, 1), result(scanId, 4)])
        )
          .toBe(2)
        expect(yield* store.insert(scanId, [result(scanId, 4), result(scanId, 3)])).toBe(0)
        expect(yield* store.count(scanId)).toBe(4)
        // Another owner has hashes of its own.
        expect(yield* store.insert(otherScan, [result(otherScan, 1)])).toBe(1)
        expect(yield* store.count(otherScan)).toBe(1)
        expect(yield* store.count(scanId)).toBe(4)
      }))

    it.scoped("purges one owner's results from every page and count, and leaves the others'", () =>
      Effect.gen(function*() {
        const store = yield* harness
        yield* store.insert(scanId, [result(scanId, 1), result(scanId, 2)])
        yield* store.insert(otherScan, [result(otherScan, 1)])
        yield* store.purge(scanId)
        yield* store.purge(scanId)
        expect(yield* store.count(scanId)).toBe(0)
        expect((yield* store.list({ owner: scanId, limit: 10 })).items).toEqual([])
        expect(yield* store.count(otherScan)).toBe(1)
        // Stored again after a purge, a result counts as new.
        expect(yield* store.insert(scanId, [result(scanId, 1)])).toBe(1)
      }))

    it.scoped("keeps what each result was discovered from", () =>
      Effect.gen(function*() {
        const store = yield* harness
        yield* store.insert(scanId, [
          result(scanId, 1),
          result(scanId, 2, { parent: "hash-1" }),
          result(scanId, 3, { parent: null })
        ])
        const [page] = yield* allPages(store, { owner: scanId, limit: 10 })
        const parents = new Map(page!.map((r) => [r.hash, r.parent]))
        expect(parents).toEqual(new Map([["hash-1", "hash-0"], ["hash-2", "hash-1"], ["hash-3", null]]))
      }))

    it.scoped("refuses a result whose id is not the one its owner and hash give, storing none of its batch", () =>
      Effect.gen(function*() {
        const store = yield* harness
        const stray = new CollectionResult({ ...result(scanId, 2), id: resultIdFor(otherScan, "hash-2") }, true)
        const error = yield* Effect.flip(store.insertAll([
          { owner: otherScan, results: [result(otherScan, 1)] },
          { owner: scanId, results: [result(scanId, 1), stray] }
        ]))
        expect(error).toBeInstanceOf(PersistenceError)
        expect(String(error.cause)).toContain("is not resultIdFor(owner, hash)")
        expect(yield* store.count(scanId)).toBe(0)
        expect(yield* store.count(otherScan)).toBe(0)
      }))

    it.scoped("pages in id order, completely, without repeating across inserts", () =>
      Effect.gen(function*() {
        const store = yield* harness
        const first = Array.from({ length: 25 }, (_, i) => result(scanId, i))
        expect(yield* store.insert(scanId, first)).toBe(25)
        yield* store.insert(otherScan, [result(otherScan, 1)])
        const pages = yield* allPages(store, { owner: scanId, limit: 10 })
        expect(pages.map((page) => page.length)).toEqual([10, 10, 5])
        expect(wire(pages.flat())).toEqual(wire([...first].sort(byId)))
        // A page boundary stays where it was when results arrive in the meantime: what sorts before the cursor is
        // not seen by this listing, what sorts after it is, and nothing comes twice.
        const page1 = yield* store.list({ owner: scanId, limit: 10 })
        const later = Array.from({ length: 10 }, (_, i) => result(scanId, 100 + i))
        yield* store.insert(scanId, later)
        const rest = yield* allPages(store, { owner: scanId, limit: 10, cursor: page1.next_cursor! })
        const seen = [...page1.items, ...rest.flat()]
        const boundary = page1.items[page1.items.length - 1]!.id
        expect(wire(seen)).toEqual(
          wire([...page1.items, ...[...first, ...later].filter((r) => r.id > boundary).sort(byId)])
        )
        expect(new Set(seen.map((r) => r.id)).size).toBe(seen.length)
        // An exact multiple of the page size ends with a null cursor.
        const exact = yield* store.list({ owner: otherScan, limit: 1 })
        expect(exact.items.length).toBe(1)
        expect(exact.next_cursor).toBeNull()
      }))

    it.scoped("filters by type, module, task and confidence", () =>
      Effect.gen(function*() {
        const store = yield* harness
        const items = [
          result(scanId, 1, { type: "IP", module: "dns_resolve", task: taskA, confidence: 0.9 }),
          result(scanId, 2, { type: "DOMAIN", module: "crtsh", task: taskB, confidence: 0.5 }),
          result(scanId, 3, { type: "DOMAIN", module: "crtsh", task: taskB, confidence: 0.7 }),
          result(scanId, 4, { type: "IP", module: "crtsh", task: taskB, confidence: 0.2 }),
          result(scanId, 5, { type: "IP", module: "dns_resolve", task: taskA, confidence: 1 })
        ]
        yield* store.insert(scanId, items)
        const ids = (query: Omit<ResultQuery, "owner" | "limit">) =>
          Effect.map(
            allPages(store, { owner: scanId, limit: 2, ...query }),
            (pages) => pages.flat().map((r) => r.data).sort()
          )
        expect(yield* ids({ data_type: "DOMAIN" })).toEqual(["192.0.2.2", "192.0.2.3"])
        expect(yield* ids({ module_id: "crtsh" })).toEqual(["192.0.2.2", "192.0.2.3", "192.0.2.4"])
        expect(yield* ids({ task_id: taskA })).toEqual(["192.0.2.1", "192.0.2.5"])
        expect(yield* ids({ min_confidence: 0.7 })).toEqual(["192.0.2.1", "192.0.2.3", "192.0.2.5"])
        expect(yield* ids({ data_type: "IP", module_id: "crtsh" })).toEqual(["192.0.2.4"])
        expect(yield* ids({ data_type: "IP", min_confidence: 0.95, task_id: taskA })).toEqual(["192.0.2.5"])
        expect(yield* ids({ data_type: "EMAIL" })).toEqual([])
      }))

    it.scoped("gives back what it stored, free-form records included", () =>
      Effect.gen(function*() {
        const store = yield* harness
        const awkward = [
          result(scanId, 1, { source_data: { "whois.server": "whois.example", $ref: 1, nested: { "a.b": [1, 2] } } }),
          result(scanId, 2, { source_data: { matrix: [[1, 2], [3, 4]], text: "nul\u0000byte" } }),
          result(scanId, 3, { source_data: { "%json": "not what it seems" } }),
          result(scanId, 4, { source_data: { plain: { deep: [{ x: null, y: true, z: "é😀" }] } } })
        ]
        expect(yield* store.insert(scanId, awkward)).toBe(4)
        const page = yield* store.list({ owner: scanId, limit: 10 })
        expect(wire(page.items)).toEqual(wire([...awkward].sort(byId)))
      }))

    it.scoped("gives each page as JSON text: what the schema encoding of `list`'s page gives, cursors included", () =>
      Effect.gen(function*() {
        const store = yield* harness
        const stored = [
          result(scanId, 1),
          result(scanId, 2, { type: "DOMAIN", module: "crtsh", task: taskB, confidence: 0.25, parent: null }),
          result(scanId, 3, { source_data: { "whois.server": "whois.example", $ref: 1, nested: { "a.b": [1, 2] } } }),
          result(scanId, 4, { source_data: { matrix: [[1, 2], [3, 4]], text: "nul\u0000byte" } }),
          result(scanId, 5, { source_data: { "%json": "not what it seems" } }),
          result(scanId, 6, { source_data: { plain: { deep: [{ x: null, y: true, z: "é😀" }] }, n: Number.NaN } })
        ]
        yield* store.insert(scanId, stored)
        for (const filter of [{}, { data_type: "IP" as const }, { module_id: "crtsh" }, { min_confidence: 0.5 }]) {
          let cursor: string | undefined = undefined
          do {
            const query: ResultQuery = {
              owner: scanId,
              limit: 2,
              ...filter,
              ...(cursor === undefined ? {} : { cursor })
            }
            const decoded: ResultPage = yield* store.list(query)
            const text = yield* store.listJson(query)
            expect(text.next_cursor).toBe(decoded.next_cursor)
            expect(text.items.map((item) => JSON.parse(new TextDecoder().decode(item)))).toStrictEqual(
              JSON.parse(JSON.stringify(wire(decoded.items)))
            )
            cursor = decoded.next_cursor ?? undefined
          } while (cursor !== undefined)
        }
      }))

    it.scoped("refuses a cursor it did not make", () =>
      Effect.gen(function*() {
        const store = yield* harness
        const error = yield* Effect.flip(store.list({ owner: scanId, limit: 10, cursor: "bm90LWFuLWlk" }))
        expect(error).toBeInstanceOf(PersistenceError)
      }))
  })

describe("ResultStore", () => {
  suite("Mongo", mongoHarness)
  suite("Memory", memoryHarness)

  it("encodes documents as the schema does, free-form records included", () => {
    const samples = [
      result(scanId, 1),
      result(scanId, 2, { type: "DOMAIN", module: "crtsh", task: taskB, confidence: 0.25 }),
      result(scanId, 3, { source_data: { "whois.server": "whois.example", $ref: 1, nested: { "a.b": [1, 2] } } }),
      result(scanId, 4, { source_data: { matrix: [[1, 2], [3, 4]], text: "nul\u0000byte" } }),
      result(scanId, 5, { source_data: { "%json": "not what it seems" } }),
      result(scanId, 6, { source_data: { plain: { deep: [{ x: null, y: true, z: "é😀" }] }, n: Number.NaN } }),
      new CollectionResult({ ...result(otherScan, 7), scan_id: null }, true),
      result(scanId, 8, { parent: null })
    ]
    for (const sample of samples) {
      expect(ResultStoreMongo.encodeDocument("owner-1", sample)).toEqual(
        ResultStoreMongo.encodeDocumentWithSchema("owner-1", sample)
      )
    }
  })
})

describe("ResultStore on MongoDB", () => {
  it.scoped("copies what was stored before the read copy existed, once; a document without parent reads back with none", () =>
    Effect.gen(function*() {
      const { db, sql } = yield* stores
      const open = ResultStoreMongo.make.pipe(
        Effect.provideService(MongoDatabase.MongoDatabase, db),
        Effect.provideService(PgClient.PgClient, sql)
      )
      const { parent: _, ...legacy } = ResultStoreMongo.encodeDocument(scanId, result(scanId, 1))
      const older = [2, 3].map((n) => ResultStoreMongo.encodeDocument(otherScan, result(otherScan, n)))
      yield* Effect.promise(() =>
        db.collection(ResultStoreMongo.collectionName).insertMany([legacy, ...older] as never)
      )
      const store = yield* open
      const [page] = yield* allPages(store, { owner: scanId, limit: 10 })
      expect(page!.map((r) => [r.hash, r.parent])).toEqual([["hash-1", null]])
      expect(yield* store.count(otherScan)).toBe(2)
      // Done once per database: a document put there behind the store's back later is not copied by a restart.
      const stray = ResultStoreMongo.encodeDocument(otherScan, result(otherScan, 4))
      yield* Effect.promise(() => db.collection(ResultStoreMongo.collectionName).insertOne(stray as never))
      expect(yield* (yield* open).count(otherScan)).toBe(2)
    }).pipe(Effect.orDie))
})

describe("ResultWriter", () => {
  it.scoped("batches results of many owners into one store call, each owner's results kept apart", () =>
    Effect.gen(function*() {
      const store = ResultStoreMemory.makeStore()
      const calls: Array<number> = []
      const base = ResultStoreMemory.make(store)
      const counting = Layer.succeed(ResultStore, {
        ...base,
        insertAll: (batches) =>
          Effect.sync(() => void calls.push(batches.length)).pipe(Effect.zipRight(base.insertAll(batches)))
      })
      const writer = yield* ResultWriter.make({ batch: 100, writers: 1 }).pipe(Effect.provide(counting))
      const owners = [1, 2, 3, 4].map((n) => `77777777-7777-4777-8777-00000000000${n}`)
      yield* Effect.forEach(owners, (owner) => writer.write(owner, [result(owner, 1), result(owner, 2)]), {
        concurrency: "unbounded"
      })
      expect(store.keys.size).toBe(8)
      // The first write goes alone; the three that queued meanwhile share one call.
      expect(calls.reduce((a, b) => a + b, 0)).toBe(4)
      expect(calls.length).toBeLessThan(4)
    }))

  it.scoped("fails a batch's store failure back to every writer in it, and writes the next batch", () =>
    Effect.gen(function*() {
      const store = ResultStoreMemory.makeStore()
      const writer = yield* ResultWriter.make({ batch: 100, writers: 1 }).pipe(
        Effect.provide(ResultStoreMemory.layer(store))
      )
      const owners = [1, 2, 3].map((n) => `77777777-7777-4777-8777-00000000010${n}`)
      store.outage = true
      const failed = yield* Effect.forEach(
        owners,
        (owner) => Effect.either(writer.write(owner, [result(owner, 1)])),
        { concurrency: "unbounded" }
      )
      expect(failed.map((outcome) => outcome._tag)).toEqual(["Left", "Left", "Left"])
      store.outage = false
      yield* writer.write(owners[0]!, [result(owners[0]!, 1)])
      expect(store.keys.size).toBe(1)
    }))
})
