/**
 * The deterministic simulation: several nodes in one process on shared in-memory twins, under a test clock, with
 * seeded kills, graceful stops, stalls, freezes, CPU starvation, late deliveries and lease-store and membership outages,
 * while scans run over a synthetic world. After every step it checks ownership, fencing and result uniqueness; once
 * faults stop, that every started scan ends exactly once and that completed scans lost nothing. A seed replays exactly.
 *
 * This is the run's course (faults and users, heal, settle, verdict); the cluster it runs is SimCluster, the faults
 * Faults, the users Users, the final checks Verdict. What a run is asked and what it reports live in Options.ts.
 */
import { isTerminal } from "@mirage/domain/Scan"
import { Clock, Effect, Logger, LogLevel, Random, TestClock } from "effect"
import * as Faults from "./Faults.js"
import * as Invariants from "./Invariants.js"
import { defaults } from "./Options.js"
import type { Options, Report } from "./Options.js"
import * as Prng from "./Prng.js"
import { SimClock } from "./SimClock.js"
import * as SimCluster from "./SimCluster.js"
import * as SimSchedules from "./SimSchedules.js"
import * as Users from "./Users.js"
import * as Verdict from "./Verdict.js"
import * as World from "./World.js"

export * from "./Options.js"

/** One seeded run. Needs a test clock (TestContext) around it unless `clock` is "sim", which brings its own. */
export const run = (seed: number, overrides: Partial<Options> = {}): Effect.Effect<Report> => {
  const options: Options = { ...defaults, ...overrides }
  const program = Effect.scoped(simulate(seed, options)).pipe(
    Effect.withRandom(Random.make(seed)),
    Logger.withMinimumLogLevel(LogLevel.None)
  )
  return options.clock === "sim" ? Effect.withClock(program, new SimClock(0)) : program
}

const simulate = (seed: number, options: Options) =>
  Effect.gen(function*() {
    const prng = Prng.make(seed)
    const world = World.make(seed, options.world)
    const ledger = yield* Invariants.makeLedger
    const origin = yield* Clock.currentTimeMillis
    const now = Effect.map(Clock.currentTimeMillis, (t) => t - origin)
    const cluster = yield* SimCluster.make(options, world, ledger)
    const faults = Faults.make(cluster, options, prng, ledger)
    const users = Users.make(seed, options, world, prng, cluster, ledger)

    if ((options.schedules ?? 0) > 0) {
      SimSchedules.seed(cluster.schedules, options.schedules ?? 0, options.shards, yield* Clock.currentTimeMillis)
    }
    for (let i = 0; i < options.nodes; i++) yield* cluster.startNode

    let steps = 0
    const step = Effect.gen(function*() {
      ledger.step = ++steps
      yield* TestClock.adjust(options.quantumMs)
      yield* Effect.suspend(() =>
        Invariants.checkHosts(
          ledger,
          cluster.nodes.filter((n) => n.state !== "down").map((n) => ({ node: n.id, epochs: n.epochs() }))
        )
      )
    })

    // Faults and users.
    const faultChance = options.faultsPerSecond * options.quantumMs / 1000
    while ((yield* now) < options.faultMs && ledger.violations.length === 0) {
      const t = yield* now
      yield* users.act(t)
      yield* faults.recover(t)
      if (t >= 2000 && prng.chance(faultChance)) yield* faults.inject(t)
      yield* step
    }

    // Heal: every stall ends, outages end, deliveries are on time, dead nodes come back.
    yield* Invariants.note(ledger, "faults stop")
    yield* faults.heal
    cluster.events.outage = false
    yield* users.finish
    for (const node of cluster.nodes) {
      node.delay.ms = 0
      node.gate.lag.ms = 0
      if (node.gate.stalled()) yield* node.gate.resume
    }
    cluster.leaseHub.outage = false
    cluster.membershipHub.outage = false
    while (cluster.up().length < options.nodes) yield* faults.restart

    // Settle: run on until every started scan has ended; a user resumes what is left paused.
    const settleEnd = (yield* now) + options.settleMs
    let lastResume = yield* now
    while ((yield* now) < settleEnd && ledger.violations.length === 0) {
      const statuses = yield* Effect.forEach(users.scans, users.status)
      if (statuses.every((s) => s !== undefined && isTerminal(s))) break
      const t = yield* now
      if (t - lastResume >= 5000) {
        lastResume = t
        yield* users.resumePaused(statuses)
      }
      yield* step
    }
    // A little longer, for late writes to show up.
    for (let i = 0; i < 20 && ledger.violations.length === 0; i++) yield* step

    const outcomes = yield* Verdict.check(cluster, options, world, ledger, users.scans)
    // Due times up to a few refreshes ago must all be recorded by now, each once.
    const scheduleRecords = (options.schedules ?? 0) > 0
      ? yield* SimSchedules.check(cluster.schedules, ledger, (yield* Clock.currentTimeMillis) - 5_000)
      : 0
    for (const node of cluster.nodes) if (node.state !== "down") yield* cluster.kill(node)

    return {
      seed,
      steps,
      simulatedMs: yield* now,
      faults: faults.counts,
      scans: users.scans.length,
      ...outcomes,
      results: cluster.results.byId.size,
      leaseAcquisitions: ledger.counts.acquisitions,
      fencedAppends: ledger.counts.fencedAppends,
      staleAppendsRefused: ledger.counts.staleRefused,
      scheduleRecords,
      violations: ledger.violations
    } satisfies Report
  })
