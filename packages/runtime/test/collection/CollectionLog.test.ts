/**
 * The collection log on FerretDB and in memory: stored entries, pages per task and per owner, each source's latest
 * summaries; URLs without secrets.
 */
import { describe, expect, it } from "@effect/vitest"
import { TestStores } from "@mirage/testkit"
import { Effect, Layer, Option, Random } from "effect"
import { CollectionLog, entryId, interrupted, stripSecrets } from "../../src/collection/CollectionLog.js"
import type { CollectionLogEntry, SummaryEntry } from "../../src/collection/CollectionLog.js"
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

const summary = (task: string, owner: string, at: number, change: Partial<SummaryEntry> = {}) =>
  Effect.map(entryId(at), (id): SummaryEntry => ({
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
    error: null,
    ...change
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

      it.scoped("keeps each source's latest summary and latest failed one; an earlier summary appended later never wins", () =>
        Effect.gen(function*() {
          const log = yield* CollectionLog
          const failed = { outcome: "failed", error: "HTTP 500 from upstream" } as const
          const crtOld = yield* summary("t1", "scan-a", 1000, failed)
          const crtNew = yield* summary("t2", "scan-a", 2000)
          const crtStopped = yield* summary("t3", "scan-a", 3000, { outcome: "failed", error: interrupted })
          const shodan = yield* summary("t4", "scan-b", 1500, { source: "shodan", module_id: "shodan" })
          expect((yield* log.latestBySource).size).toBe(0)

          yield* log.append([crtNew, shodan])
          yield* log.append([crtOld, crtStopped])
          const latest = yield* log.latestBySource
          expect(Array.from(latest.keys()).sort()).toEqual(["crtsh", "shodan"])
          expect(latest.get("crtsh")?.last).toEqual(Option.some(crtNew))
          expect(latest.get("crtsh")?.lastError).toEqual(Option.some(crtOld))
          expect(latest.get("shodan")).toEqual({ last: Option.some(shodan), lastError: Option.none() })

          const crtBroken = yield* summary("t5", "scan-c", 4000, { outcome: "timed_out", error: "timed out" })
          yield* log.append([crtBroken])
          expect((yield* log.latestBySource).get("crtsh")).toEqual({
            last: Option.some(crtBroken),
            lastError: Option.some(crtBroken)
          })
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
