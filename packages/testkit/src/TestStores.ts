/** Isolated stores for integration tests: a PostgreSQL database, a MongoDB database or a Redis key prefix of its own
 * for each test, removed when the test's scope closes, so that suites can run concurrently against shared servers. */
import * as PlatformSettings from "@mirage/runtime/platform/Settings"
import { Clock, Config, Data, Effect, Redacted, Schedule } from "effect"
import type { Scope } from "effect"
import { Redis } from "ioredis"
import { MongoClient } from "mongodb"
import { createHash, randomBytes } from "node:crypto"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import postgres from "postgres"
import { migrate } from "../../../infra/migrate.js"

/** What a test template is built from: the migrations' names and contents (infra/migrations). */
export const migrationsFingerprint = (): string => {
  const folder = fileURLToPath(new URL("../../../infra/migrations/", import.meta.url))
  const hash = createHash("sha256")
  for (const file of readdirSync(folder).filter((name) => name.endsWith(".sql")).sort()) {
    hash.update(file).update("\0").update(readFileSync(join(folder, file))).update("\0")
  }
  return hash.digest("hex")
}

/**
 * The database every test database is cloned from (created and migrated by infra/vitest.global-setup.ts). Named
 * after its migrations, so that runs of different migrations on one server never rebuild each other's template.
 */
export const templateDatabase = `mirage_test_template_${migrationsFingerprint().slice(0, 16)}`

/** Every test database (PostgreSQL and MongoDB) is named `mirage_t_<creation time, hex ms>_<random hex>`. */
export const testStorePrefix = "mirage_t_"

export class TestStoreError extends Data.TaggedError("TestStoreError")<{
  readonly message: string
  readonly cause: unknown
}> {}

/** The stores' URLs as the processes under test read them (their declarations), in the clear for test set-up. */
export const databaseUrl = Config.map(PlatformSettings.databaseUrl, Redacted.value)
export const mongoUrl = Config.map(PlatformSettings.mongoUrl, Redacted.value)
export const redisUrl = Config.map(PlatformSettings.redisUrl, Redacted.value)

/** A new unique test database name; its creation time lets a later run recognise it as a leftover. */
export const testStoreName = (now: number = Date.now()): string =>
  `${testStorePrefix}${now.toString(16)}_${randomBytes(6).toString("hex")}`

/** When a test database named by `testStoreName` was made (epoch ms); undefined for any other name. */
export const testStoreCreatedAt = (name: string): number | undefined => {
  const hex = /^mirage_t_([0-9a-f]{1,13})_[0-9a-f]+$/.exec(name)?.[1]
  return hex === undefined ? undefined : Number.parseInt(hex, 16)
}

/** The same connection URL naming another database (the path), query string kept; works for several hosts too. */
export const withDatabase = (url: string, database: string): string => {
  const match = /^([^:/?#]+:\/\/[^/?#]*)(?:\/[^?#]*)?(.*)$/.exec(url)
  return match === null ? url : `${match[1] ?? ""}/${database}${match[2] ?? ""}`
}

const attempt = <A>(message: string, evaluate: () => PromiseLike<A>) =>
  Effect.tryPromise({
    try: () => Promise.resolve(evaluate()),
    catch: (cause) => new TestStoreError({ message, cause })
  })

const sqlState = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : undefined

// A client of the maintenance database `postgres` of the server in DATABASE_URL.
const adminSql = Effect.flatMap(databaseUrl, (url) =>
  Effect.acquireRelease(
    Effect.sync(() => postgres(withDatabase(url, "postgres"), { max: 1, onnotice: () => undefined })),
    (sql) => Effect.promise(() => sql.end({ timeout: 5 }))
  ))

// CREATE DATABASE ... TEMPLATE waits up to 5 s for other sessions to leave the template, then fails (55006); it also
// fails while another run rebuilds the template (3D000). Both are retried a few more seconds.
const cloneRetry = Schedule.exponential("25 millis", 2).pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(8)))
const retriedStates = new Set(["55006", "3D000"])

const createDatabase = (name: string) =>
  Effect.scoped(Effect.gen(function*() {
    const sql = yield* adminSql
    yield* attempt(
      `CREATE DATABASE ${name} TEMPLATE ${templateDatabase}`,
      () => sql`CREATE DATABASE ${sql(name)} TEMPLATE ${sql(templateDatabase)}`
    ).pipe(Effect.retry({ schedule: cloneRetry, while: (error) => retriedStates.has(sqlState(error.cause) ?? "") }))
  }))

const dropDatabase = (name: string) =>
  Effect.scoped(Effect.gen(function*() {
    const sql = yield* adminSql
    yield* attempt(`DROP DATABASE ${name}`, () => sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`)
  }))

/** A new PostgreSQL database cloned from `mirage_test_template` (all migrations applied); gives its connection URL.
 * Dropped, connections included, when the scope closes. */
export const freshDatabase: Effect.Effect<string, never, Scope.Scope> = Effect.gen(function*() {
  const url = yield* databaseUrl
  const name = yield* Effect.acquireRelease(
    Effect.sync(() => testStoreName()).pipe(Effect.tap(createDatabase)),
    (name) => Effect.orDie(dropDatabase(name))
  )
  const fresh = withDatabase(url, name)
  // The template is shared by every checkout on this server and may have been built from other migrations: the ones
  // of this checkout that it lacks are applied (none, usually; each is applied once, by name).
  yield* attempt(`migrate ${name}`, () => migrate(fresh))
  return fresh
}).pipe(
  Effect.orDie,
  // Tests run under TestClock: the retries must wait in real time.
  Effect.withClock(Clock.make())
)

const mongoClient = (url: string) =>
  Effect.acquireRelease(
    attempt(`connect to MongoDB`, () => new MongoClient(url, { serverSelectionTimeoutMS: 10_000 }).connect()),
    (client) => Effect.promise(() => client.close())
  )

/** A new, unique MongoDB database: `url` names it (so `client.db()` is it) and `dbName` is its name. Dropped when the
 * scope closes. */
export const freshMongoDatabase: Effect.Effect<{ readonly url: string; readonly dbName: string }, never, Scope.Scope> =
  Effect.gen(function*() {
    const url = yield* mongoUrl
    const dbName = yield* Effect.acquireRelease(
      Effect.sync(() => testStoreName()),
      (dbName) =>
        Effect.scoped(Effect.gen(function*() {
          const client = yield* mongoClient(url)
          yield* attempt(`drop MongoDB database ${dbName}`, () => client.db(dbName).dropDatabase())
        })).pipe(Effect.orDie)
    )
    return { url: withDatabase(url, dbName), dbName }
  }).pipe(Effect.orDie)

const deleteKeys = (url: string, prefix: string) =>
  Effect.scoped(Effect.gen(function*() {
    const redis = yield* Effect.acquireRelease(
      Effect.sync(() => new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 })),
      (redis) => Effect.sync(() => redis.disconnect())
    )
    let cursor = "0"
    do {
      const [next, keys] = yield* attempt(
        `SCAN ${prefix}*`,
        () => redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
      )
      if (keys.length > 0) yield* attempt(`UNLINK ${prefix}*`, () => redis.unlink(...keys))
      cursor = next
    } while (cursor !== "0")
  }))

/** A new, unique Redis key prefix such as `t1f3a…:`; every key starting with it is deleted when the scope closes. */
export const freshRedisPrefix: Effect.Effect<string, never, Scope.Scope> = Effect.gen(function*() {
  const url = yield* redisUrl
  return yield* Effect.acquireRelease(
    Effect.sync(() => `t${randomBytes(8).toString("hex")}:`),
    (prefix) => Effect.orDie(deleteKeys(url, prefix))
  )
}).pipe(Effect.orDie)
