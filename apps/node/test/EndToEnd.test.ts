import { describe, expect, layer as withLayer } from "@effect/vitest"
import { resultHash } from "@mirage/domain/Entity"
import { TaskExecutor } from "@mirage/runtime/collection/TaskExecutor"
import * as Metrics from "@mirage/runtime/platform/Metrics"
import { PgClient } from "@mirage/runtime/platform/PgClient"
import { ResultStore } from "@mirage/runtime/scans/ResultStore"
import { FixtureWorld } from "@mirage/testkit"
import { Effect, Layer, Metric } from "effect"
import { get, newCaller, post } from "../../gateway/test/Gateway.js"
import type { Caller } from "../../gateway/test/Gateway.js"
import { allResults, layer, RealExecutor, startNode, World } from "./Stack.js"

interface Status {
  readonly status: string
  readonly progress: number
  readonly result_count: number
  readonly status_reason: string | null
}

const terminal = ["COMPLETED", "FAILED", "CANCELLED"]

/** What dns_resolve finds for crt.sh's names in the sandbox zone: their A/AAAA, following CNAMEs. */
const addressesOfCertificateNames = () => {
  const addresses = new Set<string>()
  for (const name of FixtureWorld.expected.certificateNames) {
    let entry = FixtureWorld.zone[name]
    for (let hops = 0; entry?.CNAME !== undefined && hops < 5; hops++) entry = FixtureWorld.zone[entry.CNAME]
    for (const ip of [...(entry?.A ?? []), ...(entry?.AAAA ?? [])]) addresses.add(ip)
  }
  return addresses
}

/** Polls /status until the scan ends (bounded); returns every status seen, in order. */
const waitForEnd = (id: string, caller: Caller) =>
  Effect.gen(function*() {
    const seen: Array<Status> = []
    for (let i = 0; i < 600; i++) {
      const answer = yield* get(`/scans/${id}/status`, caller)
      const status = answer.body as Status
      seen.push(status)
      if (terminal.includes(status.status)) return seen
      yield* Effect.sleep("50 millis")
    }
    return seen
  })

const sandboxScan = (domain: string) => ({
  name: "sandbox footprint",
  target: { type: "DOMAIN", value: domain },
  modules: [{ id: "crtsh" }, { id: "dns_resolve" }],
  configuration: { recursion_depth: 2 }
})

describe("end to end", () => {
  // Real servers and real time: the nodes run their rounds on the wall clock.
  withLayer(layer, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.scoped("a scan through gateway, stream, actor and real modules finds the sandbox's names and their IPs", () =>
      Effect.gen(function*() {
        const world = yield* World
        const node = yield* startNode("e2e-a")
        const caller = yield* newCaller("analyst")
        const created = yield* post("/scans", sandboxScan(world.domain), caller)
        expect(created.status).toBe(201)
        const id = (created.body as { id: string }).id
        const started = yield* post(`/scans/${id}/start`, {}, caller)
        expect([200, 202]).toContain(started.status)
        const statuses = yield* waitForEnd(id, caller)
        const last = statuses.at(-1)!
        expect(last.status).toBe("COMPLETED")
        expect(last.progress).toBe(1)
        // Progress never went down on the way.
        statuses.reduce((prev, s) => {
          expect(s.progress).toBeGreaterThanOrEqual(prev)
          return s.progress
        }, 0)

        const results = yield* allResults(id, caller, 7)
        const domains = results.filter((r) => r.data_type === "DOMAIN").map((r) => r.data)
        const ips = results.filter((r) => r.data_type === "IP").map((r) => r.data)
        // crt.sh's names (the target itself is not a result of its own scan)...
        for (const name of world.expected.certificateNames) if (name !== world.domain) expect(domains).toContain(name)
        // ...and the addresses that DNS resolution found for them: one module's output fed the other.
        expect(new Set(ips)).toEqual(addressesOfCertificateNames())
        for (const absent of world.expected.absent) expect([...domains, ...ips]).not.toContain(absent)
        expect(results.filter((r) => r.module_id === "dns_resolve").length).toBeGreaterThan(0)
        expect(new Set(results.map((r) => r.hash)).size).toBe(results.length)
        expect(last.result_count).toBe(results.length)
        // Every result names what it was discovered from: the target, or another result of the scan (a tree).
        const hashes = new Set(results.map((r) => r.hash))
        const target = resultHash("DOMAIN", world.domain)
        expect(results.every((r) => r.parent === target || hashes.has(r.parent!))).toBe(true)
        expect(results.some((r) => r.parent === target)).toBe(true)
        expect(results.some((r) => r.parent !== target)).toBe(true)

        // The scan's log in Postgres: contiguous, creation first, completion last.
        const sql = yield* PgClient
        const rows = yield* Effect.promise(() =>
          sql<
            Array<{ seq: number; type: string }>
          >`select seq, type from scan_events where scan_id = ${id} order by seq`
        )
        expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1))
        expect(rows[0]!.type).toBe("ScanCreated")
        expect(rows[1]!.type).toBe("ScanStarted")
        expect(rows.at(-1)!.type).toBe("ScanCompleted")

        // Running the tasks again (as a redelivery or takeover would) stores nothing new.
        const store = yield* ResultStore
        expect(yield* store.insert(id, results)).toBe(0)
        expect(yield* store.count(id)).toBe(results.length)
        yield* node.stop
      }))

    it.scoped("a node killed mid-scan is replaced: its running tasks run again and nothing is lost or doubled", () =>
      Effect.gen(function*() {
        const world = yield* World
        const real = yield* RealExecutor
        // The first node never finishes a DNS task: when it dies, those tasks are in flight.
        const stuck = Layer.effect(
          TaskExecutor,
          Effect.map(Effect.provide(TaskExecutor, real), (executor) =>
            TaskExecutor.of({
              run: (task) => (task.module_id === "dns_resolve" ? Effect.never : executor.run(task))
            }))
        )
        const first = yield* startNode("e2e-b1", stuck)
        const caller = yield* newCaller("analyst")
        const created = yield* post("/scans", sandboxScan(world.domain), caller)
        const id = (created.body as { id: string }).id
        yield* post(`/scans/${id}/start`, {}, caller)
        for (let i = 0; i < 400; i++) {
          const status = (yield* get(`/scans/${id}/status`, caller)).body as { tasks: { running: number } }
          if (status.tasks.running > 0) break
          yield* Effect.sleep("25 millis")
        }
        yield* first.kill
        const moved = Metric.tagged(Metrics.takeovers, "from", "node")
        const movedBefore = (yield* Metric.value(moved)).count
        const second = yield* startNode("e2e-b2")
        const statuses = yield* waitForEnd(id, caller)
        // The dead node's shards were taken over: counted as moved from another node, not as first owners.
        expect((yield* Metric.value(moved)).count).toBeGreaterThan(movedBefore)
        expect(statuses.at(-1)!.status).toBe("COMPLETED")
        const results = yield* allResults(id, caller, 7)
        expect(new Set(results.filter((r) => r.data_type === "IP").map((r) => r.data))).toEqual(
          addressesOfCertificateNames()
        )
        expect(new Set(results.map((r) => r.hash)).size).toBe(results.length)
        expect(statuses.at(-1)!.result_count).toBe(results.length)
        yield* second.stop
      }))
  })
})
