/** Each TestStores helper gives a working store of its own and removes it when its scope closes. */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Redis } from "ioredis"
import { MongoBulkWriteError, MongoClient } from "mongodb"
import postgres from "postgres"
import {
  databaseUrl,
  freshDatabase,
  freshMongoDatabase,
  freshRedisPrefix,
  redisUrl,
  templateDatabase,
  testStoreCreatedAt,
  testStoreName,
  withDatabase
} from "../src/TestStores.js"

const promise = <A>(evaluate: () => PromiseLike<A>) => Effect.promise(() => Promise.resolve(evaluate()))

const sqlClient = (url: string) =>
  Effect.acquireRelease(
    Effect.sync(() => postgres(url, { max: 1, onnotice: () => undefined })),
    (sql) => Effect.promise(() => sql.end({ timeout: 5 }))
  )

const mongoClient = (url: string) =>
  Effect.acquireRelease(
    promise(() => new MongoClient(url, { serverSelectionTimeoutMS: 10_000 }).connect()),
    (client) => Effect.promise(() => client.close())
  )

const redisClient = Effect.flatMap(redisUrl, (url) =>
  Effect.acquireRelease(
    Effect.sync(() => new Redis(url, { maxRetriesPerRequest: 3 })),
    (redis) => Effect.sync(() => redis.disconnect())
  ))

const databaseExists = (name: string) =>
  Effect.scoped(Effect.gen(function*() {
    const sql = yield* sqlClient(withDatabase(yield* databaseUrl, "postgres"))
    const rows = yield* promise(() => sql`SELECT 1 FROM pg_database WHERE datname = ${name}`)
    return rows.length > 0
  }))

const databaseName = (url: string) => new URL(url).pathname.slice(1)

describe("TestStores", () => {
  it("names test databases with their creation time", () => {
    const name = testStoreName(1_700_000_000_000)
    expect(name).toMatch(/^mirage_t_[0-9a-f]+_[0-9a-f]{12}$/)
    expect(testStoreCreatedAt(name)).toBe(1_700_000_000_000)
    expect(testStoreCreatedAt("mirage_test_template")).toBeUndefined()
    expect(withDatabase("mongodb://a:1,b:2/mirage?replicaSet=rs", "x")).toBe("mongodb://a:1,b:2/x?replicaSet=rs")
    expect(withDatabase("postgres://u:p@h:5432", "x")).toBe("postgres://u:p@h:5432/x")
  })

  it.scoped("freshDatabase gives a migrated database of its own and drops it afterwards", () =>
    Effect.gen(function*() {
      const [first, second] = yield* Effect.scoped(Effect.gen(function*() {
        const [first, second] = yield* Effect.all([freshDatabase, freshDatabase], { concurrency: "unbounded" })
        expect(first).not.toBe(second)
        const a = yield* sqlClient(first)
        const b = yield* sqlClient(second)
        const migrations = yield* promise(() => a`SELECT name FROM schema_migrations ORDER BY name`)
        expect(migrations.map((row) => row["name"])).toContain("0001_init.sql")
        yield* promise(() => a`INSERT INTO organizations (id, name) VALUES (gen_random_uuid(), 'only in a')`)
        expect((yield* promise(() => a`SELECT name FROM organizations`)).length).toBe(1)
        expect((yield* promise(() => b`SELECT name FROM organizations`)).length).toBe(0)
        return [first, second] as const
      }))
      expect(yield* databaseExists(databaseName(first))).toBe(false)
      expect(yield* databaseExists(databaseName(second))).toBe(false)
    }))

  it.scoped("freshDatabase copes with many clones of the template at once", () =>
    Effect.gen(function*() {
      const urls = yield* Effect.all(Array.from({ length: 6 }, () => freshDatabase), { concurrency: "unbounded" })
      expect(new Set(urls).size).toBe(6)
    }))

  it.scoped("freshDatabase waits while someone is connected to the template", () =>
    Effect.gen(function*() {
      const holder = yield* sqlClient(withDatabase(yield* databaseUrl, templateDatabase))
      yield* promise(() => holder`SELECT 1`)
      // Lets go of the template after 300 ms of real time (the test runs under TestClock).
      yield* Effect.fork(promise(() => new Promise((resolve) => setTimeout(resolve, 300)).then(() => holder.end())))
      const url = yield* freshDatabase
      expect(yield* databaseExists(databaseName(url))).toBe(true)
    }))

  it.scoped("freshMongoDatabase gives a database of its own, with duplicate keys refused, dropped afterwards", () =>
    Effect.gen(function*() {
      const { first, second } = yield* Effect.scoped(Effect.gen(function*() {
        const first = yield* freshMongoDatabase
        const second = yield* freshMongoDatabase
        expect(first.dbName).not.toBe(second.dbName)
        const client = yield* mongoClient(first.url)
        // The URL names the database.
        const results = client.db().collection("results")
        expect(client.db().databaseName).toBe(first.dbName)
        yield* promise(() => results.createIndex({ scan_id: 1, hash: 1 }, { unique: true }))
        yield* promise(() => results.insertOne({ scan_id: "s", hash: "h0" }))
        // ordered: false goes on past duplicates and reports each one (code 11000).
        const batch = ["h1", "h0", "h2", "h2"].map((hash) => ({ scan_id: "s", hash }))
        const error = yield* promise(() =>
          results.insertMany(batch, { ordered: false }).then(() => undefined, (error: unknown) => error)
        )
        expect(error).toBeInstanceOf(MongoBulkWriteError)
        const bulk = error as MongoBulkWriteError
        expect(bulk.code).toBe(11000)
        expect(bulk.insertedCount).toBe(2)
        const writeErrors = Array.isArray(bulk.writeErrors) ? bulk.writeErrors : [bulk.writeErrors]
        expect(writeErrors.map((writeError) => [writeError.index, writeError.code])).toEqual([[1, 11000], [3, 11000]])
        expect(yield* promise(() => results.countDocuments())).toBe(3)
        expect(yield* promise(() => client.db(second.dbName).collection("results").countDocuments())).toBe(0)
        return { first, second }
      }))
      const client = yield* mongoClient(first.url)
      const { databases } = yield* promise(() => client.db().admin().listDatabases({ nameOnly: true }))
      const names = databases.map((database) => database.name)
      expect(names).not.toContain(first.dbName)
      expect(names).not.toContain(second.dbName)
    }))

  it.scoped("freshRedisPrefix gives a prefix of its own and deletes its keys afterwards", () =>
    Effect.gen(function*() {
      const redis = yield* redisClient
      const other = yield* freshRedisPrefix
      const prefix = yield* Effect.scoped(Effect.gen(function*() {
        const prefix = yield* freshRedisPrefix
        expect(prefix).toMatch(/^t[0-9a-f]+:$/)
        expect(prefix).not.toBe(other)
        const keys = Array.from({ length: 2500 }, (_, i) => `${prefix}{tag}:${i}`)
        yield* promise(() => redis.mset(...keys.flatMap((key) => [key, "1"])))
        yield* promise(() => redis.set(`${other}kept`, "1"))
        expect(yield* promise(() => redis.exists(...keys))).toBe(2500)
        return prefix
      }))
      expect(yield* promise(() => redis.keys(`${prefix}*`))).toEqual([])
      expect(yield* promise(() => redis.get(`${other}kept`))).toBe("1")
    }))
})
