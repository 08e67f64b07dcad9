/** The collection log on FerretDB and in memory: stored entries, pages per task and per owner; URLs without secrets. */
import { describe, expect, it } from "@effect/vitest"
import { TestStores } from "@mirage/testkit"
import { Effect, Layer, Random } from "effect"
import { CollectionLog, entryId, stripSecrets } from "../../src/collection/CollectionLog.js"
import type { CollectionLogEntry } from "../../src/collection/CollectionLog.js"
import * as CollectionLogMemory from "../../src/collection/CollectionLog/Memory.js"
import * as CollectionLogMongo from "../../src/collection/CollectionLog/Mongo.js"
import type { PersistenceError } from "../../src/platform/Errors.js"
import * as MongoDatabase from "../../src/platform/MongoDatabase.js"

const mongoLayer = Layer.unwrapScoped(
  Effect.map(
    TestStores.freshMongoDatabase,
    ({ url }) => CollectionLogMongo.layer.pipe(Layer.provide(MongoDatabase.layerWith(url)))
  )
)

const request = (task: string, owner: string, at: number, attempt: number) =>
  Effect.map(entryId(at), (id): CollectionLogEntry => ({
    id,
    at,
    kind: "request",
    owner,
    task_id: task,
    scan_id: owner,
    module_id: "crtsh",
    source: "crtsh",
    method: "GET",
    url: "https://crt.sh/?q=%25.example.test&output=json",
    status: attempt === 1 ? 503 : 200,
    duration_ms: 12.5,
    bytes: 2048,
    cache_hit: false,
    attempt,
    error: null,
    proxy: null
  }))

const summary = (task: string, owner: string, at: number) =>
  Effect.map(entryId(at), (id): CollectionLogEntry => ({
    id,
    at,
    kind: "summary",
    owner,
    task_id: task,
    scan_id: owner,
    module_id: "crtsh",
    source: "crtsh",
    outcome: "completed",
    result_count: 7,
    attempts: 2,
    error: null
  }))

describe("CollectionLog", () => {
  const suite = (name: string, layer: () => Layer.Layer<CollectionLog, PersistenceError>) =>
    describe(name, () => {
      it.scoped("stores entries and pages through them per task and per owner, in time order", () =>
        Effect.gen(function*() {
          const log = yield* CollectionLog
          const t1 = yield* Effect.all([
            request("t1", "scan-a", 1000, 1),
            request("t1", "scan-a", 1300, 2),
            summary("t1", "scan-a", 1400)
          ])
          const t2 = yield* Effect.all([request("t2", "scan-a", 1100, 1), summary("t2", "scan-a", 1200)])
          const other = yield* Effect.all([request("t3", "scan-b", 900, 1)])
          yield* log.append([...t1, ...t2])
          yield* log.append(other)
          yield* log.append([])

          const first = yield* log.listForTask("t1", null, 2)
          expect(first.items).toEqual(t1.slice(0, 2))
          const rest = yield* log.listForTask("t1", first.next_cursor, 2)
          expect(rest.items).toEqual(t1.slice(2))
          expect(rest.next_cursor).toBeNull()

          const scan = yield* log.listForOwner("scan-a", null, 10)
          expect(scan.items.map((entry) => entry.at)).toEqual([1000, 1100, 1200, 1300, 1400])
          expect(scan.next_cursor).toBeNull()
          expect((yield* log.listForOwner("scan-b", null, 10)).items).toEqual(other)
          expect((yield* log.listForTask("nothing", null, 10)).items).toEqual([])
        }).pipe(Effect.provide(layer())))
    })

  suite("mongo", () => mongoLayer)
  suite("memory", () => CollectionLogMemory.layerFresh)

  it.effect("an id's random part is drawn from Effect's Random: the same seed draws it again, in creation order", () =>
    Effect.gen(function*() {
      const seeded = () => entryId(1000).pipe(Effect.withRandom(Random.make("replay")))
      const first = yield* seeded()
      const second = yield* seeded()
      expect(first.slice(-6)).toBe(second.slice(-6))
      expect(first.slice(0, 12)).toBe((1000).toString(16).padStart(12, "0"))
      expect(first < second).toBe(true)
    }))

  it("strips credentials from URLs: named parameters, configured keys anywhere, userinfo", () => {
    const secrets = ["S3cretKey", "tok en/+"]
    expect(stripSecrets("https://api.test/host/1.2.3.4?key=abc&history=true", [])).toBe(
      "https://api.test/host/1.2.3.4?history=true"
    )
    expect(stripSecrets("https://api.test/?q=x&APIKEY=1&api_key=2&token=3&access_token=4&page=2", [])).toBe(
      "https://api.test/?q=x&page=2"
    )
    expect(stripSecrets("https://api.test/?q=x&sig=S3cretKey", secrets)).toBe("https://api.test/?q=x")
    expect(stripSecrets(`https://api.test/v1/S3cretKey/search?q=${encodeURIComponent("tok en/+")}`, secrets)).toBe(
      "https://api.test/v1/[redacted]/search"
    )
    expect(stripSecrets("https://user:pass@api.test/x", [])).toBe("https://api.test/x")
  })
})
