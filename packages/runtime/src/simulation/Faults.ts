/**
 * The faults a simulation injects: which kinds can strike now, one drawn from the seed, and the recovery each
 * schedules (a restart, a resume, an outage's end) for later simulated time.
 */
import { Effect } from "effect"
import * as Invariants from "./Invariants.js"
import type { Ledger } from "./Invariants.js"
import type { FaultKind, Options } from "./Options.js"
import type * as Prng from "./Prng.js"
import type { SimCluster, SimNode } from "./SimCluster.js"

export interface Faults {
  /** How many of each kind were injected. */
  readonly counts: Record<FaultKind, number>
  /** Injects one fault drawn from those that can strike now, if any may. */
  readonly inject: (t: number) => Effect.Effect<void>
  /** Runs the recoveries due by `t`. */
  readonly recover: (t: number) => Effect.Effect<void>
  /** Faults stop: every recovery still due runs now, except the restarts of dead nodes. */
  readonly heal: Effect.Effect<void>
  /** Starts a node in place of a dead one. */
  readonly restart: Effect.Effect<void>
}

const noFaults = (): Record<FaultKind, number> => ({
  kill: 0,
  stop: 0,
  restart: 0,
  stall: 0,
  freeze: 0,
  starve: 0,
  delay: 0,
  leaseOutage: 0,
  membershipOutage: 0,
  storeOutage: 0
})

/** The kinds of fault that can strike the cluster as it is now. */
const possible = (cluster: SimCluster, live: ReadonlyArray<SimNode>): Array<FaultKind> => {
  const kinds: Array<FaultKind> = []
  if (live.length >= 2) kinds.push("kill", "stop")
  if (live.some((n) => !n.gate.stalled())) kinds.push("stall", "stall", "freeze")
  if (live.some((n) => n.gate.lag.ms === 0)) kinds.push("starve")
  if (live.some((n) => n.delay.ms === 0)) kinds.push("delay")
  if (!cluster.leaseHub.outage) kinds.push("leaseOutage")
  if (!cluster.membershipHub.outage) kinds.push("membershipOutage")
  if (!cluster.events.outage) kinds.push("storeOutage")
  return kinds
}

type StoreFault = "leaseOutage" | "membershipOutage" | "storeOutage"
type NodeFault = Exclude<FaultKind, StoreFault>

const isStoreFault = (kind: FaultKind): kind is StoreFault =>
  kind === "leaseOutage" || kind === "membershipOutage" || kind === "storeOutage"

/** What a fault needs to strike: the cluster, the seed's draws, the ledger, and where its recovery goes. */
interface Striker {
  readonly cluster: SimCluster
  readonly prng: Prng.Prng
  readonly ledger: Ledger
  readonly later: (at: number, what: string, effect: Effect.Effect<void>) => void
  readonly restart: Effect.Effect<void>
}

/** Nodes out of the way: killed or stopped, stalled, frozen, starved of CPU, or receiving late. */
const strikeNode = (
  { cluster, later, ledger, prng, restart }: Striker,
  kind: NodeFault,
  t: number,
  live: ReadonlyArray<SimNode>
) =>
  Effect.gen(function*() {
    switch (kind) {
      case "kill":
      case "stop": {
        const victim = prng.pick(live)
        yield* kind === "kill" ? cluster.kill(victim) : cluster.stop(victim)
        later(t + prng.between(1000, 10_000), "restart", restart)
        return
      }
      case "stall": {
        const victim = prng.pick(live.filter((n) => !n.gate.stalled()))
        // Often longer than a lease: the node wakes up to find its shards taken.
        const ms = prng.between(500, 9000)
        yield* victim.gate.stall
        yield* Invariants.note(ledger, `${victim.id} stalled for ${ms}ms`)
        later(t + ms, `${victim.id} resumes`, victim.gate.resume)
        return
      }
      case "freeze": {
        const victim = prng.pick(live.filter((n) => !n.gate.stalled()))
        // A whole process stopped, often for longer than its leases: when it wakes, every timer it had is late
        // and what it was about to write goes out under the epoch it held before.
        const ms = prng.between(500, 12_000)
        yield* victim.gate.freeze
        yield* Invariants.note(ledger, `${victim.id} frozen for ${ms}ms`)
        later(t + ms, `${victim.id} thaws`, victim.gate.resume)
        return
      }
      case "starve": {
        const victim = prng.pick(live.filter((n) => n.gate.lag.ms === 0))
        victim.gate.lag.ms = prng.between(50, 800)
        yield* Invariants.note(ledger, `${victim.id} starved: timers and I/O late by ${victim.gate.lag.ms}ms`)
        later(
          t + prng.between(2000, 15_000),
          `${victim.id} has its CPU back`,
          Effect.sync(() => void (victim.gate.lag.ms = 0))
        )
        return
      }
      case "delay": {
        const victim = prng.pick(live.filter((n) => n.delay.ms === 0))
        victim.delay.ms = prng.between(200, 4000)
        yield* Invariants.note(ledger, `${victim.id} deliveries late by ${victim.delay.ms}ms`)
        later(
          t + prng.between(2000, 10_000),
          `${victim.id} deliveries on time`,
          Effect.sync(() => void (victim.delay.ms = 0))
        )
        return
      }
    }
  })

/** A shared store down for a while: the leases, the membership or the event store. */
const strikeStore = ({ cluster, later, ledger, prng }: Striker, kind: StoreFault, t: number) =>
  Effect.gen(function*() {
    switch (kind) {
      case "leaseOutage": {
        cluster.leaseHub.outage = true
        yield* Invariants.note(ledger, "lease store down")
        later(t + prng.between(500, 6000), "lease store up", Effect.sync(() => void (cluster.leaseHub.outage = false)))
        return
      }
      case "membershipOutage": {
        cluster.membershipHub.outage = true
        yield* Invariants.note(ledger, "membership down")
        later(
          t + prng.between(500, 6000),
          "membership up",
          Effect.sync(() => void (cluster.membershipHub.outage = false))
        )
        return
      }
      case "storeOutage": {
        cluster.events.outage = true
        yield* Invariants.note(ledger, "event store down")
        later(t + prng.between(300, 4000), "event store up", Effect.sync(() => void (cluster.events.outage = false)))
        return
      }
    }
  })

export const make = (cluster: SimCluster, options: Options, prng: Prng.Prng, ledger: Ledger): Faults => {
  const counts = noFaults()
  // Recoveries due later: [at, what].
  let recoveries: Array<readonly [number, string, Effect.Effect<void>]> = []
  const later = (at: number, what: string, effect: Effect.Effect<void>) => {
    recoveries.push([at, what, effect])
  }

  const restart = Effect.gen(function*() {
    counts.restart++
    yield* cluster.startNode
  })

  const inject = (t: number) =>
    Effect.gen(function*() {
      const live = cluster.up()
      const kinds = possible(cluster, live)
      const allowed = options.faultKinds === undefined
        ? kinds
        : kinds.filter((kind) => options.faultKinds!.includes(kind))
      if (allowed.length === 0) return
      const kind = prng.pick(allowed)
      counts[kind]++
      const striker = { cluster, prng, ledger, later, restart }
      yield* isStoreFault(kind) ? strikeStore(striker, kind, t) : strikeNode(striker, kind, t, live)
    })

  const recover = (t: number) =>
    Effect.gen(function*() {
      const due = recoveries.filter(([at]) => at <= t)
      recoveries = recoveries.filter(([at]) => at > t)
      for (const [, what, effect] of due) {
        yield* effect
        yield* Invariants.note(ledger, what)
      }
    })

  const heal = Effect.gen(function*() {
    for (const [, what, effect] of recoveries) {
      if (what === "restart") continue
      yield* effect
    }
    recoveries = []
  })

  return { counts, inject, recover, heal, restart }
}
