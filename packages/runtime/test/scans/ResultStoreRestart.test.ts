import { describe, expect, it } from "@effect/vitest"
import { freshDatabase, freshMongoDatabase } from "@mirage/testkit/TestStores"
import { Effect, Layer } from "effect"
import * as MongoDatabase from "../../src/platform/MongoDatabase.js"
import * as PgClient from "../../src/platform/PgClient.js"
import { ResultStore } from "../../src/scans/ResultStore.js"
import * as ResultStoreMongo from "../../src/scans/ResultStore/Mongo.js"

describe("ResultStore on MongoDB", () => {
  it.scoped("starts again over a database whose indexes already exist (every restart)", () =>
    Effect.gen(function*() {
      const mongo = yield* freshMongoDatabase
      const pg = yield* freshDatabase
      const open = Effect.flatMap(ResultStore, (store) => store.count("nobody")).pipe(
        Effect.provide(ResultStoreMongo.layer.pipe(
          Layer.provide(Layer.merge(MongoDatabase.layerWith(mongo.url), PgClient.layerWith(pg, 2)))
        ))
      )
      expect(yield* open).toBe(0)
      expect(yield* open).toBe(0)
    }))
})
