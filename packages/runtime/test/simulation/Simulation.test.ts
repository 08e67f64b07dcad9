/**
 * The deterministic simulation as a test: many seeds of several nodes under faults with no invariant violated, seeds
 * pinned for the bugs it found, a run on the stock TestClock, and deliberately broken stores that the checker must catch.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Simulation from "../../src/simulation/Simulation.js"

const { found, quick } = Simulation.presets

const seeds = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)

const expectClean = (report: Simulation.Report, preset: Simulation.Preset = "quick") => {
  if (report.violations.length > 0) {
    expect.fail(`${Simulation.describe(report)}\nreplay: npm run simulate -- --seed ${report.seed} --preset ${preset}`)
  }
}

describe("Simulation", () => {
  // 200 seeds in chunks, each its own test: a failure names its seed, and the worker answers its runner between chunks.
  for (const from of seeds(0, 8).map((i) => 1 + i * 25)) {
    it.effect(
      `seeds ${from}-${from + 24}: one owner per shard and epoch, no stale append, results once, scans end once`,
      () =>
        Effect.gen(function*() {
          let faults = 0
          for (const seed of seeds(from, 25)) {
            const report = yield* Simulation.run(seed, quick)
            expectClean(report)
            faults += Object.values(report.faults).reduce((a, b) => a + b, 0)
          }
          // Not vacuous: the runs did inject faults.
          expect(faults).toBeGreaterThan(25 * 5)
        }),
      60_000
    )
  }

  // Seeds that failed before the ShardHost fixes: an actor stopped before its fiber began left a dead slot that took
  // its scan's messages and rehydration for ever (38, 54: scan stuck RUNNING); a start given up because the store
  // failed or the shard moved during the load acknowledged the command as if the scan did not exist (65, 84, 108,
  // 133, 141: StartScan lost, scan stuck CREATED).
  it.effect("pinned seeds of fixed bugs", () =>
    Effect.gen(function*() {
      for (const seed of [38, 54, 65, 84, 108, 133, 141]) expectClean(yield* Simulation.run(seed, found), "found")
    }))

  // Full preset. 613: under a storm of takeovers a StartScan was claimed by six owners in turn, none of which kept the
  // shard long enough to handle it, and went to the dead letters as if it had failed six times (scan stuck CREATED).
  // 832: the event store was down while a node that had just taken a shard loaded its active scans; the
  // loads gave up and nothing tried again, so a scan of an owned shard had no actor and stayed RUNNING for ever.
  // The fault draws have changed since, so the seed may no longer replay it: cluster/Rehydration.test.ts does.
  it.effect("pinned seeds of fixed bugs, full preset", () =>
    Effect.gen(function*() {
      for (const seed of [832, 613]) expectClean(yield* Simulation.run(seed, Simulation.presets.full), "full")
    }))

  it.effect("a seed replays exactly", () =>
    Effect.gen(function*() {
      const first = yield* Simulation.run(7, quick)
      const second = yield* Simulation.run(7, quick)
      expect(second).toEqual(first)
    }))

  it.effect("runs on the stock TestClock too", () =>
    Effect.gen(function*() {
      const report = yield* Simulation.run(3, { ...quick, clock: "test" })
      expectClean(report)
      expect(report.completed + report.failed + report.cancelled).toBe(report.scans)
    }), 60_000)

  it.effect("catches an event store that ignores the fence", () =>
    Effect.gen(function*() {
      // Freezes: a node whose process stops half-way through a write sends it when it thaws, under its old epoch.
      const reports = yield* Effect.forEach(seeds(1, 10), (seed) =>
        Simulation.run(seed, { ...quick, sabotage: "ignore-fence", faultKinds: ["freeze"] }))
      const caught = reports.filter((r) =>
        r.violations.some((v) => v.invariant === "stale-append")
      )
      expect(caught.length).toBeGreaterThan(0)
    }))

  // A node's own stalls, with no other fault: a frozen process (its leases expire while it sleeps) and a starved one (its
  // timers and I/O late). One node keeps 32 shards busy: after each freeze longer than a lease it takes them back once
  // and keeps them; starvation within the leases' margin costs none. Before renewals had a schedule of their own, the
  // ownership round took its shards one after another while renewals waited, and a busy node lost them over and over.
  it.effect(
    "a node that freezes or starves takes its shards back once per freeze, then keeps them",
    () =>
      Effect.gen(function*() {
        for (const seed of seeds(1, 10)) {
          const report = yield* Simulation.run(seed, {
            ...quick,
            nodes: 1,
            shards: 32,
            scans: 12,
            faultKinds: ["freeze", "starve"]
          })
          expectClean(report)
          expect(report.faults.freeze + report.faults.starve).toBeGreaterThan(0)
          expect(report.leaseAcquisitions, Simulation.describe(report)).toBeLessThanOrEqual(
            32 * (1 + report.faults.freeze)
          )
        }
      }),
    60_000
  )

  it.effect("catches a result store that reports duplicates as new", () =>
    Effect.gen(function*() {
      const reports = yield* Effect.forEach(seeds(1, 10), (seed) =>
        Simulation.run(seed, { ...quick, sabotage: "double-results" }))
      expect(reports.some((r) =>
        r.violations.some((v) => v.invariant === "result-once")
      )).toBe(true)
    }))
})

describe("Simulation with schedules", () => {
  // Nodes killed, stopped, stalled and frozen while schedules fire every few seconds: each due time recorded once.
  it.effect(
    "each due time fired exactly once, across kills, stops, stalls and takeovers",
    () =>
      Effect.gen(function*() {
        let records = 0
        for (const seed of [1, 2, 3]) {
          const report = yield* Simulation.run(seed, { ...quick, schedules: 4 })
          expectClean(report)
          records += report.scheduleRecords
        }
        // Not vacuous: 20 s of faults and the settling after, four schedules of 2-7 s periods, three seeds.
        expect(records).toBeGreaterThan(3 * 25)
      }),
    120_000
  )
})
