import { describe, expect, it } from "@effect/vitest"
import { freshDatabase } from "@mirage/testkit/TestStores"
import { Effect, Layer } from "effect"
import * as PgClient from "../../src/platform/PgClient.js"
import { EventStore } from "../../src/scans/EventStore.js"
import * as EventStorePostgres from "../../src/scans/EventStore/Postgres.js"

describe("the cluster's shard count in Postgres", () => {
  it.scoped("is claimed by the first node and returned to every later one, whatever it asks", () =>
    Effect.gen(function*() {
      const url = yield* freshDatabase
      yield* Effect.gen(function*() {
        const store = yield* EventStore
        expect(yield* store.shardCount(64)).toBe(64)
        expect(yield* store.shardCount(128)).toBe(64)
        expect(yield* store.shardCount(64)).toBe(64)
      }).pipe(Effect.provide(EventStorePostgres.layer.pipe(Layer.provide(PgClient.layerWith(url, 2)))))
    }))
})
