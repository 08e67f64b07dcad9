/**
 * The users of a simulation, through the gateway: scans planned from the seed (target, depth, priority, when they
 * start, pause, resume or stop), created in the event store and commanded through the inboxes on schedule.
 */
import { Entity } from "@mirage/domain/Entity"
import type { OrganizationId, ScanId, UserId } from "@mirage/domain/Ids"
import { deriveUuid } from "@mirage/domain/Ids"
import { Priority, ScanConfiguration, ScanDefinition, ScanModule } from "@mirage/domain/Scan"
import type { ScanStatus } from "@mirage/domain/Scan"
import type { ScanCommand } from "@mirage/domain/ScanEvent"
import { decide, initial } from "@mirage/domain/ScanMachine"
import { Clock, Effect, Either, Option } from "effect"
import { shardOf } from "../cluster/Shards.js"
import * as Invariants from "./Invariants.js"
import type { Ledger } from "./Invariants.js"
import type { Options } from "./Options.js"
import type * as Prng from "./Prng.js"
import type { SimCluster } from "./SimCluster.js"
import * as World from "./World.js"

export interface PlannedScan {
  readonly id: ScanId
  readonly target: World.SimEntity
  readonly depth: number
  readonly priority: Priority
  readonly startAt: number
  readonly pauseAt: number | undefined
  readonly resumeAt: number | undefined
  readonly stopAt: number | undefined
  started: boolean
}

export interface Users {
  readonly scans: ReadonlyArray<PlannedScan>
  /** Runs the actions due by `t`, in order; one the gateway cannot do now (its store is down) waits for the next step. */
  readonly act: (t: number) => Effect.Effect<void>
  /** Runs every action left: with no faults, the gateway may not fail. */
  readonly finish: Effect.Effect<void>
  /** A scan's status as the gateway reads it; undefined before it is created. */
  readonly status: (scan: PlannedScan) => Effect.Effect<ScanStatus | undefined>
  /** Resumes the scans whose status (in the order of `scans`) is PAUSED. */
  readonly resumePaused: (statuses: ReadonlyArray<ScanStatus | undefined>) => Effect.Effect<void>
}

const header = {
  organization_id: "00000000-0000-4000-8000-00000000000a" as OrganizationId,
  user_id: "00000000-0000-4000-8000-00000000000b" as UserId,
  template_id: null,
  depends_on: null
}

const planScans = (seed: number, options: Options, world: World.World, prng: Prng.Prng): Array<PlannedScan> =>
  Array.from({ length: options.scans }, (_, i) => {
    const startAt = prng.int(Math.floor(options.faultMs * 0.6))
    const pauses = prng.chance(0.2)
    const pauseAt = pauses ? startAt + prng.between(1000, 8000) : undefined
    const stopAt = prng.chance(0.1) ? startAt + prng.between(2000, 20_000) : undefined
    return {
      id: deriveUuid("simulation", String(seed), String(i)) as ScanId,
      target: prng.pick(world.targets),
      depth: prng.between(1, 3),
      priority: prng.pick(Priority.literals),
      startAt,
      pauseAt,
      resumeAt: pauseAt === undefined ? undefined : pauseAt + prng.between(1000, 10_000),
      stopAt,
      started: false
    }
  })

/** The gateway's side: creates scans (unfenced, as ScanService.create does) and sends commands. */
const makeGateway = (seed: number, options: Options, cluster: SimCluster, ledger: Ledger) => {
  const { gateway } = cluster
  let commandSeq = 0
  const send = (scan: PlannedScan, command: ScanCommand) =>
    Effect.gen(function*() {
      const sentAt = yield* Clock.currentTimeMillis
      yield* gateway.inbox.send({
        target: scan.id,
        command_id: deriveUuid("command", String(seed), String(commandSeq++)),
        command,
        reply_to: null,
        traceparent: null,
        sent_at: sentAt
      })
      yield* Invariants.note(ledger, `gateway sent ${command._tag} to ${scan.id.slice(0, 8)}`)
    })

  const create = (scan: PlannedScan) =>
    Effect.gen(function*() {
      const at = yield* Clock.currentTimeMillis
      const definition = ScanDefinition.make({
        name: `sim ${scan.id.slice(0, 8)}`,
        description: "",
        target: Entity.make(scan.target),
        modules: World.plan.map((m) => ScanModule.make({ id: m.id })),
        configuration: ScanConfiguration.make({ recursion_depth: scan.depth, priority: scan.priority })
      })
      const created = decide(undefined, {
        _tag: "CreateScan",
        scan_id: scan.id,
        header,
        definition,
        plan: World.plan
      }, at)
      if (Either.isLeft(created)) return yield* Effect.die(created.left)
      const first = created.right[0]
      if (first === undefined || first._tag !== "ScanCreated") return yield* Effect.dieMessage("no ScanCreated")
      yield* gateway.events.append([{
        scan_id: scan.id,
        shard: shardOf(scan.id, options.shards),
        expected_seq: 0,
        events: created.right,
        command_id: deriveUuid("create", scan.id),
        fence: null,
        state: initial(first),
        snapshot: false
      }]).pipe(
        // Created before, when a later step failed: the creation stands.
        Effect.catchTag("ConcurrencyConflict", () => Effect.void)
      )
    })

  return { send, create }
}

const attempt = (action: Effect.Effect<void, unknown>) =>
  Effect.match(action, { onFailure: () => false, onSuccess: () => true })

export const make = (
  seed: number,
  options: Options,
  world: World.World,
  prng: Prng.Prng,
  cluster: SimCluster,
  ledger: Ledger
): Users => {
  const { create, send } = makeGateway(seed, options, cluster, ledger)
  const scans = planScans(seed, options, world, prng)
  const actions: Array<readonly [number, Effect.Effect<void, unknown>]> = scans.flatMap((scan) => [
    [
      scan.startAt,
      Effect.zipRight(create(scan), send(scan, { _tag: "StartScan" })).pipe(
        Effect.tap(() => Effect.sync(() => void (scan.started = true)))
      )
    ] as const,
    ...(scan.pauseAt === undefined ? [] : [[scan.pauseAt, send(scan, { _tag: "PauseScan" })] as const]),
    ...(scan.resumeAt === undefined ? [] : [[scan.resumeAt, send(scan, { _tag: "ResumeScan" })] as const]),
    ...(scan.stopAt === undefined ? [] : [[scan.stopAt, send(scan, { _tag: "StopScan" })] as const])
  ]).sort((a, b) => a[0] - b[0])
  let next = 0

  return {
    scans,
    act: (t) =>
      Effect.gen(function*() {
        while (next < actions.length && actions[next]![0] <= t) {
          if (!(yield* attempt(actions[next]![1]))) break
          next++
        }
      }),
    finish: Effect.gen(function*() {
      while (next < actions.length) {
        if (!(yield* attempt(actions[next]![1]))) return yield* Effect.dieMessage("gateway failed with no faults")
        next++
      }
    }),
    status: (scan) =>
      Effect.map(
        cluster.gateway.events.load(scan.id),
        Option.match({ onNone: () => undefined, onSome: (loaded) => loaded.state.status })
      ).pipe(Effect.orDie),
    resumePaused: (statuses) =>
      Effect.gen(function*() {
        for (const [i, scan] of scans.entries()) {
          if (statuses[i] === "PAUSED") yield* send(scan, { _tag: "ResumeScan" }).pipe(Effect.orDie)
        }
      })
  }
}
