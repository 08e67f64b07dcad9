/**
 * A finished scan with many results, written straight into the stores (no collection runs): the results in the
 * result store, ten per parent so they form a tree under the target, and the scan's projection marked COMPLETED
 * with their count. The scan must exist (created through the API) and never have started.
 */
import { CollectionResult } from "@mirage/domain/CollectionTask"
import type { EntityType } from "@mirage/domain/Entity"
import { resultIdFor, taskIdFor } from "@mirage/domain/Ids"
import type { ModuleId, ScanId } from "@mirage/domain/Ids"
import { PgClient } from "@mirage/runtime/platform/PgClient"
import { ResultStore } from "@mirage/runtime/scans/ResultStore"
import { DateTime, Effect } from "effect"

const types: ReadonlyArray<EntityType> = ["DOMAIN", "IP", "EMAIL", "URL"]
const modules: ReadonlyArray<ModuleId> = ["crtsh", "dns_resolve", "web_links"].map((id) => id as ModuleId)

/** The i-th seeded result of the scan; its parent is the (i - 1) / 10-th, the first hangs off the target. */
const seededResult = (scanId: ScanId, i: number): CollectionResult => {
  const hash = `seed-${i}`
  const module = modules[i % modules.length]!
  return CollectionResult.make({
    id: resultIdFor(scanId, hash),
    task_id: taskIdFor(scanId, `seed-${Math.floor(i / 100)}`, module),
    scan_id: scanId,
    module_id: module,
    data_type: types[i % types.length]!,
    data: `host${i}.seed.example`,
    source_data: { seeded: true, n: i },
    confidence: (i % 10) / 10,
    collected_at: DateTime.unsafeMake(Date.UTC(2026, 0, 1) + i * 1000),
    metadata: {},
    hash,
    parent: i === 0 ? null : `seed-${Math.floor((i - 1) / 10)}`
  })
}

export const seedCompletedScan = (scanId: ScanId, count: number, batch = 5000) =>
  Effect.gen(function*() {
    const store = yield* ResultStore
    for (let from = 0; from < count; from += batch) {
      const results = Array.from({ length: Math.min(batch, count - from) }, (_, k) => seededResult(scanId, from + k))
      yield* store.insert(scanId, results)
    }
    const sql = yield* PgClient
    yield* Effect.promise(() =>
      sql`update scans set status = 'COMPLETED', progress = 1, result_count = ${count},
            started_at = coalesce(started_at, now()), completed_at = now(), updated_at = now(),
            document = document || jsonb_build_object(
              'status', 'COMPLETED', 'progress', 1, 'result_count', ${count}::int,
              'started_at', coalesce(nullif(document->'started_at', 'null'::jsonb), to_jsonb(to_char(now() at time zone 'utc',
                'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))),
              'completed_at', to_jsonb(to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
            )
          where id = ${scanId}`
    )
  })
