/**
 * Faults mid-scan on real processes: a gateway and node processes on real stores, a fault while scans run. Every
 * process survives, and every scan completes with the results a single node finds without faults: nothing lost,
 * nothing doubled. The faults: PostgreSQL restarted, Redis (with its append-only file) restarted, and a busy node's
 * process stopped for longer than its leases (SIGSTOP, as a long GC pause or a frozen VM would), which must take its
 * shards back once and then keep them.
 */
import { describe, expect, it } from "@effect/vitest"
import { FixtureWorld } from "@mirage/testkit"
import { freePort, ownPostgres, ownRedis } from "@mirage/testkit/OwnStores"
import * as Prometheus from "@mirage/testkit/Prometheus"
import { freshDatabase, freshMongoDatabase, freshRedisPrefix, redisUrl } from "@mirage/testkit/TestStores"
import { Effect } from "effect"
import type { Scope } from "effect"
import { randomBytes } from "node:crypto"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { envFor } from "../dev/Sandbox.js"
import type { Process } from "../src/Launcher.js"
import { launch, waitForGateway } from "../src/Launcher.js"
import {
  body,
  type Caller,
  definitions,
  finalStatuses,
  gatewayCaller,
  logTails,
  type Page,
  reference,
  resultSet
} from "./Scans.js"

interface Run {
  readonly procs: ReadonlyArray<Process>
  readonly call: Caller
  readonly scans: ReadonlyArray<string>
  /** The first node's /metrics, parsed. */
  readonly metrics: Effect.Effect<Prometheus.Exposition, unknown>
}

interface Scenario {
  readonly nodes: number
  readonly scans: number
  /** Certificate searches this slow keep tasks in flight through the fault. */
  readonly latencyMs: number
  /** The stores' URLs, and the fault: injected once every scan has started, it returns when the fault is over. */
  readonly setUp: Effect.Effect<
    {
      readonly stores: { readonly DATABASE_URL: string; readonly REDIS_URL: string }
      readonly fault: (run: Run) => Effect.Effect<void, unknown>
    },
    unknown,
    Scope.Scope
  >
}

const scansSurvive = (scenario: Scenario) => {
  const logs = mkdtempSync(join(tmpdir(), "mirage-faults-"))
  return Effect.gen(function*() {
    const expected = yield* reference
    const world = yield* FixtureWorld.make
    yield* world.crtsh.setLatency(scenario.latencyMs)
    const { fault, stores } = yield* scenario.setUp
    const mongo = yield* freshMongoDatabase
    const key = `mk_test_${randomBytes(24).toString("base64url")}`
    const port = yield* freePort
    // A free port for each node's metrics: the next port up from one free port may be anyone's.
    const metricsPorts = yield* Effect.all(Array.from({ length: scenario.nodes }, () => freePort))
    const metricsPort = metricsPorts[0]!
    const base = `http://127.0.0.1:${port}`
    const procs = yield* launch({
      port,
      nodes: scenario.nodes,
      metricsPorts,
      output: { logs },
      env: {
        ...envFor(world),
        ...stores,
        MONGODB_URL: mongo.url,
        MIRAGE_REDIS_PREFIX: (yield* freshRedisPrefix).replace(/:$/, ""),
        MIRAGE_BOOTSTRAP_API_KEY: key
      }
    })
    yield* waitForGateway(base, procs[0], "120 seconds").pipe(Effect.orDie)

    // Calls retry through the outage: the gateway answers 503 (or not at all) while a store is down.
    const call = gatewayCaller(base, key)
    const metrics = Prometheus.scrape(`http://127.0.0.1:${metricsPort}/metrics`)

    const scans: Array<{ id: string; definition: number }> = []
    for (let i = 0; i < scenario.scans; i++) {
      const created = yield* call<{ id: string }>("POST", "/scans", body(definitions(world.domain)[i % 4]!))
      scans.push({ id: created.id, definition: i % 4 })
    }
    yield* Effect.forEach(scans, (scan) => call("POST", `/scans/${scan.id}/start`), { concurrency: 8 })
    yield* Effect.sleep("700 millis")
    yield* fault({ procs, call, scans: scans.map((scan) => scan.id), metrics })

    const statuses = yield* finalStatuses(call, scans.map((scan) => scan.id), 90_000)
    expect(scans.map((scan) => statuses.get(scan.id))).toEqual(scans.map(() => "COMPLETED"))
    for (const scan of scans) {
      expect(yield* resultSet((path) => call<Page>("GET", path), scan.id)).toEqual(expected[scan.definition])
    }
    // No process died (none is restarted here).
    expect(procs.map((proc) => `${proc.name} ${proc.child.exitCode ?? proc.child.signalCode ?? "running"}`)).toEqual(
      procs.map((proc) => `${proc.name} running`)
    )
  }).pipe(
    Effect.timeoutFail({ duration: "210 seconds", onTimeout: () => new Error("the fault test ran out of time") }),
    Effect.tapErrorCause(() => Effect.flatMap(logTails(logs), (tails) => Effect.sync(() => console.error(tails)))),
    Effect.scoped
  )
}

const shards = 128

/**
 * Stops the busy node for 10 s (its 4 s leases expire meanwhile), then lets it go on. It stops its actors and takes
 * its 128 shards back, each once, and keeps every one of them, sampled every 250 ms, until all its scans have ended.
 */
const stopTheNode = ({ call, metrics, procs, scans }: Run) =>
  Effect.gen(function*() {
    const node = procs[1]!.child
    const acquisitions = Effect.map(metrics, (m) => Prometheus.total(m, "mirage_takeovers_total"))
    const owned = Effect.map(metrics, (m) => Prometheus.total(m, "mirage_shards_owned"))
    for (let i = 0; i < 100 && (yield* owned) < shards; i++) yield* Effect.sleep("100 millis")
    expect(yield* owned).toBe(shards)
    const before = yield* acquisitions
    node.kill("SIGSTOP")
    yield* Effect.sleep("10 seconds")
    node.kill("SIGCONT")

    const terminal = new Set(["COMPLETED", "FAILED", "CANCELLED"])
    const running = Effect.map(
      Effect.forEach(scans, (id) => call<{ status: string }>("GET", `/scans/${id}`), { concurrency: 8 }),
      (read) => read.filter((scan) => !terminal.has(scan.status)).length
    )
    const deadline = Date.now() + 30_000
    while ((yield* owned) < shards && Date.now() < deadline) yield* Effect.sleep("100 millis")
    expect(yield* owned).toBe(shards)
    // Not vacuous: scans were still running when the shards came back.
    expect(yield* running).toBeGreaterThan(0)
    const samples: Array<number> = []
    while ((yield* running) > 0 && Date.now() < deadline + 60_000) {
      samples.push(yield* owned)
      yield* Effect.sleep("250 millis")
    }
    expect(samples.length).toBeGreaterThan(0)
    expect(samples.filter((n) => n !== shards)).toEqual([])
    const taken = (yield* acquisitions) - before
    // Its leases expired while it was stopped: it took every shard back, and each only once.
    expect(taken).toBe(shards)
    expect(Prometheus.total(yield* metrics, "mirage_leases_self_fenced_total")).toBe(shards)
  })

describe("faults mid-scan", () => {
  it.live(
    "PostgreSQL restarted: every process survives, every scan completes with the fault-free results",
    () =>
      scansSurvive({
        nodes: 2,
        scans: 8,
        latencyMs: 1000,
        setUp: Effect.gen(function*() {
          const pg = yield* ownPostgres
          return { stores: { DATABASE_URL: pg.url, REDIS_URL: yield* redisUrl }, fault: () => pg.restart }
        })
      }),
    { timeout: 240_000 }
  )

  it.live("Redis with its append-only file restarted: nothing lost, nothing doubled", () =>
    scansSurvive({
      nodes: 2,
      scans: 8,
      latencyMs: 1000,
      setUp: Effect.gen(function*() {
        const redis = yield* ownRedis
        return { stores: { DATABASE_URL: yield* freshDatabase, REDIS_URL: redis.url }, fault: () => redis.restart }
      })
    }), { timeout: 240_000 })

  it.live(
    "a busy node stopped for 10 s takes its shards back once, keeps them, and its scans complete",
    () =>
      scansSurvive({
        nodes: 1,
        scans: 40,
        latencyMs: 2500,
        setUp: Effect.gen(function*() {
          return { stores: { DATABASE_URL: yield* freshDatabase, REDIS_URL: yield* redisUrl }, fault: stopTheNode }
        })
      }),
    { timeout: 240_000 }
  )
})
