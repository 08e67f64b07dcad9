import { describe, expect, it } from "@effect/vitest"
import { deriveUuid } from "@mirage/domain/Ids"
import { runScanId, ScheduleId } from "@mirage/domain/Schedule"
import { ScheduleStore } from "@mirage/runtime/monitoring/schedules/ScheduleStore"
import * as ScheduleStorePostgres from "@mirage/runtime/monitoring/schedules/ScheduleStore/Postgres"
import { PgClient } from "@mirage/runtime/platform/PgClient"
import * as PgClientLayer from "@mirage/runtime/platform/PgClient"
import { freshDatabase } from "@mirage/testkit/TestStores"
import { Effect, Layer } from "effect"

const layer = Layer.unwrapScoped(
  Effect.map(
    freshDatabase,
    (url) => ScheduleStorePostgres.layer.pipe(Layer.provideMerge(PgClientLayer.layerWith(url, 4)))
  )
)

describe("ScheduleStore/Postgres", () => {
  it.scoped("a record is written once per due time, and only under the shard's current epoch", () =>
    Effect.gen(function*() {
      const sql = yield* PgClient
      const store = yield* ScheduleStore
      yield* Effect.promise(() => sql`INSERT INTO shard_fences (shard, epoch) VALUES (5, 2)`)
      const id = ScheduleId.make(deriveUuid("store-test"))
      const run = {
        schedule_id: id,
        due_at: 60_000,
        outcome: "started" as const,
        scan_ids: [runScanId(id, 60_000, 0)],
        recorded_at: 60_010
      }
      const stale = yield* Effect.flip(store.record({ shard: 5, epoch: 1 }, run))
      expect(stale._tag).toBe("StaleEpoch")
      const unknownShard = yield* Effect.flip(store.record({ shard: 6, epoch: 1 }, run))
      expect(unknownShard._tag).toBe("StaleEpoch")
      expect(yield* store.record({ shard: 5, epoch: 2 }, run)).toEqual({ existing: null })
      const again = yield* store.record({ shard: 5, epoch: 2 }, { ...run, outcome: "skipped_overlap", scan_ids: [] })
      expect(again.existing).toMatchObject({ due_at: 60_000, outcome: "started", launched: false })
      // A new owner raises the fence: the old one can no longer mark the run launched, the new one can.
      yield* Effect.promise(() => sql`UPDATE shard_fences SET epoch = 3 WHERE shard = 5`)
      expect((yield* Effect.flip(store.launched({ shard: 5, epoch: 2 }, id, 60_000)))._tag).toBe("StaleEpoch")
      const before = yield* store.progress(id)
      expect(before.unlaunched.map((r) => r.due_at)).toEqual([60_000])
      yield* store.launched({ shard: 5, epoch: 3 }, id, 60_000)
      const after = yield* store.progress(id)
      expect(after.unlaunched).toEqual([])
      expect(after.last).toMatchObject({ due_at: 60_000, launched: true })
      expect((yield* store.runs(id, null, 10)).length).toBe(1)
    }).pipe(Effect.provide(layer)))
})
