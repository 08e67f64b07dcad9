/**
 * The gateway's operational endpoints over real HTTP and real Redis: `/health` reports the live nodes and which
 * shards no live node owns, `/ready` is a 503 problem while no node owns any shard or a store is unreachable, and
 * `/metrics` has `mirage_shards_unowned`; and the route labels.
 */
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { describe, expect, it, layer } from "@effect/vitest"
import { Membership } from "@mirage/runtime/cluster/Membership"
import * as MembershipRedis from "@mirage/runtime/cluster/Membership/Redis"
import { ShardLeases } from "@mirage/runtime/cluster/ShardLeases"
import * as ShardLeasesRedis from "@mirage/runtime/cluster/ShardLeases/Redis"
import * as Logging from "@mirage/runtime/platform/Logging"
import * as MongoDatabase from "@mirage/runtime/platform/MongoDatabase"
import * as PgClient from "@mirage/runtime/platform/PgClient"
import * as RedisClient from "@mirage/runtime/platform/RedisClient"
import * as Prometheus from "@mirage/testkit/Prometheus"
import { freshMongoDatabase, freshRedisPrefix, redisUrl } from "@mirage/testkit/TestStores"
import { Effect, FiberRef, HashMap, Layer, Logger, LogLevel } from "effect"
import * as Observability from "../src/Observability.js"
import * as Gateway from "./Gateway.js"

/** The shard count the gateway under test reads from configuration (MIRAGE_SHARDS' default). */
const shards = 128

const Cluster = Layer.mergeAll(MembershipRedis.layer, ShardLeasesRedis.layer)

const TestLayer = Layer.provideMerge(Cluster, Gateway.layer).pipe(
  Layer.provide(Logger.minimumLogLevel(LogLevel.Error))
)

interface HealthBody {
  readonly status: string
  readonly live_nodes: number | null
  readonly shards: { readonly total: number; readonly owned: number; readonly unowned: ReadonlyArray<number> } | null
  readonly detail: string | null
}

interface Check {
  readonly name: string
  readonly ok: boolean
  readonly detail: string | null
}

const health = Effect.map(Gateway.get("/health"), (answer) => {
  expect(answer.status, answer.text).toBe(200)
  return answer.body as HealthBody
})

const shardsCheck = (answer: Gateway.Answer) =>
  (answer.body as { checks: ReadonlyArray<Check> }).checks.find((c) => c.name === "shards")

const unownedGauge = Effect.flatMap(Gateway.get("/metrics"), (answer) => {
  expect(answer.headers["content-type"]).toContain("text/plain")
  return Effect.map(Prometheus.parse(answer.text), (metrics) => Prometheus.total(metrics, "mirage_shards_unowned"))
})

/** Leases of `owner` on these shards, as a node's ownership round takes them. */
const lease = (owner: string, on: ReadonlyArray<number>) =>
  Effect.flatMap(
    ShardLeases,
    (leases) =>
      Effect.map(leases.acquire(owner, 60_000, on.map((shard) => ({ shard, floor: 0 }))), (taken) =>
        on.map((shard) => {
          expect(taken.has(shard), `lease of shard ${shard}`).toBe(true)
          return taken.get(shard) ?? 0
        }))
  )

const all = Array.from({ length: shards }, (_, shard) => shard)

layer(TestLayer, { excludeTestServices: true, timeout: "60 seconds" })("gateway operations", (it) => {
  it.effect("/health, /ready and /metrics follow which shards a live node owns", () =>
    Effect.gen(function*() {
      const membership = yield* Membership
      const leases = yield* ShardLeases

      // No node: alive, but degraded, not ready, and every shard counted unowned.
      const empty = yield* health
      expect(empty).toMatchObject({ status: "degraded", live_nodes: 0, shards: { total: shards, owned: 0 } })
      expect(empty.shards?.unowned).toEqual(all)
      expect(empty.detail).toContain("no live node owns any")
      const notReady = yield* Gateway.get("/ready")
      expect(notReady.status, notReady.text).toBe(503)
      expect(notReady.headers["content-type"]).toContain("application/problem+json")
      expect(notReady.body).toMatchObject({ status: 503, title: "Not ready" })
      expect(shardsCheck(notReady)).toMatchObject({ ok: false })
      expect(yield* unownedGauge).toBe(shards)

      // A live node owns all but two shards; one of those is leased by a node that is no member.
      yield* membership.heartbeat("node-a", 60_000)
      yield* lease("node-a", all.filter((shard) => shard !== 5 && shard !== 77))
      const [gone] = yield* lease("node-gone", [77])
      const partial = yield* health
      expect(partial).toMatchObject({
        status: "degraded",
        live_nodes: 1,
        shards: { owned: shards - 2, unowned: [5, 77] }
      })
      expect(partial.detail).toBe(`2 of ${shards} shards have no live owner`)
      const ready = yield* Gateway.get("/ready")
      expect(ready.status, ready.text).toBe(200)
      expect(ready.body).toMatchObject({ status: "ready" })
      expect(shardsCheck(ready)).toEqual({
        name: "shards",
        ok: true,
        detail: `2 of ${shards} shards have no live owner`
      })
      expect(yield* unownedGauge).toBe(2)

      // Every shard owned: ok.
      yield* leases.release(77, "node-gone", gone ?? 0)
      yield* lease("node-a", [5, 77])
      expect(yield* health).toEqual({
        status: "ok",
        live_nodes: 1,
        shards: { total: shards, owned: shards, unowned: [] },
        detail: null
      })
      expect(yield* unownedGauge).toBe(0)

      // The node leaves: its leases still run, but no live node holds them.
      yield* membership.leave("node-a")
      expect(yield* health).toMatchObject({ status: "degraded", live_nodes: 0, shards: { owned: 0 } })
      expect((yield* Gateway.get("/ready")).status).toBe(503)
    }))
})

const body = (response: HttpServerResponse.HttpServerResponse) =>
  response.body._tag === "Uint8Array" ? JSON.parse(new TextDecoder().decode(response.body.body)) as unknown : undefined

describe("gateway observability", () => {
  it.scopedLive("/ready is a 503 problem when Postgres is unreachable", () =>
    Effect.gen(function*() {
      const response = yield* Observability.ready(shards, 300)
      expect(response.status).toBe(503)
      expect(response.headers["content-type"] ?? response.body.contentType).toContain("application/problem+json")
      expect(body(response)).toMatchObject({ status: 503, title: "Not ready" })
      expect(JSON.stringify(body(response))).toContain("postgres")
    }).pipe(Effect.provide(Layer.unwrapScoped(Effect.gen(function*() {
      const mongo = yield* freshMongoDatabase
      const prefix = (yield* freshRedisPrefix).replace(/:$/, "")
      return Layer.mergeAll(
        PgClient.layerWith("postgres://postgres@127.0.0.1:1/closed", 2),
        RedisClient.layerWith({ url: yield* Effect.orDie(redisUrl), prefix }),
        MongoDatabase.layerWith(mongo.url)
      )
    })))))

  it.effect("logs each answer once: method, URL (keys masked), status and duration as the line's fields", () =>
    Effect.gen(function*() {
      const lines: Array<Record<string, unknown>> = []
      const logged = Logging.layerWith("json", (line) => void lines.push(JSON.parse(line) as Record<string, unknown>))
      const key = "mk_abcdefghijklmnopqrstuvwxyz0123"
      const request = (url: string) =>
        HttpServerRequest.fromWeb(new Request(`http://gateway.test${url}`, { method: "DELETE" }))
      const served = yield* Observability.middleware(
        Effect.zipRight(
          // What the request's code sees: its fiber's annotations are not changed by the line logged after it.
          Effect.flatMap(
            FiberRef.get(FiberRef.currentLogAnnotations),
            (annotations) => Effect.sync(() => expect(HashMap.size(annotations)).toBe(0))
          ),
          Effect.succeed(HttpServerResponse.empty({ status: 204 }))
        )
      ).pipe(
        Effect.provideService(HttpServerRequest.HttpServerRequest, request(`/scans/s-1?key=${key}`)),
        Effect.provide(logged)
      )
      expect(served.status).toBe(204)
      const failed = yield* Effect.exit(
        Observability.middleware(Effect.die(new Error("broke"))).pipe(
          Effect.provideService(HttpServerRequest.HttpServerRequest, request("/scans/s-2")),
          Effect.provide(logged)
        )
      )
      expect(failed._tag).toBe("Failure")
      expect(HashMap.size(yield* FiberRef.get(FiberRef.currentLogAnnotations))).toBe(0)
      expect(lines).toHaveLength(2)
      expect(lines[0]).toMatchObject({
        level: "info",
        message: "Sent HTTP response",
        "http.method": "DELETE",
        "http.url": "/scans/s-1?key=<redacted>",
        "http.status": 204
      })
      expect(typeof lines[0]!["http.duration_ms"]).toBe("number")
      expect(JSON.stringify(lines)).not.toContain(key)
      expect(lines[1]).toMatchObject({ level: "error", "http.url": "/scans/s-2", "http.status": 500 })
      expect(String(lines[1]!.cause)).toContain("broke")
    }))

  it("labels routes by the API's route, not by id, and every other path by what serves it", () => {
    const labels: ReadonlyArray<readonly [url: string, label: string]> = [
      ["/scans/0b6a4c1e-7a43-4d7e-9d0a-2a9a7c1c5e11/status?x=1", "/scans/:id/status"],
      ["/api-keys/mk_abcdefghijklmnopqrstuvwxyz", "/api-keys/:id"],
      ["/scans", "/scans"],
      ["/scans?limit=20", "/scans"],
      // Parameters that are not ids (a module's name) are parameters too; a fixed segment wins over a parameter.
      ["/modules/crtsh", "/modules/:id"],
      ["/alerts/events", "/alerts/events"],
      ["/collect/j-1/results", "/collect/:id/results"],
      ["/modules", "/modules"],
      // Paths no route serves, the console's, the API's documents.
      ["/modules/crtsh/extra", "other"],
      ["/static/app.js", "console"],
      ["/some/console/page", "console"],
      ["/", "/"],
      ["/docs/index.css", "/docs"]
    ]
    for (const [url, label] of labels) expect(Observability.routeOf(url), url).toBe(label)
    // Paths no route serves: a few labels, however many such paths arrive (a scanner's guesses).
    const guesses = Array.from({ length: 500 }, (_, i) => Observability.routeOf(`/scans/x/wp-admin-${i}.php`))
    expect(new Set(guesses)).toEqual(new Set(["other"]))
  })
})
