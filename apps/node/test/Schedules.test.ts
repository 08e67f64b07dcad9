/**
 * Schedules on a cluster of processes: a gateway and three nodes on real Redis, Postgres and FerretDB, a schedule due
 * every two seconds, the node holding its shard killed with SIGKILL, then the node that took it over stopped with
 * SIGTERM (a handoff). Every due time from the first to the last is recorded exactly once (none missed: the takeover
 * comes well within the grace), each started run is one scan, and the records were written under three epochs of the
 * shard (the schedule really moved twice).
 */
import { describe, expect, it } from "@effect/vitest"
import { leaseKey } from "@mirage/runtime/cluster/ShardLeases/Redis"
import { shardOf } from "@mirage/runtime/cluster/Shards"
import * as RedisClient from "@mirage/runtime/platform/RedisClient"
import { FixtureWorld } from "@mirage/testkit"
import { freshDatabase, freshMongoDatabase, freshRedisPrefix, redisUrl } from "@mirage/testkit/TestStores"
import { Effect, Redacted } from "effect"
import { randomBytes } from "node:crypto"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import postgres from "postgres"
import { envFor } from "../dev/Sandbox.js"
import { launch, waitForGateway } from "../src/Launcher.js"
import { freePort, gatewayCaller, logTails } from "./Scans.js"

/** The node holding a shard's lease, read straight from Redis. */
const holderOf = (url: string, prefix: string, shard: number) =>
  RedisClient.make({ url: Redacted.make(url), prefix }).pipe(
    Effect.flatMap(({ key, redis }) => Effect.promise(() => redis.get(leaseKey(key, shard)))),
    Effect.map((lease) => lease?.split("|")[0]),
    Effect.scoped
  )

const logsFolder = mkdtempSync(join(tmpdir(), "mirage-schedules-"))

interface RunRow {
  readonly due_at: string
  readonly outcome: string
  readonly scan_ids: ReadonlyArray<string>
  readonly epoch: string
}

describe("schedules on a cluster of processes", () => {
  it.live(
    "a schedule every two seconds survives kill -9 of its node, then SIGTERM of the next: each due time once",
    () =>
      Effect.gen(function*() {
        const world = yield* FixtureWorld.make
        const databaseUrl = yield* freshDatabase
        const mongo = yield* freshMongoDatabase
        const prefix = (yield* freshRedisPrefix).replace(/:$/, "")
        const redis = yield* redisUrl
        const key = `mk_test_${randomBytes(24).toString("base64url")}`
        const port = yield* freePort
        const base = `http://127.0.0.1:${port}`
        const procs = yield* launch({
          port,
          nodes: 3,
          output: { logs: logsFolder },
          env: {
            ...envFor(world),
            DATABASE_URL: databaseUrl,
            MONGODB_URL: mongo.url,
            REDIS_URL: redis,
            MIRAGE_REDIS_PREFIX: prefix,
            MIRAGE_BOOTSTRAP_API_KEY: key,
            MIRAGE_SCHEDULE_REFRESH_MS: "250",
            // A loaded machine may take long to fail over: a due time is missed only past a minute.
            MIRAGE_SCHEDULE_GRACE_MS: "60000"
          }
        })
        yield* waitForGateway(base, procs[0], "240 seconds").pipe(Effect.orDie)
        const call = gatewayCaller(base, key)

        const schedule = yield* call<{ id: string }>("POST", "/schedules", {
          name: "every two seconds",
          cron: "*/2 * * * * *",
          overlap: "queue_one",
          catch_up: "run_once",
          scan: {
            targets: [{ type: "DOMAIN", value: world.domain }],
            modules: [{ id: "dns_resolve" }],
            configuration: { recursion_depth: 0 }
          }
        })
        const shard = shardOf(schedule.id, 128)
        // Fires on whichever node holds the shard; the shards may still move while the three nodes settle.
        yield* Effect.sleep("12 seconds")
        const owner = yield* holderOf(redis, prefix, shard)
        expect(owner).toMatch(/^node-[123]$/)
        const index = Number(owner!.slice("node-".length))
        procs[index]!.child.kill("SIGKILL")
        yield* Effect.sleep("25 seconds")
        const survivor = yield* holderOf(redis, prefix, shard)
        expect(survivor).not.toBe(owner)
        // A graceful stop of the new holder: its schedule hands off to the third node.
        expect(survivor).toMatch(/^node-[123]$/)
        procs[Number(survivor!.slice("node-".length))]!.child.kill("SIGTERM")
        yield* Effect.sleep("12 seconds")
        const third = yield* holderOf(redis, prefix, shard)
        expect(third).toBeDefined()
        expect(third).not.toBe(survivor)

        const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined })
        const rows = yield* Effect.promise(() =>
          sql<Array<RunRow>>`
          SELECT due_at::text AS due_at, outcome, scan_ids, epoch::text AS epoch
          FROM schedule_runs WHERE schedule_id = ${schedule.id} ORDER BY due_at`
        )
        const scans = yield* Effect.promise(() =>
          sql<Array<{ id: string }>>`SELECT id::text AS id FROM scans WHERE name LIKE 'every two seconds%'`
        ).pipe(Effect.ensuring(Effect.promise(() => sql.end())))

        const dues = rows.map((row) => Number(row.due_at))
        expect(dues.length).toBeGreaterThan(12)
        // Every due time from the first to the last, each once: no gap, no repeat.
        expect(dues).toEqual(dues.map((_, i) => dues[0]! + 2_000 * i))
        expect(rows.filter((row) => row.outcome === "missed")).toEqual([])
        // The records were written by three owners: before the kill, after the takeover and after the handoff.
        expect(new Set(rows.map((row) => row.epoch)).size).toBeGreaterThanOrEqual(3)
        // Each started (or still queued) run is its own scan, and no scan was created twice or without a record.
        const runScans = rows.filter((row) => row.outcome === "started").flatMap((row) => row.scan_ids)
        expect(new Set(runScans).size).toBe(runScans.length)
        const queued = rows.filter((row) => row.outcome === "queued").flatMap((row) => row.scan_ids)
        expect(scans.map((s) => s.id).sort()).toEqual(
          expect.arrayContaining(runScans.slice().sort())
        )
        expect(scans.every((s) => runScans.includes(s.id) || queued.includes(s.id))).toBe(true)

        const listed = yield* call<{ items: Array<{ due_at: string }> }>(
          "GET",
          `/schedules/${schedule.id}/runs?limit=200`
        )
        expect(listed.items.length).toBe(rows.length)
      }).pipe(
        Effect.timeoutFail({
          duration: "330 seconds",
          onTimeout: () => new Error("the schedules test ran out of time")
        }),
        Effect.tapErrorCause(() =>
          Effect.flatMap(logTails(logsFolder), (tails) => Effect.sync(() => console.error(tails)))
        ),
        Effect.scoped
      ),
    { timeout: 360_000 }
  )
})
