// Vitest global setup: starts the services only if one does not answer, drops test databases that earlier runs left
// behind, and builds the migrated PostgreSQL template that every test database is cloned from (see TestStores) when the
// migrations changed since it was last built.
import * as PlatformSettings from "@mirage/runtime/platform/Settings"
import { Effect, Redacted } from "effect"
import type { Config } from "effect"
import { MongoClient } from "mongodb"
import { execFileSync } from "node:child_process"
import { connect } from "node:net"
import { fileURLToPath } from "node:url"
import postgres from "postgres"
import {
  migrationsFingerprint,
  templateDatabase,
  testStoreCreatedAt,
  testStorePrefix,
  withDatabase
} from "../packages/testkit/src/TestStores.js"
import { migrate } from "./migrate.js"

// The stores the environment names, else the local defaults their declarations give.
const storeUrl = (setting: Config.Config<Redacted.Redacted>) => Redacted.value(Effect.runSync(setting))
const databaseUrl = storeUrl(PlatformSettings.databaseUrl)
const mongoUrl = storeUrl(PlatformSettings.mongoUrl)
const redisUrl = storeUrl(PlatformSettings.redisUrl)

// A test database is a leftover once it is this old (and, for PostgreSQL, nobody is connected to it): younger ones
// may belong to a run going on at the same time.
const postgresLeftoverAge = 10 * 60_000
const mongoLeftoverAge = 30 * 60_000

// host and port of the first host of a URL.
const endpoint = (url: string, defaultPort: number): { readonly host: string; readonly port: number } => {
  const authority = /^[^:/]+:\/\/(?:[^@/?#]*@)?([^/?#,]*)/.exec(url)?.[1] ?? ""
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(authority)
  const host = (match?.[1] ?? "").replace(/^\[|\]$/g, "")
  return { host: host === "" ? "127.0.0.1" : host, port: match?.[2] === undefined ? defaultPort : Number(match[2]) }
}

const answers = (url: string, defaultPort: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(endpoint(url, defaultPort))
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
  })

const ensureServices = async (): Promise<void> => {
  const up = await Promise.all([answers(redisUrl, 6379), answers(databaseUrl, 5432), answers(mongoUrl, 27017)])
  if (up.every(Boolean)) return
  execFileSync("bash", [fileURLToPath(new URL("./services.sh", import.meta.url))], { stdio: "inherit" })
}

const dropPostgresLeftovers = async (sql: postgres.Sql): Promise<void> => {
  const rows = await sql<ReadonlyArray<{ readonly name: string; readonly sessions: number }>>`
    SELECT d.datname AS name, (SELECT count(*) FROM pg_stat_activity a WHERE a.datid = d.oid)::int AS sessions
    FROM pg_database d
    WHERE d.datname LIKE ${testStorePrefix.replaceAll("_", "\\_") + "%"}`
  const now = Date.now()
  for (const { name, sessions } of rows) {
    const createdAt = testStoreCreatedAt(name)
    if (sessions > 0 || (createdAt !== undefined && now - createdAt < postgresLeftoverAge)) continue
    // No FORCE: a database someone connected to meanwhile is kept.
    await sql`DROP DATABASE IF EXISTS ${sql(name)}`.catch(() => undefined)
  }
}

const dropMongoLeftovers = async (): Promise<void> => {
  const client = await new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 10_000 }).connect()
  try {
    const { databases } = await client.db().admin().listDatabases({ nameOnly: true })
    const now = Date.now()
    for (const { name } of databases) {
      if (!name.startsWith(testStorePrefix)) continue
      const createdAt = testStoreCreatedAt(name)
      if (createdAt !== undefined && now - createdAt < mongoLeftoverAge) continue
      await client.db(name).dropDatabase()
    }
  } finally {
    await client.close()
  }
}

/** What the template was built from: the migrations' names and contents. */
const fingerprintComment = (): string => `migrations ${migrationsFingerprint()}`

/**
 * Rebuilds the template only when the migrations changed since it was built (its comment holds their fingerprint):
 * a run going on at the same time may be cloning it, and a dropped template would hand it an empty database.
 */
const ensureTemplate = async (sql: postgres.Sql): Promise<void> => {
  const fingerprint = fingerprintComment()
  const [current] = await sql<ReadonlyArray<{ readonly comment: string | null }>>`
    SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = ${templateDatabase}`
  if (current?.comment === fingerprint) return
  await sql`DROP DATABASE IF EXISTS ${sql(templateDatabase)} WITH (FORCE)`
  await sql`CREATE DATABASE ${sql(templateDatabase)}`
  await migrate(withDatabase(databaseUrl, templateDatabase))
  await sql.unsafe(`COMMENT ON DATABASE ${templateDatabase} IS '${fingerprint}'`)
}

export default async function setup(): Promise<void> {
  await ensureServices()
  const sql = postgres(withDatabase(databaseUrl, "postgres"), { max: 1, onnotice: () => undefined })
  try {
    // One run at a time rebuilds the template (max: 1, so the session lock stays on this connection).
    await sql`SELECT pg_advisory_lock(hashtext('mirage:test_template'))`
    await dropPostgresLeftovers(sql)
    await ensureTemplate(sql)
  } finally {
    await sql.end({ timeout: 5 })
  }
  await dropMongoLeftovers().catch((error: unknown) =>
    console.warn(`global setup: could not drop leftover MongoDB test databases: ${String(error)}`)
  )
}
