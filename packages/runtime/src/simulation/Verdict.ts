/**
 * What a simulation concludes once it has settled: every started scan ended exactly once (terminal-once), and every
 * scan that completed by running out of work stored exactly the results its world holds (results-lost).
 */
import { entityKey } from "@mirage/domain/Entity"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { Effect, Option } from "effect"
import * as ShardInboxMemory from "../cluster/ShardInbox/Memory.js"
import { shardOf } from "../cluster/Shards.js"
import * as Invariants from "./Invariants.js"
import type { Ledger } from "./Invariants.js"
import type { Options } from "./Options.js"
import type { SimCluster } from "./SimCluster.js"
import type { PlannedScan } from "./Users.js"
import type * as World from "./World.js"

export interface Outcomes {
  readonly completed: number
  readonly failed: number
  readonly cancelled: number
}

const terminalTags = new Set(["ScanCompleted", "ScanFailed", "ScanCancelled"])

/** A scan that did not end exactly once, with where its shard and its commands are, to tell why. */
const notEndedOnce = (
  cluster: SimCluster,
  options: Options,
  ledger: Ledger,
  scan: PlannedScan,
  ends: ReadonlyArray<{ readonly _tag: string }>,
  state: ScanState | undefined
) =>
  Effect.gen(function*() {
    const shard = shardOf(scan.id, options.shards)
    const dead = ShardInboxMemory.deadLetters(cluster.inboxes, shard).length
    const lease = cluster.leaseHub.leases.get(shard)
    const hosts = yield* Effect.forEach(
      cluster.nodes.filter((n) => n.state !== "down" && n.epochs().some((e) => e.shard === shard)),
      (n) => Effect.map(n.inFlight(shard), (busy) => `${n.id}(actors ${n.actors()}, in flight ${busy})`)
    )
    const pending = yield* cluster.gateway.inbox.pending(shard).pipe(Effect.orDie)
    yield* Invariants.violate(
      ledger,
      "terminal-once",
      `scan ${scan.id} has ${ends.length} terminal events (${ends.map((e) => e._tag).join(",")}), status ` +
        `${state?.status} (tasks ${JSON.stringify(state?.counts)}), shard ${shard} leased to ${lease?.owner} ` +
        `epoch ${lease?.epoch}, hosted by [${hosts.join(" ")}], ${pending.pending} pending and ${pending.lag} ` +
        `unread entries, ${dead} dead letters`
    )
  })

/** A completed scan's results against its world's closure of the target. */
const checkResults = (cluster: SimCluster, world: World.World, ledger: Ledger, scan: PlannedScan, state: ScanState) =>
  Effect.gen(function*() {
    const expected = world.closure(scan.target, scan.depth)
    const stored = new Set(
      Array.from(cluster.results.byId.values())
        .filter((r) => r.owner === scan.id)
        .map((r) => entityKey({ type: r.result.data_type, value: r.result.data }))
    )
    const missing = Array.from(expected).filter((key) => !stored.has(key))
    const extra = Array.from(stored).filter((key) => !expected.has(key))
    if (missing.length > 0 || extra.length > 0 || state.result_count !== expected.size) {
      yield* Invariants.violate(
        ledger,
        "results-lost",
        `scan ${scan.id} (depth ${scan.depth}) completed with ${stored.size} results, result_count ` +
          `${state.result_count}, expected ${expected.size}; missing [${missing.slice(0, 5).join(" ")}] extra ` +
          `[${extra.slice(0, 5).join(" ")}]`
      )
    }
  })

/** Checks every scan (unless a violation was already found) and counts how they ended. */
export const check = (
  cluster: SimCluster,
  options: Options,
  world: World.World,
  ledger: Ledger,
  scans: ReadonlyArray<PlannedScan>
): Effect.Effect<Outcomes> =>
  Effect.gen(function*() {
    let completed = 0
    let failed = 0
    let cancelled = 0
    if (ledger.violations.length > 0) return { completed, failed, cancelled }
    for (const scan of scans) {
      const log = cluster.events.logs.get(scan.id)?.events.map((e) => e.event) ?? []
      const ends = log.filter((e) => terminalTags.has(e._tag))
      const final = yield* cluster.gateway.events.load(scan.id).pipe(Effect.orDie)
      const state = Option.getOrUndefined(final)?.state
      if (ends.length !== 1 || state === undefined) {
        yield* notEndedOnce(cluster, options, ledger, scan, ends, state)
        continue
      }
      if (state.status === "COMPLETED") completed++
      if (state.status === "FAILED") failed++
      if (state.status === "CANCELLED") cancelled++
      if (state.status !== "COMPLETED" || state.reason !== "quiescent") continue
      yield* checkResults(cluster, world, ledger, scan, state)
    }
    return { completed, failed, cancelled }
  })
