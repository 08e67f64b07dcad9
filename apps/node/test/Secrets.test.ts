/**
 * Key material never leaves the process: a scan that uses a data source's key (MIRAGE_KEY_SHODAN)
 * under a caller's API key, then every HTTP answer, every log line (debug included), every row
 * of every table in Postgres and every document of every collection in MongoDB is searched for
 * either key. Neither may appear, whole or as the value of a query parameter.
 */
import { expect, layer as withLayer } from "@effect/vitest"
import * as CollectionLogMongo from "@mirage/runtime/collection/CollectionLog/Mongo"
import * as CredentialsConfig from "@mirage/runtime/collection/Credentials/Config"
import * as ModuleExecutor from "@mirage/runtime/collection/ModuleExecutor"
import * as ProxyPool from "@mirage/runtime/collection/ProxyPool"
import * as RateLimiterMemory from "@mirage/runtime/collection/RateLimiter/Memory"
import * as RequestCacheMemory from "@mirage/runtime/collection/RequestCache/Memory"
import { MongoDatabase } from "@mirage/runtime/platform/MongoDatabase"
import { RedisClient } from "@mirage/runtime/platform/RedisClient"
import { IntelWorld } from "@mirage/testkit"
import { ConfigProvider, Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import { get, newCaller, post } from "../../gateway/test/Gateway.js"
import type { Answer } from "../../gateway/test/Gateway.js"
import { everyDocument, everyRow } from "./Leaks.js"
import { layer, startNode, World } from "./Stack.js"

/** Every log line of the stack, at every level, as the logfmt logger would print it. */
const lines: Array<string> = []
const capture = Logger.add(Logger.map(Logger.logfmtLogger, (line) => {
  lines.push(line)
}))
const logged = Layer.mergeAll(capture, Logger.minimumLogLevel(LogLevel.All))

const shodanKey = IntelWorld.keys.shodan

/** The real executor with its Mongo collection log and the source key from configuration. */
const keyedExecutor = (endpoints: ModuleExecutor.ExecutorSettings["endpoints"]) =>
  ModuleExecutor.layerWith({ ...ModuleExecutor.defaultSettings(endpoints), retries: 1, retryBaseMs: 20 }).pipe(
    Layer.provide(Layer.mergeAll(
      RateLimiterMemory.layerFresh,
      RequestCacheMemory.layer(RequestCacheMemory.makeStore()),
      CollectionLogMongo.layer,
      CredentialsConfig.layer.pipe(
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["MIRAGE_KEY_SHODAN", shodanKey]]))))
      ),
      ProxyPool.layerEmpty
    ))
  )

withLayer(Layer.provideMerge(layer, logged), { timeout: 120_000, excludeTestServices: true })("secrets", (it) => {
  it.scoped("neither a source's key nor an API key is in any answer, log line, event, result or log document", () =>
    Effect.gen(function*() {
      const world = yield* World
      const db = yield* MongoDatabase
      const redis = yield* RedisClient
      const node = yield* startNode(
        "secrets",
        keyedExecutor(world.moduleEndpoints).pipe(
          Layer.provide(Layer.mergeAll(Layer.succeed(MongoDatabase, db), Layer.succeed(RedisClient, redis))),
          Layer.orDie
        )
      )
      const caller = yield* newCaller("admin")
      const apiKey = Redacted.value(caller.key)
      const answers: Array<Answer> = []
      const keep = (answer: Answer) => {
        answers.push(answer)
        return answer
      }
      const created = keep(
        yield* post("/scans", {
          name: "keyed",
          target: { type: "IP", value: IntelWorld.shodanHosts[0]?.ip ?? "192.0.2.10" },
          modules: [{ id: "shodan_host" }],
          configuration: { recursion_depth: 0 }
        }, caller)
      )
      expect(created.status, created.text).toBe(201)
      const id = (created.body as { id: string }).id
      keep(yield* post(`/scans/${id}/start`, {}, caller))
      for (let i = 0; i < 400; i++) {
        const status = keep(yield* get(`/scans/${id}/status`, caller)).body as { status: string }
        if (["COMPLETED", "FAILED", "CANCELLED"].includes(status.status)) break
        yield* Effect.sleep("50 millis")
      }
      const results = keep(yield* get(`/scans/${id}/results`, caller)).body as {
        readonly items: ReadonlyArray<{ readonly module_id: string }>
      }
      for (
        const path of [
          `/scans/${id}`,
          `/scans/${id}/results?format=csv`,
          `/scans/${id}/history`,
          "/scans",
          "/audit",
          "/api-keys",
          "/openapi.json"
        ]
      ) keep(yield* get(path, caller))
      yield* node.stop

      // The key was used: Shodan's fixture answers only to it, and it answered.
      expect(results.items.some((r) => r.module_id === "shodan_host")).toBe(true)

      const { rows, tables } = yield* everyRow
      const { collections, documents } = yield* everyDocument
      expect(tables).toContain("scan_events")
      expect(collections).toContain(CollectionLogMongo.collectionName)
      expect(documents.some((d) => d.includes("shodan"))).toBe(true)
      const haystacks: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
        ["HTTP answers", answers.map((a) => `${a.status} ${JSON.stringify(a.headers)} ${a.text}`)],
        ["log lines", lines],
        ["Postgres rows", rows],
        ["MongoDB documents", documents]
      ]
      expect(lines.length).toBeGreaterThan(0)
      for (const [where, texts] of haystacks) {
        for (const secret of [shodanKey, apiKey, encodeURIComponent(shodanKey)]) {
          const leaks = texts.filter((text) => text.includes(secret))
          expect(leaks, `${where} contain a key`).toEqual([])
        }
      }
    }))
})
