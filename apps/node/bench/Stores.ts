/** Fresh, isolated stores for a benchmark run: its own Postgres database, MongoDB database and Redis prefix. */
import { Effect } from "effect"
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

export const make = (name: string) =>
  Effect.acquireRelease(
    Effect.promise(async (): Promise<BenchStores> => {
      const admin = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/mirage"
      const database = `mirage_bench_${name}`
      const sql = postgres(admin, { max: 1, onnotice: () => undefined })
      await sql.unsafe(`drop database if exists ${database} with (force)`)
      await sql.unsafe(`create database ${database}`)
      await sql.end()
      const databaseUrl = withDatabase(admin, database)
      await migrate(databaseUrl)
      const mongoUrl = withDatabase(process.env.MONGODB_URL ?? "mongodb://127.0.0.1:27017/mirage", database)
      return {
        databaseUrl,
        mongoUrl,
        redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
        prefix: `bench${randomBytes(4).toString("hex")}`
      }
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
