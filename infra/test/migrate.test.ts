/** The migration runner: every file once however many runners start together, a file that must run outside a
 * transaction (CREATE INDEX CONCURRENTLY) included, and a failing file leaves nothing of itself. */
import { describe, expect, it } from "@effect/vitest"
import { freshDatabase } from "@mirage/testkit/TestStores"
import { Effect } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import postgres from "postgres"
import { migrate } from "../migrate.js"

/** A folder of migration files, removed when the scope closes. */
const folder = (files: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const directory = mkdtempSync(join(tmpdir(), "mirage-migrations-"))
      for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text)
      return directory
    }),
    (directory) => Effect.sync(() => rmSync(directory, { recursive: true, force: true }))
  )

const query = <A>(url: string, run: (sql: postgres.Sql) => Promise<A>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => postgres(url, { max: 1, onnotice: () => {} })),
    (sql) => Effect.promise(() => run(sql)),
    (sql) => Effect.promise(() => sql.end())
  )

describe("migrate", () => {
  it.scoped("three runners at once apply each file once, an index built concurrently included", () =>
    Effect.gen(function*() {
      const url = yield* freshDatabase
      const directory = yield* folder({
        "9001_table.sql": "CREATE TABLE runner_check (id int PRIMARY KEY, kind text NOT NULL);\n",
        "9002_index.sql": "-- mirage:no-transaction\n" +
          "CREATE INDEX CONCURRENTLY IF NOT EXISTS runner_check_kind ON runner_check (kind);\n",
        "9003_rows.sql": "INSERT INTO runner_check VALUES (1, 'a');\n"
      })
      const runs = yield* Effect.all(
        Array.from({ length: 3 }, () => Effect.promise(() => migrate(url, { directory }))),
        { concurrency: 3 }
      )
      expect(runs.flat().sort()).toEqual(["9001_table.sql", "9002_index.sql", "9003_rows.sql"])
      const [index] = yield* query(url, (sql) =>
        sql<Array<{ valid: boolean }>>`SELECT indisvalid AS valid FROM pg_index
                                       WHERE indexrelid = 'runner_check_kind'::regclass`)
      expect(index?.valid).toBe(true)
      expect(yield* Effect.promise(() => migrate(url, { directory }))).toEqual([])
    }))

  it.scoped("a failing file leaves nothing of itself and is tried again by the next run", () =>
    Effect.gen(function*() {
      const url = yield* freshDatabase
      const directory = yield* folder({
        "9001_ok.sql": "CREATE TABLE runner_ok (x int);\n",
        "9002_bad.sql": "CREATE TABLE runner_bad (x int);\nSELECT 1 / 0;\n"
      })
      const failure = yield* Effect.flip(Effect.tryPromise(() => migrate(url, { directory })))
      expect(String(failure.error)).toContain("migration 9002_bad.sql failed: division by zero")
      const [tables] = yield* query(url, (sql) =>
        sql<Array<{ ok: string | null; bad: string | null }>>`
          SELECT to_regclass('runner_ok')::text AS ok, to_regclass('runner_bad')::text AS bad`)
      expect(tables).toEqual({ ok: "runner_ok", bad: null })
      // The lock was let go: the next run takes it, and fails on the same file.
      const again = yield* Effect.flip(Effect.tryPromise(() => migrate(url, { directory })))
      expect(String(again.error)).toContain("migration 9002_bad.sql failed")
    }))
})
