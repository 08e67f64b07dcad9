/**
 * An actor node: heartbeats into the membership, takes and renews the leases of the shards
 * that rendezvous hashing gives it (a few per round, so joins do not stampede), reads its
 * shards' inboxes, and on shutdown drains, releases its leases and leaves so others take over at once.
 */
import { Clock, Config, Data, Duration, Effect, Fiber, Metric, Option, Queue, Random } from "effect"
import { shardsOf } from "./Assignment.js"
import { EventStore } from "./EventStore.js"
import { Membership } from "./Membership.js"
import * as Metrics from "./Metrics.js"
import { ActorConfig } from "./ScanActor.js"
import * as ShardHost from "./ShardHost.js"
import type { HostSettings } from "./ShardHost.js"
import { ShardInbox } from "./ShardInbox.js"
import { ShardLeases } from "./ShardLeases.js"

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
  nodeId: Config.option(Config.string("MIRAGE_NODE_ID")),
  leaseTtlMs: Config.integer("MIRAGE_LEASE_TTL_MS").pipe(Config.withDefault(4000)),
  memberTtlMs: Config.integer("MIRAGE_MEMBER_TTL_MS").pipe(Config.withDefault(3000)),
  roundMs: Config.integer("MIRAGE_ROUND_MS").pipe(Config.withDefault(500)),
  movesPerRound: Config.integer("MIRAGE_MOVES_PER_ROUND").pipe(Config.withDefault(32)),
  readBlockMs: Config.integer("MIRAGE_READ_BLOCK_MS").pipe(Config.withDefault(200)),
  readCount: Config.integer("MIRAGE_READ_COUNT").pipe(Config.withDefault(512)),
  drainMs: Config.integer("MIRAGE_DRAIN_MS").pipe(Config.withDefault(500)),
  maxDeliveries: Config.integer("MIRAGE_MAX_DELIVERIES").pipe(Config.withDefault(5)),
  passivateMs: Config.integer("MIRAGE_PASSIVATE_MS").pipe(Config.withDefault(60_000)),
  reclaimIdleMs: Config.integer("MIRAGE_RECLAIM_IDLE_MS").pipe(Config.withDefault(30_000)),
  restartDelayMs: Config.integer("MIRAGE_RESTART_DELAY_MS").pipe(Config.withDefault(1000)),
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
    const leases = yield* ShardLeases
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
    let lastRenewal = yield* Clock.currentTimeMillis
    const floors = new Map<number, number>()

    const lose = (shards: ReadonlyArray<number>, release: boolean) =>
      Effect.forEach(shards, (shard) =>
        Effect.gen(function*() {
          const epoch = host.epochs().find((e) => e.shard === shard)?.epoch
          yield* host.lose(shard)
          if (release && epoch !== undefined) yield* leases.release(shard, me, epoch).pipe(Effect.ignore)
        }), { discard: true })

    const round = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      yield* membership.heartbeat(me, settings.memberTtlMs)
      const members = yield* membership.members
      const desired = new Set(shardsOf(me, members.includes(me) ? members : [...members, me], inbox.shards))

      const held = yield* leases.renew(me, host.epochs(), settings.leaseTtlMs)
      yield* Metric.incrementBy(Metrics.leaseRenewals, held.size)
      lastRenewal = now
      yield* lose(host.owned().filter((shard) => !held.has(shard)), false)
      yield* lose(host.takeStale(), true)

      const handOff = host.owned().filter((shard) => !desired.has(shard)).slice(0, settings.movesPerRound)
      yield* lose(handOff, true)

      if (!verified) {
        yield* verify.pipe(Effect.catchTag("ShardCountMismatch", (mismatch) => Effect.logError(mismatch.message)))
      }
      const wanted = verified ? Array.from(desired).filter((shard) => !host.owned().includes(shard)) : []
      let moves = 0
      for (const shard of wanted) {
        if (moves >= settings.movesPerRound) break
        const epoch = yield* leases.acquire(shard, me, settings.leaseTtlMs, floors.get(shard) ?? 0)
        if (Option.isNone(epoch)) continue
        moves++
        const fenced = yield* store.fence(shard, epoch.value)
        if (fenced === epoch.value) {
          yield* host.acquire(shard, epoch.value)
          yield* Metric.increment(Metrics.tagged(Metrics.takeovers, { from: epoch.value === 1 ? "none" : "node" }))
          yield* Effect.logDebug("shard acquired").pipe(Effect.annotateLogs({ shard, epoch: epoch.value }))
        } else {
          // The event store has seen a later epoch (the lease store lost its counter): go above it.
          floors.set(shard, fenced)
          yield* leases.release(shard, me, epoch.value).pipe(Effect.ignore)
        }
      }
      yield* host.sweep
    }).pipe(
      Effect.catchAll((error) =>
        Effect.gen(function*() {
          // A node that cannot renew stops its actors before its leases can expire.
          const now = yield* Clock.currentTimeMillis
          if (now - lastRenewal > settings.leaseTtlMs - settings.roundMs * 2) yield* lose(host.owned(), false)
          yield* Effect.logWarning("ownership round failed", error)
        })
      )
    )

    const reader = Effect.forever(
      Effect.gen(function*() {
        const shards = host.owned()
        if (shards.length === 0) return yield* Effect.sleep(Duration.millis(settings.roundMs))
        const deliveries = yield* inbox.read(me, shards, { count: settings.readCount, blockMs: settings.readBlockMs })
        for (const delivery of deliveries) yield* host.deliver(delivery)
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
    const reading = yield* Effect.forkScoped(reader)

    /**
     * Graceful stop: no more reads; shards with nothing in flight go back at once, the others
     * when their tasks finish or `drainMs` passes; every release is announced so others take over now.
     */
    const shutdown = Effect.gen(function*() {
      yield* Fiber.interrupt(reading)
      yield* Fiber.interrupt(ownership)
      const idle = (shard: number) =>
        Effect.map(host.inFlight(shard), (n) => n === 0)
      yield* lose(yield* Effect.filter(host.owned(), idle), true)
      yield* membership.leave(me).pipe(Effect.ignore)
      const until = (yield* Clock.currentTimeMillis) + settings.drainMs
      while (host.owned().length > 0 && (yield* Clock.currentTimeMillis) < until) {
        const done = yield* Effect.filter(host.owned(), idle)
        if (done.length > 0) {
          yield* lose(done, true)
          yield* membership.announce.pipe(Effect.ignore)
        }
        yield* Effect.sleep(Duration.millis(20))
      }
      yield* lose(host.owned(), true)
      yield* membership.announce.pipe(Effect.ignore)
    })

    return { id: me, host, shutdown }
  })
