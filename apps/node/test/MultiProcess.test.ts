/**
 * The real thing: a gateway of two workers and three node processes on real Redis, Postgres and FerretDB, twenty
 * scans, one node killed with SIGKILL mid-scan. Every scan completes, and each scan's results
 * equal those of the same scan run on a single node: nothing lost, nothing doubled.
 */
import { describe, expect, it } from "@effect/vitest"
import { leaseKey } from "@mirage/runtime/cluster/ShardLeases/Redis"
import { shardOf } from "@mirage/runtime/cluster/Shards"
import * as RedisClient from "@mirage/runtime/platform/RedisClient"
import { scanTrace } from "@mirage/runtime/platform/Tracing"
import { FixtureWorld } from "@mirage/testkit"
import * as OtlpCollector from "@mirage/testkit/OtlpCollector"
import { freshDatabase, freshMongoDatabase, freshRedisPrefix, redisUrl } from "@mirage/testkit/TestStores"
import { Effect, Redacted } from "effect"
import { randomBytes } from "node:crypto"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import postgres from "postgres"
import { envFor } from "../dev/Sandbox.js"
import { launch, waitForGateway } from "../src/Launcher.js"
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

/** The node holding each of the 128 shards' leases (`owner|epoch`), read straight from Redis. */
const leaseHolders = (url: string, prefix: string) =>
  RedisClient.make({ url: Redacted.make(url), prefix }).pipe(
    Effect.flatMap(({ key, redis }) =>
      Effect.promise(() => Promise.all(Array.from({ length: 128 }, (_, shard) => redis.get(leaseKey(key, shard)))))
    ),
    Effect.map((leases) => leases.map((lease) => lease?.split("|")[0])),
    Effect.scoped
  )

/** The lease holders once every shard is held, by three nodes, and two readings a second apart agree. */
const settledHolders = (url: string, prefix: string) =>
  Effect.gen(function*() {
    let previous: Array<string | undefined> = []
    for (let i = 0; i < 60; i++) {
      const now = yield* leaseHolders(url, prefix)
      const complete = now.every((owner) => owner !== undefined) && new Set(now).size === 3
      if (complete && now.join() === previous.join()) return now
      previous = now
      yield* Effect.sleep("1 second")
    }
    return yield* Effect.dieMessage("the three nodes never settled on a split of the shards")
  })

/** Where the children write their logs. */
const logsFolder = mkdtempSync(join(tmpdir(), "mirage-cluster-"))

describe("a cluster of processes", () => {
  it.live("twenty scans survive kill -9 of a node, with the results a single node finds", () =>
    Effect.gen(function*() {
      const expected = yield* reference
      expect(expected.every((set) => set.length > 0)).toBe(true)

      const world = yield* FixtureWorld.make
      // Slow certificate searches keep tasks in flight when the node dies.
      yield* world.crtsh.setLatency(1500)
      // Every process exports its spans over OTLP, as it would to an OpenTelemetry collector.
      const collector = yield* OtlpCollector.make
      const databaseUrl = yield* freshDatabase
      const mongo = yield* freshMongoDatabase
      const prefix = (yield* freshRedisPrefix).replace(/:$/, "")
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
          REDIS_URL: yield* redisUrl,
          MIRAGE_REDIS_PREFIX: prefix,
          MIRAGE_BOOTSTRAP_API_KEY: key,
          // The gateway as two workers sharing its port: every call below may reach either.
          MIRAGE_GATEWAY_WORKERS: "2",
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
          OTEL_BSP_SCHEDULE_DELAY: "200"
        }
      })
      yield* waitForGateway(base, procs[0], "90 seconds").pipe(Effect.orDie)

      const call = gatewayCaller(base, key)
      // Scans start once the three nodes share the shards and the split has settled, so that
      // until the kill each scan lives on one node (a shard moving as a node joins would take
      // earlier tasks' owner out of the reading below).
      const settled = yield* settledHolders(yield* redisUrl, prefix)

      const scans: Array<{ id: string; definition: number }> = []
      for (let i = 0; i < 20; i++) {
        const definition = i % 4
        const created = yield* call<{ id: string }>("POST", "/scans", body(definitions(world.domain)[definition]!))
        scans.push({ id: created.id, definition })
      }
      yield* Effect.forEach(scans, (scan) => call("POST", `/scans/${scan.id}/start`), { concurrency: 20 })
      // The kill must find a node mid-scan: a scan on a shard the node holds at that moment started there (events
      // under its epoch) and has seconds of work left. Certificate searches take 1.5 s each here, so a scan of the
      // first two definitions that started less than a second ago does; the node holding it is the one killed. (A
      // scan merely RUNNING may end in the milliseconds before the kill; a node chosen in advance may have none.)
      const readings: Array<ReadonlyArray<string | undefined>> = [settled]
      const slow = scans.filter((scan) => definitions(world.domain)[scan.definition]!.modules.includes("crtsh"))
      const youngSlowScanOwner = Effect.gen(function*() {
        const holders = yield* leaseHolders(yield* redisUrl, prefix)
        readings.push(holders)
        const reads = yield* Effect.forEach(
          slow,
          (scan) => call<{ status: string; elapsed_seconds: number }>("GET", `/scans/${scan.id}/status`)
        )
        const young = slow.find((_, i) => reads[i]!.status === "RUNNING" && reads[i]!.elapsed_seconds < 1)
        return young === undefined ? undefined : holders[shardOf(young.id, 128)]
      })
      let doomedName: string | undefined
      for (let i = 0; i < 400 && doomedName === undefined; i++) {
        doomedName = yield* youngSlowScanOwner
        if (doomedName === undefined) yield* Effect.sleep("50 millis")
      }
      expect(doomedName).toBeDefined()
      // The scans on shards the doomed node held since the split: their spans not yet exported die with it.
      const heldByKilled = new Set(
        scans.filter((scan) => readings.some((owners) => owners[shardOf(scan.id, 128)] === doomedName)).map((scan) =>
          scan.id
        )
      )
      const doomed = procs.find((proc) => proc.name === doomedName)
      expect(doomed).toBeDefined()
      doomed!.child.kill("SIGKILL")
      const killedAt = Date.now()

      const statuses = yield* finalStatuses(call, scans.map((scan) => scan.id), 90_000)
      expect([...statuses.values()]).toEqual(scans.map(() => "COMPLETED"))

      for (const scan of scans) {
        const found = yield* resultSet((path) => call<Page>("GET", path), scan.id)
        expect(found).toEqual(expected[scan.definition])
      }

      // One trace per scan, written by whichever processes worked on it: every task and command span
      // is a child of the scan's root span, whose ids derive from the scan id. The root is written once,
      // by the node that ended the scan; a scan that ended after the kill ended on a survivor, so its
      // root must arrive (the killed node's unexported spans die with it).
      const ids = new Map(scans.map((scan) => [scan.id, scanTrace(scan.id)]))
      const endedAfterKill = new Set<string>()
      for (const scan of scans) {
        const read = yield* call<{ completed_at: string }>("GET", `/scans/${scan.id}`)
        if (Date.parse(read.completed_at) > killedAt) endedAfterKill.add(scan.id)
      }
      expect(endedAfterKill.size).toBeGreaterThan(0)
      const rootArrived = (id: string) =>
        collector.spans().some((span) => span.name === "scan" && span.traceId === ids.get(id)!.traceId)
      for (let i = 0; i < 100 && ![...endedAfterKill].every(rootArrived); i++) yield* Effect.sleep("100 millis")
      const spans = collector.spans()
      for (const scan of scans) {
        const { spanId, traceId } = ids.get(scan.id)!
        const trace = spans.filter((span) => span.traceId === traceId)
        const top = trace.filter((span) => span.parentSpanId === undefined)
        expect(top.map((span) => `${span.name} ${span.spanId}`)).toEqual(
          endedAfterKill.has(scan.id) || top.length > 0 ? [`scan ${spanId}`] : []
        )
        if (top.length > 0) expect(top[0]!.attributes["mirage.scan.status"]).toBe("COMPLETED")
        const children = trace.filter((span) => span.name === "task" || span.name === "scan.command")
        if (!heldByKilled.has(scan.id)) expect(children.length).toBeGreaterThan(0)
        expect(children.every((span) => span.parentSpanId === spanId)).toBe(true)
      }
      const taskNodes = new Set(
        spans.filter((span) => span.name === "task").map((s) => s.resource["service.instance.id"])
      )
      expect(taskNodes.size).toBeGreaterThanOrEqual(2)
      expect(spans.some((span) => span.resource["service.name"] === "mirage-gateway")).toBe(true)

      // The kill really happened mid-scan: some scans were written under two owners' epochs.
      const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined })
      const moved = yield* Effect.promise(() =>
        sql<Array<{ n: number }>>`
          select count(*)::int as n from (
            select scan_id from scan_events where epoch is not null group by scan_id having count(distinct epoch) > 1
          ) moved`
      ).pipe(Effect.ensuring(Effect.promise(() => sql.end())))
      expect(moved[0]!.n).toBeGreaterThan(0)
    }).pipe(
      // Fails (with the children's logs) before the runner's own timeout would cut it short silently.
      Effect.timeoutFail({ duration: "200 seconds", onTimeout: () => new Error("the cluster test ran out of time") }),
      Effect.tapErrorCause(() =>
        Effect.flatMap(logTails(logsFolder), (tails) => Effect.sync(() => console.error(tails)))
      ),
      Effect.scoped
    ), { timeout: 240_000 })
})
