import { describe, expect, it } from "@effect/vitest"
import { freshDatabase } from "@mirage/testkit/TestStores"
import { Effect, Layer } from "effect"
import * as PgClient from "../../src/platform/PgClient.js"
import { ScanQuotas } from "../../src/scans/Quotas.js"
import * as QuotasPostgres from "../../src/scans/Quotas/Postgres.js"

const org = "0a000000-0000-4000-8000-000000000001"

const scan = (sql: PgClient.Sql, id: string, status: string) =>
  Effect.promise(() =>
    sql`insert into scans (id, organization_id, user_id, name, status, target_type, target_value, shard, seq,
                           created_at, updated_at, document)
        values (${id}, ${org}, ${org}, 'q', ${status}, 'DOMAIN', 'example.test', 0, 1, now(), now(), '{}')`
  )

describe("quota reconciliation", () => {
  it.scoped("finds admitted scans whose start was lost, and admits queued ones where slots are free", () =>
    Effect.gen(function*() {
      const url = yield* freshDatabase
      yield* Effect.gen(function*() {
        const sql = yield* PgClient.PgClient
        const quotas = yield* ScanQuotas
        const lost = "0b000000-0000-4000-8000-000000000001"
        const started = "0b000000-0000-4000-8000-000000000002"
        const waiting = "0b000000-0000-4000-8000-000000000003"
        yield* scan(sql, lost, "CREATED")
        yield* scan(sql, started, "RUNNING")
        yield* scan(sql, waiting, "CREATED")
        yield* Effect.promise(() =>
          sql`insert into scan_admissions (scan_id, organization_id, state, admitted_at) values
                (${lost}, ${org}, 'admitted', now() - interval '10 seconds'),
                (${started}, ${org}, 'admitted', now() - interval '10 seconds')`
        )
        yield* Effect.promise(() =>
          sql`insert into scan_admissions (scan_id, organization_id, state) values (${waiting}, ${org}, 'queued')`
        )
        // The admitted scan that never started comes back; the running one does not.
        expect(yield* quotas.unstarted(5000)).toEqual([lost])
        // The queued scan was admitted (three slots) and is returned once its admission is old enough.
        const states = yield* Effect.promise(() =>
          sql<Array<{ state: string }>>`select state from scan_admissions where scan_id = ${waiting}`
        )
        expect(states[0]!.state).toBe("admitted")
        expect(yield* quotas.unstarted(0)).toEqual([lost, waiting])
      }).pipe(
        Effect.provide(
          QuotasPostgres.layerWith({ max_running_scans: 3, max_concurrent_tasks: 8 }).pipe(
            Layer.provideMerge(PgClient.layerWith(url, 2))
          )
        )
      )
    }))
})
