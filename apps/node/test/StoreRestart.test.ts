/**
 * A store restarting mid-scan: a gateway and two node processes on a PostgreSQL (or a Redis, with its append-only
 * file) of the test's own, restarted while eight scans run. Every process survives, and every scan completes with the
 * results a single node finds without faults: nothing lost, nothing doubled.
 */
import { describe, expect, it } from "@effect/vitest"
import { FixtureWorld } from "@mirage/testkit"
import { ownPostgres, ownRedis } from "@mirage/testkit/OwnStores"
import { freshDatabase, freshMongoDatabase, freshRedisPrefix, redisUrl } from "@mirage/testkit/TestStores"
import { Effect } from "effect"
import type { Scope } from "effect"
import { randomBytes } from "node:crypto"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { launch, waitForGateway } from "../src/Launcher.js"
import { envFor } from "../src/Sandbox.js"
import {
  body,
  definitions,
  finalStatuses,
  freePort,
  gatewayCaller,
  logTails,
  type Page,
  reference,
  resultSet
} from "./Scans.js"

interface Stores {
  readonly DATABASE_URL: string
  readonly REDIS_URL: string
  readonly restart: Effect.Effect<void, unknown>
}

const scansSurvive = (stores: Effect.Effect<Stores, unknown, Scope.Scope>) => {
  const logs = mkdtempSync(join(tmpdir(), "mirage-restart-"))
  return Effect.gen(function*() {
    const expected = yield* reference
    const world = yield* FixtureWorld.make
    // Slow certificate searches keep tasks in flight across the restart.
    yield* world.crtsh.setLatency(1000)
    const { restart, ...urls } = yield* stores
    const mongo = yield* freshMongoDatabase
    const key = `mk_test_${randomBytes(24).toString("base64url")}`
    const port = yield* freePort
    const base = `http://127.0.0.1:${port}`
    const procs = yield* launch({
      port,
      nodes: 2,
      output: { logs },
      env: {
        ...envFor(world),
        ...urls,
        MONGODB_URL: mongo.url,
        MIRAGE_REDIS_PREFIX: (yield* freshRedisPrefix).replace(/:$/, ""),
        MIRAGE_BOOTSTRAP_API_KEY: key
      }
    })
    yield* waitForGateway(base, procs[0], "120 seconds").pipe(Effect.orDie)

    // Calls retry through the outage: the gateway answers 503 (or not at all) while a store is down.
    const call = gatewayCaller(base, key)

    const scans: Array<{ id: string; definition: number }> = []
    for (let i = 0; i < 8; i++) {
      const created = yield* call<{ id: string }>("POST", "/scans", body(definitions(world.domain)[i % 4]!))
      scans.push({ id: created.id, definition: i % 4 })
    }
    yield* Effect.forEach(scans, (scan) => call("POST", `/scans/${scan.id}/start`), { concurrency: 8 })
    yield* Effect.sleep("700 millis")
    yield* restart

    const statuses = yield* finalStatuses(call, scans.map((scan) => scan.id), 60_000)
    expect(scans.map((scan) => statuses.get(scan.id))).toEqual(scans.map(() => "COMPLETED"))
    for (const scan of scans) {
      expect(yield* resultSet((path) => call<Page>("GET", path), scan.id)).toEqual(expected[scan.definition])
    }
    // No process died (none is restarted here).
    expect(procs.map((proc) => `${proc.name} ${proc.child.exitCode ?? proc.child.signalCode ?? "running"}`)).toEqual(
      procs.map((proc) => `${proc.name} running`)
    )
  }).pipe(
    Effect.timeoutFail({
      duration: "210 seconds",
      onTimeout: () => new Error("the store restart test ran out of time")
    }),
    Effect.tapErrorCause(() => Effect.flatMap(logTails(logs), (tails) => Effect.sync(() => console.error(tails)))),
    Effect.scoped
  )
}

describe("a store restarting mid-scan", () => {
  it.live(
    "PostgreSQL: every process survives, every scan completes with the fault-free results",
    () =>
      scansSurvive(Effect.gen(function*() {
        const pg = yield* ownPostgres
        return { DATABASE_URL: pg.url, REDIS_URL: yield* redisUrl, restart: pg.restart }
      })),
    { timeout: 240_000 }
  )

  it.live("Redis with its append-only file: nothing lost, nothing doubled", () =>
    scansSurvive(Effect.gen(function*() {
      const redis = yield* ownRedis
      return { DATABASE_URL: yield* freshDatabase, REDIS_URL: redis.url, restart: redis.restart }
    })), { timeout: 240_000 })
})
