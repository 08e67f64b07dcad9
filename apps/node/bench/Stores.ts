/** Fresh, isolated stores for a benchmark run: its own Postgres database, MongoDB database and Redis prefix. */
import * as PlatformSettings from "@mirage/runtime/platform/Settings"
import { Effect, Redacted } from "effect"
import { MongoClient } from "mongodb"
import { randomBytes } from "node:crypto"
import postgres from "postgres"
import { migrate } from "../../../infra/migrate.js"

export interface BenchStores {
  readonly databaseUrl: string
  readonly mongoUrl: string
  readonly redisUrl: string
  readonly prefix: string
}

const withDatabase = (url: string, database: string) => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

/** A database of its own on the PostgreSQL server of `admin`, migrated, and one of the same name on MongoDB. */
const create = async (name: string, admin: string, mongo: string, redisUrl: string): Promise<BenchStores> => {
  const database = `mirage_bench_${name}`
  const sql = postgres(admin, { max: 1, onnotice: () => undefined })
  await sql.unsafe(`drop database if exists ${database} with (force)`)
  await sql.unsafe(`create database ${database}`)
  await sql.end()
  const databaseUrl = withDatabase(admin, database)
  await migrate(databaseUrl)
  return {
    databaseUrl,
    mongoUrl: withDatabase(mongo, database),
    redisUrl,
    prefix: `bench${randomBytes(4).toString("hex")}`
  }
}

export const make = (name: string) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      // The stores the environment names, else the declared local defaults.
      const admin = yield* PlatformSettings.databaseUrl
      const mongo = yield* PlatformSettings.mongoUrl
      const redis = yield* PlatformSettings.redisUrl
      return yield* Effect.promise(() =>
        create(name, Redacted.value(admin), Redacted.value(mongo), Redacted.value(redis))
      )
    }),
    (stores) =>
      Effect.promise(async () => {
        const client = await new MongoClient(stores.mongoUrl).connect()
        await client.db().dropDatabase().catch(() => undefined)
        await client.close()
      })
  )

/** The environment of a node process on these stores, its modules pointed at `world`'s sources. */
export const nodeEnv = (
  stores: BenchStores,
  world: Record<string, string>,
  node: Readonly<Record<string, string>>
): Record<string, string> => ({
  ...world,
  DATABASE_URL: stores.databaseUrl,
  MONGODB_URL: stores.mongoUrl,
  REDIS_URL: stores.redisUrl,
  MIRAGE_REDIS_PREFIX: stores.prefix,
  ...node
})
