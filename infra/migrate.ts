// Applies infra/migrations/*.sql in lexical order, each once and in its own transaction, under an advisory lock so
// that concurrent runners are safe. A file whose first line is `-- mirage:no-transaction` holds one statement that a
// transaction cannot (CREATE INDEX CONCURRENTLY), made idempotent by itself (IF NOT EXISTS): it runs alone.
// CLI: `npx tsx infra/migrate.ts` (uses DATABASE_URL); library: `await migrate(url)`.
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

// A runner holds this lock, for its session, while it looks at or changes schema_migrations.
const lockKey = "mirage:schema_migrations"

const noTransaction = "-- mirage:no-transaction"

/**
 * Takes the runners' lock for the session. Polled, never awaited in one statement: CREATE INDEX CONCURRENTLY waits for
 * every open transaction to end, and a runner waiting for the lock inside a statement would be one, holding up the
 * build of the runner that holds the lock (a deadlock).
 */
const lock = async (session: postgres.Sql) => {
  for (;;) {
    const [row] = await session<Array<{ held: boolean }>>`SELECT pg_try_advisory_lock(hashtext(${lockKey})) AS held`
    if (row?.held === true) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Applies one file on the session: in a transaction with its record, or alone then recorded. */
const apply = async (session: postgres.Sql, name: string, text: string) => {
  const record = () => session`INSERT INTO schema_migrations (name, applied_at) VALUES (${name}, now())`
  if (text.startsWith(noTransaction)) {
    await session.unsafe(text).simple()
    await record()
    return
  }
  await session.unsafe("BEGIN")
  try {
    await session.unsafe(text).simple()
    await record()
    await session.unsafe("COMMIT")
  } catch (cause) {
    await session.unsafe("ROLLBACK").catch(() => undefined)
    throw cause
  }
}

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
    const session = await sql.reserve()
    try {
      await lock(session)
      try {
        await session`
          CREATE TABLE IF NOT EXISTS schema_migrations (
            name        text PRIMARY KEY,
            applied_at  timestamptz NOT NULL DEFAULT now()
          )`
        for (const name of names) {
          if ((await session`SELECT 1 FROM schema_migrations WHERE name = ${name}`).length > 0) continue
          const text = await readFile(join(directory, name), "utf8")
          await apply(session, name, text).catch((cause: unknown) => {
            throw new Error(`migration ${name} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
              cause
            })
          })
          applied.push(name)
        }
      } finally {
        await session`SELECT pg_advisory_unlock(hashtext(${lockKey}))`
      }
    } finally {
      session.release()
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
