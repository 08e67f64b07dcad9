/**
 * What a simulation run is asked (nodes, shards, scans, which faults, how often) and what it reports: the option sets
 * the CLI and the tests use, and the one-paragraph description of a report with its first violation's trace.
 */
import type { NodeSettings } from "../cluster/Node.js"
import type { Violation } from "./Invariants.js"
import * as World from "./World.js"
import type { WorldOptions } from "./World.js"

export type FaultKind =
  | "kill"
  | "stop"
  | "restart"
  | "stall"
  | "freeze"
  | "starve"
  | "delay"
  | "leaseOutage"
  | "membershipOutage"
  | "storeOutage"

/** Deliberate bugs, to show that the checker catches them. */
export type Sabotage = "none" | "ignore-fence" | "double-results"

export interface Options {
  readonly nodes: number
  readonly shards: number
  readonly scans: number
  /** Faults are injected during this much simulated time, then everything heals. */
  readonly faultMs: number
  /** After healing, at most this long for every started scan to end. */
  readonly settleMs: number
  /** Simulated time of one step. */
  readonly quantumMs: number
  /** Mean faults per simulated second. */
  readonly faultsPerSecond: number
  /** The kinds of fault injected; all by default. */
  readonly faultKinds?: ReadonlyArray<FaultKind>
  readonly slots: number
  /**
   * "sim": the fast SimClock (a TestClock); "test": the ambient TestClock from TestContext, exactly as tests use it
   * (slower: it polls real timers on every wake-up).
   */
  readonly clock: "sim" | "test"
  readonly sabotage: Sabotage
  /** Schedules (due every few seconds) the nodes fire besides the scans; none unless asked. */
  readonly schedules?: number
  readonly world: WorldOptions
  readonly node: Omit<NodeSettings, "nodeId" | "consumer">
}

export const defaults: Options = {
  nodes: 3,
  shards: 8,
  scans: 12,
  faultMs: 40_000,
  settleMs: 180_000,
  quantumMs: 250,
  faultsPerSecond: 0.6,
  slots: 8,
  clock: "sim",
  sabotage: "none",
  world: World.defaultWorld,
  node: {
    leaseTtlMs: 3000,
    memberTtlMs: 2000,
    roundMs: 500,
    movesPerRound: 4,
    readBlockMs: 1000,
    readCount: 64,
    drainMs: 1000,
    maxDeliveries: 5,
    passivateMs: 15_000,
    reclaimIdleMs: 5000,
    restartDelayMs: 500,
    scanConcurrency: 4,
    snapshotEvery: 25
  }
}

/** Named option sets: `full` for the CLI, `quick` for the test's hundreds of seeds. */
export const presets: Record<"full" | "quick" | "found", Partial<Options>> = {
  full: {},
  quick: { scans: 5, faultMs: 20_000, world: { ...World.defaultWorld, domains: 4, ips: 2, emails: 1 } },
  /** The preset under which the test's pinned seeds failed before their fixes. */
  found: { scans: 6, faultMs: 24_000, world: { ...World.defaultWorld, domains: 4, ips: 2, emails: 1 } }
}

export type Preset = keyof typeof presets

export interface Report {
  readonly seed: number
  readonly steps: number
  readonly simulatedMs: number
  readonly faults: Readonly<Record<FaultKind, number>>
  readonly scans: number
  readonly completed: number
  readonly failed: number
  readonly cancelled: number
  readonly results: number
  readonly leaseAcquisitions: number
  readonly fencedAppends: number
  readonly staleAppendsRefused: number
  /** Due times the schedules recorded (0 without schedules). */
  readonly scheduleRecords: number
  readonly violations: ReadonlyArray<Violation>
}

export const describe = (report: Report): string => {
  const faults = Object.entries(report.faults).map(([k, n]) => `${k}=${n}`).join(" ")
  const head = `seed ${report.seed}: ${report.steps} steps, ${report.simulatedMs}ms simulated, ${report.scans} scans ` +
    `(${report.completed} completed, ${report.failed} failed, ${report.cancelled} cancelled), ${report.results} ` +
    `results, ${report.leaseAcquisitions} lease acquisitions, ${report.staleAppendsRefused} stale appends refused; ` +
    `faults: ${faults}`
  const first = report.violations[0]
  if (first === undefined) return head
  return [
    head,
    `  ${report.violations.length} violation(s); first at step ${first.step} (t=${first.at}): ${first.invariant}: ${first.detail}`,
    ...first.trace.map((line) => `    ${line}`)
  ].join("\n")
}
