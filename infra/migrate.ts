// Applies infra/migrations/*.sql in lexical order, each once and in its own transaction, under an advisory lock so
// that concurrent runners are safe. CLI: `npx tsx infra/migrate.ts` (uses DATABASE_URL); library: `await migrate(url)`.
import { databaseUrl } from "@mirage/runtime/platform/Settings"
import { Effect, Redacted } from "effect"
import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import postgres from "postgres"

/** DATABASE_URL, else the local default its declaration gives. */
export const configuredDatabaseUrl = (): string => Redacted.value(Effect.runSync(databaseUrl))

export const migrationsDirectory = fileURLToPath(new URL("./migrations/", import.meta.url))

export interface MigrateOptions {
  /** Where the `*.sql` files are; defaults to infra/migrations. */
  readonly directory?: string
}

// Every runner takes this transaction-level lock before looking at or changing schema_migrations.
const lockKey = "mirage:schema_migrations"

/** Applies the pending migrations to the database at `url` and returns the names of those it applied. */
export const migrate = async (
  url: string = configuredDatabaseUrl(),
  options: MigrateOptions = {}
): Promise<ReadonlyArray<string>> => {
  const directory = options.directory ?? migrationsDirectory
  const names = (await readdir(directory)).filter((name) => name.endsWith(".sql")).sort()
  const sql = postgres(url, {
    max: 1,
    onnotice: () => {},
    connection: { application_name: "mirage-migrate" }
  })
  const applied: Array<string> = []
  try {
    await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(hashtext(${lockKey}))`
      await tx`
        CREATE TABLE IF NOT EXISTS schema_migrations (
          name        text PRIMARY KEY,
          applied_at  timestamptz NOT NULL DEFAULT now()
        )`
    })
    for (const name of names) {
      const text = await readFile(join(directory, name), "utf8")
      const done = await sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(hashtext(${lockKey}))`
        const rows = await tx`SELECT 1 FROM schema_migrations WHERE name = ${name}`
        if (rows.length > 0) return false
        await tx.unsafe(text).simple()
        await tx`INSERT INTO schema_migrations (name, applied_at) VALUES (${name}, now())`
        return true
      }).catch((cause: unknown) => {
        throw new Error(`migration ${name} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
          cause
        })
      })
      if (done) applied.push(name)
    }
  } finally {
    await sql.end({ timeout: 5 })
  }
  return applied
}

// host:port/database of a connection URL, without credentials.
const describe = (url: string): string => {
  try {
    const parsed = new URL(url)
    return `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`
  } catch {
    return "DATABASE_URL"
  }
}

const entry = process.argv[1]
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const url = configuredDatabaseUrl()
  try {
    const applied = await migrate(url)
    if (applied.length > 0) console.log(`migrations: applied ${applied.join(", ")} to ${describe(url)}`)
  } catch (error) {
    console.error(`migrations: ${describe(url)}: ${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = 1
  }
}
