/**
 * The data collection endpoints end to end: standalone jobs through gateway, shard inbox and actor on the real
 * stores against the fixture world (collect, poll, results, logs, cancel within a second) and the sources listing;
 * a job's own API key reaches its source and nothing else, and its `use_proxy` is applied.
 */
import { HttpClientRequest } from "@effect/platform"
import { describe, expect, layer as withLayer } from "@effect/vitest"
import { CollectionResult } from "@mirage/domain/CollectionTask"
import * as CollectionLogMongo from "@mirage/runtime/collection/CollectionLog/Mongo"
import * as CredentialsMemory from "@mirage/runtime/collection/Credentials/Memory"
import * as JobOptionsRedis from "@mirage/runtime/collection/JobOptions/Redis"
import * as ModuleExecutor from "@mirage/runtime/collection/ModuleExecutor"
import * as ProxyPool from "@mirage/runtime/collection/ProxyPool"
import * as RateLimiterRedis from "@mirage/runtime/collection/RateLimiter/Redis"
import * as RequestCacheMemory from "@mirage/runtime/collection/RequestCache/Memory"
import type { MongoDatabase } from "@mirage/runtime/platform/MongoDatabase"
import { RedisClient } from "@mirage/runtime/platform/RedisClient"
import { IntelWorld } from "@mirage/testkit"
import type * as HttpFixture from "@mirage/testkit/HttpFixture"
import * as ShodanServer from "@mirage/testkit/ShodanServer"
import { Clock, Context, Effect, Layer, Schema } from "effect"
import { randomUUID } from "node:crypto"
import { as, get, newCaller, post, send } from "../../gateway/test/Gateway.js"
import type { Answer, Caller } from "../../gateway/test/Gateway.js"
import { everyDocument, everyRow, leaks } from "./Leaks.js"
import { layer, startNode, World } from "./Stack.js"

interface Task {
  readonly id: string
  readonly status: string
  readonly module_id: string
  readonly result_count: number
  readonly error: string | null
  readonly started_at: string | null
  readonly completed_at: string | null
  readonly config: { readonly api_key: string | null; readonly max_results: number }
}

interface SourceBody {
  readonly id: string
  readonly module_ids: ReadonlyArray<string>
  readonly rate_limit: { readonly requests: number; readonly per_seconds: number }
  readonly requires_key: boolean
  readonly key_configured: boolean
  readonly state: string
}

const Page = Schema.Struct({ items: Schema.Array(CollectionResult), next_cursor: Schema.NullOr(Schema.String) })

const del = (path: string, caller: Caller) => send(as(caller)(HttpClientRequest.del(path)))

/**
 * A node whose executor runs on the real ports (Redis rate limiter, MongoDB collection log, job options in Redis),
 * so the gateway reads the same logs and source states and the node a job's own key; no request cache, so no job
 * is answered from an earlier one. No source key is configured and no proxy; Shodan is JobShodan, for every node
 * (nodes of earlier tests keep running and may take a later test's job).
 */
const startRealNode = (nodeId: string) =>
  Effect.gen(function*() {
    const world = yield* World
    const shodan = yield* JobShodan
    const stores = yield* Effect.context<MongoDatabase | RedisClient>()
    const executor = ModuleExecutor.layerWith({
      ...ModuleExecutor.defaultSettings({ ...world.moduleEndpoints, shodan: shodan.server.url }),
      retries: 1,
      retryBaseMs: 20,
      cacheTtlMs: 0
    }).pipe(
      Layer.provide(Layer.mergeAll(
        RateLimiterRedis.layer,
        CollectionLogMongo.layer,
        RequestCacheMemory.layer(RequestCacheMemory.makeStore()),
        CredentialsMemory.layer({}),
        ProxyPool.layerEmpty,
        JobOptionsRedis.layer
      )),
      Layer.provide(Layer.succeedContext(stores)),
      Layer.orDie
    )
    return yield* startNode(nodeId, executor)
  })

/** A Shodan that accepts only a job's own key (a distinctive one per run), and logs the requests it receives. */
class JobShodan extends Context.Tag("test/JobShodan")<JobShodan, {
  readonly key: string
  readonly server: HttpFixture.HttpFixture
}>() {}

const JobShodanLive = Layer.scoped(
  JobShodan,
  Effect.gen(function*() {
    const key = `JobShodanKey-${randomUUID()}`
    return { key, server: yield* ShodanServer.make(IntelWorld.shodanHosts, { key }) }
  })
)

const waitForEnd = (id: string, caller: Caller) =>
  Effect.gen(function*() {
    for (let i = 0; i < 400; i++) {
      const answer = yield* get(`/collect/${id}`, caller)
      const task = answer.body as Task
      if (["COMPLETED", "FAILED", "CANCELLED"].includes(task.status)) return task
      yield* Effect.sleep("50 millis")
    }
    return (yield* get(`/collect/${id}`, caller)).body as Task
  })

describe("data collection", () => {
  // Real servers and real time: the nodes run their rounds on the wall clock.
  withLayer(Layer.merge(layer, JobShodanLive), { timeout: 120_000, excludeTestServices: true })((it) => {
    it.scoped("POST /collect runs crtsh on the sandbox domain: 202, then COMPLETED with its results and logs", () =>
      Effect.gen(function*() {
        const world = yield* World
        yield* startRealNode("collect-a")
        const caller = yield* newCaller("analyst")
        const created = yield* post("/collect", {
          module_id: "crtsh",
          target: { type: "DOMAIN", value: world.domain },
          config: { timeout: 60, max_results: 500 }
        }, caller)
        expect(created.status).toBe(202)
        const task = created.body as Task
        expect(["QUEUED", "RUNNING"]).toContain(task.status)
        expect(task.module_id).toBe("crtsh")
        expect(task.config.api_key).toBeNull()

        const done = yield* waitForEnd(task.id, caller)
        expect(done.status).toBe("COMPLETED")
        expect(done.error).toBeNull()
        expect(done.started_at).not.toBeNull()
        expect(done.completed_at).not.toBeNull()

        const results = yield* get(`/collect/${task.id}/results?limit=200`, caller)
        expect(results.status).toBe(200)
        const page = yield* Schema.decodeUnknown(Page)(results.body)
        const values = new Set(page.items.map((r) => r.data))
        // The target itself is the job's input, not one of its results.
        for (const name of world.expected.certificateNames.filter((n) => n !== world.domain)) {
          expect(values).toContain(name)
        }
        for (const email of world.expected.certificateEmails) expect(values).toContain(email)
        expect(done.result_count).toBe(page.items.length)
        expect(page.items.every((r) => r.module_id === "crtsh")).toBe(true)

        const logs = yield* get(`/collect/${task.id}/logs`, caller)
        expect(logs.status).toBe(200)
        const entries = (logs.body as { items: ReadonlyArray<{ kind: string; outcome?: string }> }).items
        expect(entries.some((e) => e.kind === "request")).toBe(true)
        expect(entries.find((e) => e.kind === "summary")?.outcome).toBe("completed")

        // A job is not a scan of the listings, and another organization does not see it.
        const listed = yield* get("/scans", caller)
        expect((listed.body as { items: ReadonlyArray<{ id: string }> }).items.map((s) => s.id)).not.toContain(task.id)
        const stranger = yield* newCaller("analyst")
        expect((yield* get(`/collect/${task.id}`, stranger)).status).toBe(404)
        expect((yield* get(`/collect/${task.id}/results`, stranger)).status).toBe(404)
        expect((yield* del(`/collect/${task.id}`, stranger)).status).toBe(404)
      }))

    it.scoped("DELETE /collect/{id} cancels a job whose source hangs within a second", () =>
      Effect.gen(function*() {
        const world = yield* World
        yield* startRealNode("collect-b")
        const caller = yield* newCaller("analyst")
        yield* Effect.acquireRelease(world.crtsh.setLatency(60_000), () => world.crtsh.setLatency(0))
        const created = yield* post("/collect", {
          module_id: "crtsh",
          target: { type: "DOMAIN", value: world.domain },
          config: { timeout: 120 }
        }, caller)
        expect(created.status).toBe(202)
        const id = (created.body as Task).id
        // The job's task may run for the job's whole timeout, not a default.
        const asScan = (yield* get(`/scans/${id}`, caller)).body as { configuration: { task_timeout: number } }
        expect(asScan.configuration.task_timeout).toBe(120)
        // Wait until the module is in flight.
        for (let i = 0; i < 100; i++) {
          if (((yield* get(`/collect/${id}`, caller)).body as Task).status === "RUNNING") break
          yield* Effect.sleep("20 millis")
        }
        yield* Effect.sleep("200 millis")
        const before = yield* Clock.currentTimeMillis
        const cancelled = yield* del(`/collect/${id}`, caller)
        const elapsed = (yield* Clock.currentTimeMillis) - before
        expect(cancelled.status).toBe(200)
        expect((cancelled.body as Task).status).toBe("CANCELLED")
        expect(elapsed).toBeLessThan(1000)
        const after = (yield* get(`/collect/${id}`, caller)).body as Task
        expect(after.status).toBe("CANCELLED")
        expect(after.completed_at).not.toBeNull()
      }))

    it.scoped("GET /sources lists crtsh with its limit and no key needed; shodan needs a key; never a key", () =>
      Effect.gen(function*() {
        const caller = yield* newCaller("viewer")
        const answer = yield* get("/sources", caller)
        expect(answer.status).toBe(200)
        const sources = (answer.body as { items: ReadonlyArray<SourceBody> }).items
        const crtsh = sources.find((s) => s.id === "crtsh")
        expect(crtsh?.module_ids).toContain("crtsh")
        expect(crtsh?.requires_key).toBe(false)
        expect(crtsh?.key_configured).toBe(false)
        expect(crtsh?.rate_limit.requests).toBeGreaterThan(0)
        expect(crtsh?.state).toBe("ok")
        const shodan = yield* get("/sources/shodan", caller)
        expect(shodan.status).toBe(200)
        expect((shodan.body as SourceBody).requires_key).toBe(true)
        expect((shodan.body as SourceBody).key_configured).toBe(false)
        expect(answer.text).not.toMatch(/"api_key"|"key":/)
        expect((yield* get("/sources/nonesuch", caller)).status).toBe(404)
      }))

    it.scoped("POST /collect refuses an unknown module, a wrong target type and a bad config with 400; unknown job 404", () =>
      Effect.gen(function*() {
        const world = yield* World
        const caller = yield* newCaller("analyst")
        const unknown = yield* post("/collect", {
          module_id: "nonesuch",
          target: { type: "DOMAIN", value: world.domain }
        }, caller)
        expect(unknown.status).toBe(400)
        expect(unknown.text).toContain("module_id")
        const wrongType = yield* post("/collect", {
          module_id: "crtsh",
          target: { type: "IP", value: "192.0.2.1" }
        }, caller)
        expect(wrongType.status).toBe(400)
        const badConfig = yield* post("/collect", {
          module_id: "crtsh",
          target: { type: "DOMAIN", value: world.domain },
          module_config: { no_such_setting: 1 }
        }, caller)
        expect(badConfig.status).toBe(400)
        expect(badConfig.text).toContain("module_config")
        // A refused request with a key does not echo it.
        const badWithKey = yield* post("/collect", {
          module_id: "nonesuch",
          target: { type: "DOMAIN", value: world.domain },
          config: { api_key: "sk-secret-value" }
        }, caller)
        expect(badWithKey.status).toBe(400)
        expect(badWithKey.text).not.toContain("sk-secret-value")
        const missing = yield* get("/collect/00000000-0000-4000-8000-000000000000", caller)
        expect(missing.status).toBe(404)
      }))

    it.scoped("a job's own API key reaches its source, and no answer, row or document; use_proxy is applied", () =>
      Effect.gen(function*() {
        // Shodan accepts only the job's key; no node has a Shodan key configured.
        const { key: jobKey, server: shodan } = yield* JobShodan
        yield* startRealNode("collect-keyed")
        const { key: redisKey, redis } = yield* RedisClient
        const caller = yield* newCaller("analyst")
        const answers: Array<Answer> = []
        const keep = (answer: Answer) => {
          answers.push(answer)
          return answer
        }
        const ip = IntelWorld.shodanHosts[0]?.ip ?? "192.0.2.10"
        const request = (config: Record<string, unknown>) =>
          post("/collect", { module_id: "shodan_host", target: { type: "IP", value: ip }, config }, caller).pipe(
            Effect.map(keep)
          )

        const created = yield* request({ timeout: 60, api_key: jobKey })
        expect(created.status, created.text).toBe(202)
        const task = created.body as Task
        expect(task.config.api_key).toBeNull()
        // The key waits for the node in Redis, under a TTL of the job's timeout plus a margin.
        const entry = redisKey(`scan-${task.id}`, "options")
        const pttl = yield* Effect.promise(() => redis.pttl(entry))
        expect(pttl).toBeGreaterThan(60_000)

        const done = yield* waitForEnd(task.id, caller)
        expect(done.status, done.error ?? "").toBe("COMPLETED")
        expect(done.result_count).toBeGreaterThan(0)
        expect(done.config.api_key).toBeNull()
        // Shodan answers only to the job's key, and that is the key it received, every time.
        expect(shodan.requestLog().length).toBeGreaterThan(0)
        expect(new Set(shodan.requestLog())).toEqual(new Set([`/shodan/host/${ip}?key=${jobKey}`]))
        // Once the job ended, its key is gone from Redis too.
        expect(yield* Effect.promise(() => redis.exists(entry))).toBe(0)
        for (const path of [`/collect/${task.id}/results`, `/collect/${task.id}/logs`, "/sources/shodan"]) {
          keep(yield* get(path, caller))
        }

        // The same job through a proxy, with no proxy configured: the executor's error, and no request sent.
        const before = shodan.requests()
        const proxied = yield* request({ timeout: 60, api_key: jobKey, use_proxy: true })
        expect(proxied.status).toBe(202)
        const failed = yield* waitForEnd((proxied.body as Task).id, caller)
        keep(yield* get(`/collect/${(proxied.body as Task).id}`, caller))
        expect(failed.status).toBe("FAILED")
        expect(failed.error).toContain("no healthy proxy")
        expect(shodan.requests()).toBe(before)

        const { rows, tables } = yield* everyRow
        const { collections, documents } = yield* everyDocument
        expect(tables).toEqual(expect.arrayContaining(["scan_events", "scan_commands", "collect_jobs", "audit_log"]))
        expect(rows.some((row) => row.startsWith("collect_jobs:") && row.includes(task.id))).toBe(true)
        expect(collections).toContain(CollectionLogMongo.collectionName)
        expect(documents.some((d) => d.includes("shodan"))).toBe(true)
        expect(
          leaks([
            ["HTTP answers", answers.map((a) => `${a.status} ${JSON.stringify(a.headers)} ${a.text}`)],
            ["Postgres rows", rows],
            ["MongoDB documents", documents]
          ], [jobKey, encodeURIComponent(jobKey)])
        ).toEqual({})
      }))

    it.scoped("the OpenAPI document has every data collection endpoint", () =>
      Effect.gen(function*() {
        const spec = (yield* get("/openapi.json")).body as { paths: Record<string, Record<string, unknown>> }
        expect(Object.keys(spec.paths["/collect"] ?? {})).toContain("post")
        expect(Object.keys(spec.paths["/collect/{job_id}"] ?? {}).sort()).toEqual(["delete", "get"])
        expect(spec.paths["/collect/{job_id}/results"]?.["get"]).toBeDefined()
        expect(spec.paths["/collect/{job_id}/logs"]?.["get"]).toBeDefined()
        expect(spec.paths["/sources"]?.["get"]).toBeDefined()
        expect(spec.paths["/sources/{id}"]?.["get"]).toBeDefined()
      }))

    // Last in the file: the failures it queues on crt.sh may outlive it.
    it.scoped("a job whose source fails ends FAILED with its error, and the source shows failing and its last error", () =>
      Effect.gen(function*() {
        const world = yield* World
        yield* startRealNode("collect-c")
        const caller = yield* newCaller("analyst")
        yield* world.crtsh.failNext(20, { status: 500, body: "upstream exploded" })
        const created = yield* post("/collect", {
          module_id: "crtsh",
          target: { type: "DOMAIN", value: world.domain }
        }, caller)
        expect(created.status).toBe(202)
        const done = yield* waitForEnd((created.body as Task).id, caller)
        expect(done.status).toBe("FAILED")
        expect(done.error).not.toBeNull()
        const source = (yield* get("/sources/crtsh", caller)).body as SourceBody & { last_error: string | null }
        expect(source.state).toBe("failing")
        expect(source.last_error).not.toBeNull()
      }))
  })
})
