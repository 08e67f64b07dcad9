/**
 * An actor node: heartbeats into the membership, takes the leases of the shards that rendezvous
 * hashing gives it (a batch per round, so joins do not stampede), renews them all on a schedule of
 * their own, stops the actors of any lease it could not renew in time, reads its shards' inboxes,
 * and on shutdown drains, releases its leases and leaves so others take over at once. How leases are taken, renewed
 * and self-fenced is in `internal/nodeLeases.ts`; this is the loop around them.
 */
import { Clock, Config, Data, Duration, Effect, Fiber, Option, Queue, Random } from "effect"
import { EventStore } from "../scans/EventStore.js"
import { ActorConfig } from "../scans/ScanActor.js"
import { shardsOf } from "./Assignment.js"
import { makeNodeLeases } from "./internal/nodeLeases.js"
import { Membership } from "./Membership.js"
import * as Settings from "./Settings.js"
import * as ShardHost from "./ShardHost.js"
import type { HostSettings } from "./ShardHost.js"
import { ShardInbox } from "./ShardInbox.js"
import type { ShardLease } from "./ShardLeases.js"

/** This node was configured with another shard count than the cluster was created with. */
export class ShardCountMismatch extends Data.TaggedError("ShardCountMismatch")<{
  readonly configured: number
  readonly cluster: number
}> {
  override get message() {
    return `this node has ${this.configured} shards but the cluster was created with ${this.cluster}: refusing to join`
  }
}

export interface NodeSettings extends HostSettings {
  readonly nodeId: string
  readonly leaseTtlMs: number
  readonly memberTtlMs: number
  readonly roundMs: number
  /** Shards acquired or handed off per round at most. */
  readonly movesPerRound: number
  readonly readBlockMs: number
  readonly readCount: number
  /** On shutdown, how long in-flight tasks may finish before their shards are released anyway. */
  readonly drainMs: number
}

export const NodeConfig = Config.all({
  nodeId: Settings.nodeId,
  leaseTtlMs: Config.map(Settings.leaseTtl, Duration.toMillis),
  memberTtlMs: Config.map(Settings.memberTtl, Duration.toMillis),
  roundMs: Config.map(Settings.round, Duration.toMillis),
  movesPerRound: Settings.movesPerRound,
  readBlockMs: Config.map(Settings.readBlock, Duration.toMillis),
  readCount: Settings.readCount,
  drainMs: Config.map(Settings.drain, Duration.toMillis),
  maxDeliveries: Settings.maxDeliveries,
  passivateMs: Config.map(Settings.passivate, Duration.toMillis),
  reclaimIdleMs: Config.map(Settings.reclaimIdle, Duration.toMillis),
  restartDelayMs: Config.map(Settings.restartDelay, Duration.toMillis),
  actor: ActorConfig
})

/** Node settings from the environment; the node id defaults to a random one. */
export const settingsFromConfig = Effect.gen(function*() {
  const { actor, nodeId, ...rest } = yield* NodeConfig
  const id = Option.isSome(nodeId) ? nodeId.value : `node-${(yield* Random.nextInt).toString(36)}`
  return { ...rest, ...actor, nodeId: id, consumer: id } satisfies NodeSettings
})

export const run = (settings: NodeSettings) =>
  Effect.gen(function*() {
    const membership = yield* Membership
    const inbox = yield* ShardInbox
    const store = yield* EventStore
    // The shard count is checked before the node takes any shard. If the store is away at start,
    // the node starts anyway and checks again each round, taking no shard until it has.
    let verified = false
    const verify = Effect.flatMap(store.shardCount(inbox.shards), (stored) =>
      stored === inbox.shards
        ? Effect.sync(() => {
          verified = true
        })
        : Effect.fail(new ShardCountMismatch({ configured: inbox.shards, cluster: stored })))
    yield* verify.pipe(
      Effect.catchTag("PersistenceError", (error) => Effect.logWarning("shard count not checked yet", error))
    )
    const host = yield* ShardHost.make(settings)
    const me = settings.nodeId
    const { leave, lose, renewal, take, watchdog } = yield* makeNodeLeases(settings, host)

    const round = Effect.gen(function*() {
      const members = yield* membership.members
      const desired = new Set(shardsOf(me, members.includes(me) ? members : [...members, me], inbox.shards))
      yield* lose(host.takeStale(), true)
      yield* lose(host.epochs().filter(({ shard }) => !desired.has(shard)).slice(0, settings.movesPerRound), true)
      if (!verified) {
        yield* verify.pipe(Effect.catchTag("ShardCountMismatch", (mismatch) => Effect.logError(mismatch.message)))
      }
      const owned = new Set(host.owned())
      const wanted = verified ? Array.from(desired).filter((shard) => !owned.has(shard)) : []
      if (wanted.length > 0) yield* take(wanted.slice(0, settings.movesPerRound))
      yield* host.sweep
    }).pipe(Effect.catchAll((error) => Effect.logWarning("ownership round failed", error)))

    const reader = Effect.forever(
      Effect.gen(function*() {
        const shards = host.owned()
        if (shards.length === 0) return yield* Effect.sleep(Duration.millis(settings.roundMs))
        const deliveries = yield* inbox.read(me, shards, { count: settings.readCount, blockMs: settings.readBlockMs })
        yield* host.deliverAll(deliveries)
      }).pipe(Effect.catchAll((error) =>
        Effect.logWarning("inbox read failed", error).pipe(Effect.zipRight(Effect.sleep(settings.roundMs)))
      ))
    )

    // A round every roundMs, or at once when another node announces that ownership moved. Announcements are kept
    // while a round runs: one that arrived meanwhile starts the next round at once instead of a roundMs later (the
    // releases of a node shutting down must not wait for a whole round elsewhere).
    const announced = yield* Queue.sliding<void>(1)
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(membership.changed, Queue.offer(announced, undefined))))
    const ownership = yield* Effect.forkScoped(Effect.forever(
      round.pipe(
        Effect.zipRight(Effect.raceFirst(Effect.sleep(Duration.millis(settings.roundMs)), Queue.take(announced)))
      )
    ))
    const renewing = yield* Effect.forkScoped(
      Effect.forever(Effect.zipRight(renewal, Effect.sleep(Duration.millis(settings.roundMs))))
    )
    const fencing = yield* Effect.forkScoped(
      Effect.forever(Effect.zipRight(watchdog, Effect.sleep(Duration.millis(Math.ceil(settings.roundMs / 2)))))
    )
    const reading = yield* Effect.forkScoped(reader)

    /**
     * Graceful stop: no more reads; shards with nothing in flight go back at once, the others
     * when their tasks finish or `drainMs` passes; every release is announced so others take over now.
     */
    const shutdown = Effect.gen(function*() {
      yield* Fiber.interrupt(reading)
      yield* Fiber.interrupt(ownership)
      const idle = (lease: ShardLease) =>
        Effect.map(host.inFlight(lease.shard), (n) => n === 0)
      yield* lose(yield* Effect.filter(host.epochs(), idle), true)
      yield* leave.pipe(Effect.ignore)
      const until = (yield* Clock.currentTimeMillis) + settings.drainMs
      while (host.owned().length > 0 && (yield* Clock.currentTimeMillis) < until) {
        const done = yield* Effect.filter(host.epochs(), idle)
        if (done.length > 0) {
          yield* lose(done, true)
          yield* membership.announce.pipe(Effect.ignore)
        }
        yield* Effect.sleep(Duration.millis(20))
      }
      yield* Fiber.interrupt(renewing)
      yield* Fiber.interrupt(fencing)
      yield* lose(host.epochs(), true)
      yield* membership.announce.pipe(Effect.ignore)
    })

    return { id: me, host, shutdown }
  })
