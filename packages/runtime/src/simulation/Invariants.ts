/**
 * The simulation's checker: wrappers over the shared twins that record, independently of the stores' own checks,
 * which node got which (shard, epoch), the highest fence raised per shard, and which results each insert reported as
 * new; and the per-node gates that freeze a node's I/O while it is stalled (its calls then land late, under its old
 * epoch, as after a GC pause or a partition).
 */
import type { CollectionResult } from "@mirage/domain/CollectionTask"
import { Clock, Duration, Effect, Fiber } from "effect"
import type { MembershipService } from "../cluster/Membership.js"
import type { RepliesService } from "../cluster/Replies.js"
import type { ShardInboxService } from "../cluster/ShardInbox.js"
import type { ShardLeasesService } from "../cluster/ShardLeases.js"
import type { PersistenceError } from "../platform/Errors.js"
import type { EventStoreService } from "../scans/EventStore.js"
import type { ResultStoreService } from "../scans/ResultStore.js"

export type Invariant =
  | "single-owner"
  | "stale-append"
  | "result-once"
  | "terminal-once"
  | "results-lost"
  | "schedule-once"

export interface Violation {
  readonly invariant: Invariant
  readonly step: number
  readonly at: number
  readonly detail: string
  /** The last things that happened before it, oldest first. */
  readonly trace: ReadonlyArray<string>
}

const traceLength = 40

export interface Ledger {
  step: number
  /** `shard/epoch` → the node the lease store gave it to. */
  readonly leased: Map<string, string>
  /** `shard/epoch` → the node whose shard host held it. */
  readonly hosted: Map<string, string>
  /** Highest epoch raised through `fence`, per shard, as the wrappers saw it. */
  readonly fences: Map<number, number>
  /** `owner/hash` → inserts that reported it new. */
  readonly stored: Map<string, number>
  readonly violations: Array<Violation>
  readonly trace: Array<string>
  readonly counts: {
    acquisitions: number
    fencedAppends: number
    staleRefused: number
    results: number
  }
  /** Makes a store call and its recording one step, whatever other fibers do meanwhile. */
  readonly lock: Effect.Semaphore
}

export const makeLedger = Effect.map(Effect.makeSemaphore(1), (lock): Ledger => ({
  step: 0,
  leased: new Map(),
  hosted: new Map(),
  fences: new Map(),
  stored: new Map(),
  violations: [],
  trace: [],
  counts: { acquisitions: 0, fencedAppends: 0, staleRefused: 0, results: 0 },
  lock
}))

export const note = (ledger: Ledger, line: string) =>
  Effect.map(Clock.currentTimeMillis, (now) => {
    ledger.trace.push(`t=${now} ${line}`)
    if (ledger.trace.length > traceLength) ledger.trace.shift()
  })

export const violate = (ledger: Ledger, invariant: Invariant, detail: string) =>
  Effect.gen(function*() {
    yield* note(ledger, `VIOLATION ${invariant}: ${detail}`)
    ledger.violations.push({
      invariant,
      step: ledger.step,
      at: yield* Clock.currentTimeMillis,
      detail,
      trace: [...ledger.trace]
    })
  })

/**
 * A node's switches. `stall`: its I/O is held (a partition, a hung connection) while its timers run on. `freeze`: the
 * whole process stops (SIGSTOP, a long GC pause, a VM migration): its I/O and its timers are held, so nothing of it
 * runs until `resume`, and then all its late timers fire at once. `lag`: its CPU is starved, so each of its timers and
 * each of its I/O completions comes that much late.
 */
export interface Gate {
  readonly pass: Effect.Effect<void>
  readonly stall: Effect.Effect<void>
  readonly freeze: Effect.Effect<void>
  readonly resume: Effect.Effect<void>
  readonly stalled: () => boolean
  readonly lag: { ms: number }
  /** The node's view of the clock: the simulation's, with its sleeps held while frozen and late while starved. */
  readonly clock: Clock.Clock
}

/** How long a node takes to send an event store write: the window in which a freeze catches one half-sent. */
const writeMs = 50

export const makeGate = (base: Clock.Clock) =>
  Effect.gen(function*() {
    const io = yield* Effect.makeLatch(true)
    const process = yield* Effect.makeLatch(true)
    let stalled = false
    const lag = { ms: 0 }
    const late = Effect.suspend(() => (lag.ms > 0 ? base.sleep(Duration.millis(lag.ms)) : Effect.void))
    const gate: Gate = {
      pass: Effect.zipRight(io.await, late),
      stall: Effect.zipRight(Effect.sync(() => (stalled = true)), io.close),
      freeze: Effect.zipRight(Effect.sync(() => (stalled = true)), Effect.zipRight(io.close, process.close)),
      resume: Effect.zipRight(Effect.sync(() => (stalled = false)), Effect.zipRight(io.open, process.open)),
      stalled: () => stalled,
      lag,
      clock: {
        [Clock.ClockTypeId]: Clock.ClockTypeId,
        unsafeCurrentTimeMillis: () => base.unsafeCurrentTimeMillis(),
        unsafeCurrentTimeNanos: () => base.unsafeCurrentTimeNanos(),
        currentTimeMillis: base.currentTimeMillis,
        currentTimeNanos: base.currentTimeNanos,
        sleep: (duration) => Effect.zipRight(base.sleep(Duration.sum(duration, Duration.millis(lag.ms))), process.await)
      }
    }
    return gate
  })

const recordOwner = (
  ledger: Ledger,
  map: Map<string, string>,
  what: string,
  shard: number,
  epoch: number,
  node: string
) =>
  Effect.suspend(() => {
    const key = `${shard}/${epoch}`
    const before = map.get(key)
    if (before === undefined) {
      map.set(key, node)
      return Effect.void
    }
    return before === node
      ? Effect.void
      : violate(ledger, "single-owner", `${what}: shard ${shard} epoch ${epoch} held by ${before} and ${node}`)
  })

export const leases = (
  inner: ShardLeasesService,
  ledger: Ledger,
  node: string,
  gate: Gate
): ShardLeasesService => ({
  acquire: (owner, ttlMs, wanted) =>
    gate.pass.pipe(
      Effect.zipRight(inner.acquire(owner, ttlMs, wanted)),
      Effect.tap((taken) =>
        Effect.forEach(taken, ([shard, epoch]) =>
          Effect.gen(function*() {
            if (!ledger.leased.has(`${shard}/${epoch}`)) {
              ledger.counts.acquisitions++
              yield* note(ledger, `${node} leased shard ${shard} epoch ${epoch}`)
            }
            yield* recordOwner(ledger, ledger.leased, "lease", shard, epoch, owner)
          }), { discard: true })
      )
    ),
  renew: (owner, held, ttlMs) => Effect.zipRight(gate.pass, inner.renew(owner, held, ttlMs)),
  release: (shard, owner, epoch) => Effect.zipRight(gate.pass, inner.release(shard, owner, epoch))
})

/** After each step: every (shard, epoch) a live host holds was leased to that node, and to no other host. */
export const checkHosts = (
  ledger: Ledger,
  hosts: ReadonlyArray<{ readonly node: string; readonly epochs: ReadonlyArray<{ shard: number; epoch: number }> }>
) =>
  Effect.forEach(hosts, ({ epochs, node }) =>
    Effect.forEach(epochs, ({ epoch, shard }) =>
      Effect.gen(function*() {
        const leasedTo = ledger.leased.get(`${shard}/${epoch}`)
        if (leasedTo !== node) {
          yield* violate(ledger, "single-owner", `${node} hosts shard ${shard} epoch ${epoch} leased to ${leasedTo}`)
        }
        yield* recordOwner(ledger, ledger.hosted, "host", shard, epoch, node)
      }), { discard: true }), { discard: true })

export const eventStore = (
  inner: EventStoreService,
  ledger: Ledger,
  node: string,
  gate: Gate
): EventStoreService => ({
  // A write, once issued, is on its way: stopping the actor that issued it does not call it back. It takes the node
  // `writeMs` of its own time to send (a frozen node sends it when it thaws), and a stall holds it: either way it may
  // land late, under its epoch, whatever the node did meanwhile (the store's fence must refuse it).
  append: (appends) =>
    Effect.flatMap(
      Effect.forkDaemon(
        Effect.zipRight(
          Effect.zipRight(gate.clock.sleep(Duration.millis(writeMs)), gate.pass),
          ledger.lock.withPermits(1)(
            inner.append(appends).pipe(
              Effect.tap(() =>
                Effect.forEach(appends, (append) => {
                  if (append.fence === null) return Effect.void
                  ledger.counts.fencedAppends++
                  const highest = ledger.fences.get(append.fence.shard)
                  return highest === append.fence.epoch ? Effect.void : violate(
                    ledger,
                    "stale-append",
                    `${node} appended ${append.events.map((e) => e._tag).join(",")} to ${append.scan_id} under shard ` +
                      `${append.fence.shard} epoch ${append.fence.epoch}; highest fence raised is ${highest}`
                  )
                }, { discard: true })
              ),
              Effect.tapError((error) =>
                error._tag === "StaleEpoch"
                  ? Effect.zipRight(
                    Effect.sync(() => ledger.counts.staleRefused++),
                    note(ledger, `${node} refused: shard ${error.shard} epoch ${error.epoch} is stale`)
                  )
                  : Effect.void
              )
            )
          )
        )
      ),
      Fiber.join
    ),
  load: (scanId) => Effect.zipRight(gate.pass, inner.load(scanId)),
  events: (scanId, afterSeq, limit) => Effect.zipRight(gate.pass, inner.events(scanId, afterSeq, limit)),
  activeScans: (shard) => Effect.zipRight(gate.pass, inner.activeScans(shard)),
  shardCount: (count) => Effect.zipRight(gate.pass, inner.shardCount(count)),
  fence: (shard, epoch) =>
    Effect.zipRight(
      gate.pass,
      ledger.lock.withPermits(1)(
        inner.fence(shard, epoch).pipe(
          Effect.tap((stored) =>
            Effect.zipRight(
              Effect.sync(() => ledger.fences.set(shard, Math.max(ledger.fences.get(shard) ?? epoch, epoch))),
              note(ledger, `${node} fenced shard ${shard} at ${epoch} (store: ${stored})`)
            )
          )
        )
      )
    )
})

export const resultStore = (
  inner: ResultStoreService,
  ledger: Ledger,
  gate: Gate,
  /** Whether the store holds `owner/hash`: read before and after each insert. */
  holds: (key: string) => boolean
): ResultStoreService => {
  /** Runs an insert of these batches, and checks that what it reported new was new, once. */
  const recorded = (
    batches: ReadonlyArray<{ readonly owner: string; readonly results: ReadonlyArray<CollectionResult> }>,
    insert: Effect.Effect<number, PersistenceError>
  ) =>
    Effect.zipRight(
      gate.pass,
      ledger.lock.withPermits(1)(Effect.gen(function*() {
        const keys = Array.from(
          new Set(batches.flatMap(({ owner, results }) => results.map((r) => `${owner}/${r.hash}`)))
        )
        const before = new Set(keys.filter(holds))
        const reported = yield* insert
        const added = keys.filter((key) => !before.has(key) && holds(key))
        if (added.length !== reported) {
          const owners = Array.from(new Set(batches.map((b) => b.owner))).join(",")
          yield* violate(ledger, "result-once", `insert for ${owners} reported ${reported} new, ${added.length} were`)
        }
        for (const key of added) {
          const times = (ledger.stored.get(key) ?? 0) + 1
          ledger.stored.set(key, times)
          ledger.counts.results++
          if (times > 1) yield* violate(ledger, "result-once", `${key} stored ${times} times`)
        }
        return reported
      }))
    )
  return {
    insert: (owner, results) => recorded([{ owner, results }], inner.insert(owner, results)),
    insertAll: (batches) => recorded(batches, inner.insertAll(batches)),
    list: (query) => Effect.zipRight(gate.pass, inner.list(query)),
    listJson: (query) => Effect.zipRight(gate.pass, inner.listJson(query)),
    count: (owner) => Effect.zipRight(gate.pass, inner.count(owner)),
    purge: (owner) => Effect.zipRight(gate.pass, inner.purge(owner))
  }
}

/** The node's view of the inboxes: gated, and with reads held back by `delayMs()` (late deliveries). */
export const inbox = (inner: ShardInboxService, gate: Gate, delayMs: () => number): ShardInboxService => ({
  shards: inner.shards,
  send: (envelope) => Effect.zipRight(gate.pass, inner.send(envelope)),
  read: (consumer, shards, options) =>
    gate.pass.pipe(
      Effect.zipRight(inner.read(consumer, shards, options)),
      Effect.tap((deliveries) => {
        const delay = delayMs()
        return deliveries.length > 0 && delay > 0 ? Effect.zipRight(Effect.sleep(delay), gate.pass) : Effect.void
      })
    ),
  claim: (shard, consumer, minIdleMs) => Effect.zipRight(gate.pass, inner.claim(shard, consumer, minIdleMs)),
  claimOrphans: (shard, consumer) => Effect.zipRight(gate.pass, inner.claimOrphans(shard, consumer)),
  ack: (shard, ids) => Effect.zipRight(gate.pass, inner.ack(shard, ids)),
  deadLetter: (delivery, reason) => Effect.zipRight(gate.pass, inner.deadLetter(delivery, reason)),
  deadLetters: (shard, limit) => Effect.zipRight(gate.pass, inner.deadLetters(shard, limit)),
  pending: (shard) => Effect.zipRight(gate.pass, inner.pending(shard))
})

export const membership = (inner: MembershipService, gate: Gate): MembershipService => ({
  heartbeat: (node, ttlMs) => Effect.zipRight(gate.pass, inner.heartbeat(node, ttlMs)),
  members: Effect.zipRight(gate.pass, inner.members),
  leave: (node) => Effect.zipRight(gate.pass, inner.leave(node)),
  announce: Effect.zipRight(gate.pass, inner.announce),
  // A stalled node hears nothing either: the wake-up passes the gate after it arrives.
  changed: Effect.zipRight(inner.changed, gate.pass)
})

export const replies = (inner: RepliesService, gate: Gate): RepliesService => ({
  channel: inner.channel,
  ask: inner.ask,
  publish: (channel, reply) => Effect.zipRight(gate.pass, inner.publish(channel, reply))
})
