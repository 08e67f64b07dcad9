/**
 * Leases under load. A node process runs recursive scans over the fixture world (keyless modules, depth 3) and is
 * stopped with SIGSTOP for 10 s, longer than its leases: how many leases it takes from then until its scans end
 * (its 128 shards once each is the floor). Then kill -9 takeovers are timed while such a node keeps the machine busy.
 */
import { Entity } from "@mirage/domain/Entity"
import type { ScanId } from "@mirage/domain/Ids"
import type { PlannedModule } from "@mirage/domain/ScanEvent"
import { findModule } from "@mirage/modules/Registry"
import { FixtureWorld } from "@mirage/testkit"
import { freePort } from "@mirage/testkit/OwnStores"
import * as Prometheus from "@mirage/testkit/Prometheus"
import { Effect, Fiber, Option } from "effect"
import { randomUUID } from "node:crypto"
import { envFor } from "../dev/Sandbox.js"
import { start, stop } from "../src/Launcher.js"
import { countStatus, createScans, shards, startScans } from "./Harness.js"
import { nodeEnv } from "./Stores.js"
import type { BenchStores } from "./Stores.js"

const plan: ReadonlyArray<PlannedModule> = ["crtsh", "dns_resolve", "dns_records", "reverse_dns"].map((id) => {
  const module = Option.getOrThrow(findModule(id))
  return { id: module.id, input_types: module.input_types, output_types: module.output_types, config: {} }
})

const waitFor = <R>(check: Effect.Effect<boolean, unknown, R>, timeoutMs: number) =>
  Effect.gen(function*() {
    const until = Date.now() + timeoutMs
    while (!(yield* check) && Date.now() < until) yield* Effect.sleep("100 millis")
  })

/** A node process on the stores with its own fixture world; its /metrics read as totals. */
const busyNode = (stores: BenchStores) =>
  Effect.gen(function*() {
    const world = yield* FixtureWorld.make
    // Certificate searches this slow keep tasks in flight, and the scans going, through the stop.
    yield* world.crtsh.setLatency(2000)
    const metricsPort = yield* freePort
    const proc = yield* start(
      "bench-busy-node",
      "apps/node/src/main.ts",
      nodeEnv(stores, envFor(world), {
        MIRAGE_NODE_ID: "bench-busy",
        MIRAGE_METRICS_PORT: String(metricsPort),
        MIRAGE_SHARDS: String(shards)
      }),
      "ignore"
    )
    const total = (name: string) =>
      Prometheus.scrape(`http://127.0.0.1:${metricsPort}/metrics`).pipe(
        Effect.map((exposition) => Prometheus.total(exposition, name)),
        Effect.orElseSucceed(() => 0)
      )
    yield* waitFor(Effect.map(total("mirage_shards_owned"), (n) => n === shards), 60_000)
    /** Starts `n` recursive scans and waits (at most `timeoutMs`) until none is running. */
    const scans = (n: number, timeoutMs: number) =>
      Effect.gen(function*() {
        const ids = Array.from({ length: n }, () => randomUUID() as ScanId)
        yield* createScans(ids, () => Entity.make({ type: "DOMAIN", value: world.domain }), plan, {
          recursion_depth: 3
        })
        yield* startScans(ids)
        yield* Effect.sleep("1 second")
        yield* waitFor(Effect.map(countStatus("RUNNING"), (running) => running === 0), timeoutMs)
      })
    return { proc, total, scans }
  })

/** Lease acquisitions of a busy node from a 10 s SIGSTOP until its 40 scans end. */
export const acquisitionsAfterStall = (stores: BenchStores) =>
  Effect.gen(function*() {
    const node = yield* busyNode(stores)
    const work = yield* Effect.fork(node.scans(40, 180_000))
    yield* Effect.sleep("3 seconds")
    const before = yield* node.total("mirage_takeovers_total")
    node.proc.child.kill("SIGSTOP")
    yield* Effect.sleep("10 seconds")
    node.proc.child.kill("SIGCONT")
    yield* Fiber.join(work)
    const acquisitions = (yield* node.total("mirage_takeovers_total")) - before
    const selfFenced = yield* node.total("mirage_leases_self_fenced_total")
    const owned = yield* node.total("mirage_shards_owned")
    yield* stop(node.proc, 1000)
    return { acquisitions, selfFenced, owned }
  })

/** Runs `effect` while a node process on `stores` keeps running batches of 40 recursive scans. */
export const underLoad = <A, E, R>(stores: BenchStores, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const node = yield* busyNode(stores)
    const load = yield* Effect.fork(Effect.forever(node.scans(40, 120_000)))
    yield* Effect.sleep("3 seconds")
    const result = yield* effect
    yield* Fiber.interrupt(load)
    yield* stop(node.proc, 1000)
    return result
  })
