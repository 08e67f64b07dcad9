/** The gateway's `/ready`: 200 with the stores up, a 503 problem when one is unreachable; and the route labels. */
import type { HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import * as MongoDatabase from "@mirage/runtime/MongoDatabase"
import * as PgClient from "@mirage/runtime/PgClient"
import * as RedisClient from "@mirage/runtime/RedisClient"
import { freshDatabase, freshMongoDatabase, freshRedisPrefix, redisUrl } from "@mirage/testkit/TestStores"
import { Effect, Layer } from "effect"
import type { Scope } from "effect"
import * as Observability from "../src/Observability.js"

const stores = (postgres: Effect.Effect<string, never, Scope.Scope>) =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const database = yield* postgres
    const mongo = yield* freshMongoDatabase
    const prefix = (yield* freshRedisPrefix).replace(/:$/, "")
    return Layer.mergeAll(
      PgClient.layerWith(database, 2),
      RedisClient.layerWith({ url: yield* Effect.orDie(redisUrl), prefix }),
      MongoDatabase.layerWith(mongo.url)
    )
  }))

const body = (response: HttpServerResponse.HttpServerResponse) =>
  response.body._tag === "Uint8Array" ? JSON.parse(new TextDecoder().decode(response.body.body)) as unknown : undefined

describe("gateway observability", () => {
  it.scopedLive("/ready is 200 when Postgres, Redis and MongoDB answer", () =>
    Effect.gen(function*() {
      const response = yield* Observability.ready(2000)
      expect(response.status).toBe(200)
      expect(body(response)).toMatchObject({ status: "ready" })
    }).pipe(Effect.provide(stores(freshDatabase))))

  it.scopedLive("/ready is a 503 problem when Postgres is unreachable", () =>
    Effect.gen(function*() {
      const response = yield* Observability.ready(300)
      expect(response.status).toBe(503)
      expect(response.headers["content-type"] ?? response.body.contentType).toContain("application/problem+json")
      expect(body(response)).toMatchObject({ status: 503, title: "Not ready" })
      expect(JSON.stringify(body(response))).toContain("postgres")
    }).pipe(Effect.provide(stores(Effect.succeed("postgres://postgres@127.0.0.1:1/closed")))))

  it("labels routes by pattern, not by id", () => {
    expect(Observability.routeOf("/scans/0b6a4c1e-7a43-4d7e-9d0a-2a9a7c1c5e11/status?x=1")).toBe("/scans/:id/status")
    expect(Observability.routeOf("/api-keys/mk_abcdefghijklmnopqrstuvwxyz")).toBe("/api-keys/:id")
    expect(Observability.routeOf("/scans")).toBe("/scans")
  })
})
