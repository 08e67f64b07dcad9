/**
 * The actors of the shards a node owns: routes each delivery to its scan's actor (starting it
 * from the event store when needed), rehydrates a shard's active scans when the node acquires
 * it, stops them when it loses it, and passivates idle ones. Starting, restarting and stopping
 * the actors themselves is in `internal/hostActors.ts`.
 */
import { Clock, Effect, Metric, Option } from "effect"
import * as Metrics from "../platform/Metrics.js"
import { EventStore } from "../scans/EventStore.js"
import type { ActorMessage } from "../scans/ScanActor.js"
import { makeHostActors } from "./internal/hostActors.js"
import type { HostActors, HostActorSettings, HostShards } from "./internal/hostActors.js"
import { Replies } from "./Replies.js"
import { ShardInbox } from "./ShardInbox.js"
import type { Delivery } from "./ShardInbox.js"
import type { ShardLease } from "./ShardLeases.js"

export interface HostSettings extends HostActorSettings {
  readonly consumer: string
  /**
   * A command delivered this many times without being acknowledged goes to the dead letters. Deliveries that come with
   * a takeover (a shard's entries claimed by its new owner) are allowed `takeoverAllowance` times as many: ownership
   * churn is not the command's fault, but a command that kills every process it reaches must still end there.
   */
  readonly maxDeliveries: number
  /** CREATED and PAUSED actors idle this long are stopped; the next message brings them back. */
  readonly passivateMs: number
  /** Unacknowledged entries idle this long are delivered again (their actor died with them). */
  readonly reclaimIdleMs: number
}

/** How many times `maxDeliveries` a command delivered with takeovers may be delivered. */
const takeoverAllowance = 4

/**
 * How often every owned shard's pending entries are claimed: a quarter of `reclaimIdleMs`, at most 2 s. Between those
 * sweeps only shards acquired in the last two periods are claimed every round: an entry is left pending on another
 * consumer when a node reads a shard as it loses it, which happens around a move, and the first claim of a shard (on
 * acquisition) takes all its pending entries. Claiming all 128 shards every round cost an idle node two Redis calls
 * per shard per round, most of its CPU.
 */
export const claimPeriodMs = (reclaimIdleMs: number) => Math.max(1, Math.min(2000, Math.floor(reclaimIdleMs / 4)))

/**
 * Routes deliveries to their scans' actors, starting them when needed. An undecodable entry, or one delivered too many
 * times, goes to the dead letters; a command to a scan that has no log is answered as not found.
 */
const router = (settings: HostSettings, owned: ReadonlyMap<number, number>, actors: HostActors) =>
  Effect.gen(function*() {
    const inbox = yield* ShardInbox
    const replies = yield* Replies
    const { spawn } = actors

    const notFound = (delivery: Delivery) =>
      Effect.gen(function*() {
        const envelope = delivery.envelope!
        if (envelope.reply_to !== null) {
          yield* replies.publish(envelope.reply_to, {
            command_id: envelope.command_id,
            outcome: "rejected",
            rejection: { tag: "ScanNotFound", message: `no scan ${envelope.target}`, status: null }
          })
        }
        yield* inbox.ack(delivery.shard, [delivery.id])
      }).pipe(Effect.catchAll(() => Effect.void))

    const deliver = (delivery: Delivery, via: "read" | "takeover" = "read"): Effect.Effect<void> =>
      Effect.gen(function*() {
        if (!owned.has(delivery.shard)) return
        const envelope = delivery.envelope
        if (envelope === undefined) {
          return yield* inbox.deadLetter(delivery, "undecodable entry").pipe(
            Effect.zipRight(Metric.increment(Metrics.tagged(Metrics.deadLetters, { reason: "undecodable" }))),
            Effect.catchAll(() => Effect.void)
          )
        }
        if (delivery.deliveries > settings.maxDeliveries * (via === "takeover" ? takeoverAllowance : 1)) {
          yield* Effect.logWarning("command moved to the dead letters").pipe(
            Effect.annotateLogs({ scan_id: envelope.target, command_id: envelope.command_id })
          )
          return yield* inbox.deadLetter(delivery, `delivered ${delivery.deliveries} times`).pipe(
            Effect.zipRight(Metric.increment(Metrics.tagged(Metrics.deadLetters, { reason: "redelivered" }))),
            Effect.catchAll(() => Effect.void)
          )
        }
        const message: ActorMessage = {
          _tag: "Deliver",
          envelope,
          ack: inbox.ack(delivery.shard, [delivery.id]).pipe(Effect.catchAll(() => Effect.void))
        }
        // Taken by the scan's actor (once: as a started actor's first message, or offered to a running one), or, when
        // the shard is unavailable here, left unacknowledged: delivered again to whoever owns the shard then.
        const handle = yield* spawn(envelope.target, delivery.shard, [message])
        if (handle === "missing") yield* notFound(delivery)
      })

    /**
     * Deliveries of different scans at once, each scan's in order: a command to a scan whose actor is not running
     * waits for its log to load, and the others need not wait behind it: their loads go out together in the event
     * store's load statements, and their actors' first appends together in the journal's.
     */
    const deliverAll = (deliveries: ReadonlyArray<Delivery>, via: "read" | "takeover" = "read") => {
      const inOrder = (list: ReadonlyArray<Delivery>) =>
        Effect.forEach(list, (delivery) => deliver(delivery, via), { discard: true })
      if (deliveries.length <= 1) return inOrder(deliveries)
      const byScan = new Map<string, Array<Delivery>>()
      for (const delivery of deliveries) {
        const key = delivery.envelope?.target ?? delivery.id
        const list = byScan.get(key)
        if (list === undefined) byScan.set(key, [delivery])
        else list.push(delivery)
      }
      return Effect.forEach(byScan.values(), inOrder, { concurrency: deliveryConcurrency, discard: true })
    }

    return deliverAll
  })

/** Scans whose deliveries a host routes at once. */
const deliveryConcurrency = 16

export const make = (settings: HostSettings) =>
  Effect.gen(function*() {
    const store = yield* EventStore
    const inbox = yield* ShardInbox
    const hostScope = yield* Effect.scope
    const shards: HostShards = { owned: new Map(), stale: new Map(), unhydrated: new Set() }
    const { owned, stale, unhydrated } = shards
    const actors = yield* makeHostActors(settings, shards)
    const deliverAll = yield* router(settings, owned, actors)
    const hydrating = new Set<number>()
    /** When each owned shard was acquired, and when every owned shard was last claimed (see `claimPeriodMs`). */
    const acquiredAt = new Map<number, number>()
    const period = claimPeriodMs(settings.reclaimIdleMs)
    let claimedAllAt = Number.NEGATIVE_INFINITY

    /**
     * The shards this round claims: all of them once a period (their orphans and their entries idle for
     * `reclaimIdleMs`), else only the orphans of those acquired in the last two periods. Entries idle that long
     * (this node's own, from an earlier hold of the shard) wait for the next claim of every shard, within a period:
     * claiming them every round cost 128 shards one more Redis call each round after a start.
     */
    const toClaim = (now: number): { readonly shards: Array<number>; readonly idleToo: boolean } => {
      if (now - claimedAllAt >= period) {
        claimedAllAt = now
        return { shards: Array.from(owned.keys()), idleToo: true }
      }
      const recent = Array.from(owned.keys()).filter((shard) => now - (acquiredAt.get(shard) ?? now) < 2 * period)
      return { shards: recent, idleToo: false }
    }

    /**
     * Starts the actors of a shard's active scans and delivers its pending entries. The shard stays `unhydrated` while
     * the store fails to list or load them under the same epoch, and the sweep runs this again.
     */
    const rehydrate = (shard: number, epoch: number) =>
      Effect.gen(function*() {
        if (hydrating.has(shard)) return
        hydrating.add(shard)
        const active = yield* store.activeScans(shard).pipe(Effect.option)
        const started = Option.isNone(active) ? [] : yield* Effect.forEach(
          active.value,
          (scanId) => actors.spawn(scanId, shard, []),
          { concurrency: 16 }
        )
        if (owned.get(shard) === epoch && Option.isSome(active) && !started.includes("unavailable")) {
          unhydrated.delete(shard)
        }
        const claimed = yield* inbox.claim(shard, settings.consumer, 0).pipe(Effect.orElseSucceed(() => []))
        yield* deliverAll(claimed, "takeover")
      }).pipe(Effect.ensuring(Effect.sync(() => hydrating.delete(shard))))

    const handles = Effect.map(actors.started, (list) => list.map(({ handle }) => handle))

    return {
      owned: () => Array.from(owned.keys()),
      epochs: (): ReadonlyArray<ShardLease> => Array.from(owned, ([shard, epoch]) => ({ shard, epoch })),
      /** The epoch under which a shard is held, if it is. */
      epochOf: (shard: number): number | undefined => owned.get(shard),
      /** Leases whose actors found a newer epoch: the node must give them up. */
      takeStale: (): ReadonlyArray<ShardLease> => {
        const list = Array.from(stale, ([shard, epoch]) => ({ shard, epoch }))
        stale.clear()
        return list
      },
      actorCount: () => actors.entries.size,
      deliverAll,
      acquire: (shard: number, epoch: number) =>
        Effect.gen(function*() {
          owned.set(shard, epoch)
          acquiredAt.set(shard, yield* Clock.currentTimeMillis)
          unhydrated.add(shard)
          // Rehydration runs beside the ownership round, which must go on renewing leases however many scans load.
          yield* Effect.forkIn(rehydrate(shard, epoch), hostScope)
        }),
      /** Stops the shard's actors if it is still held under `epoch`; false if that lease had already ended here. */
      lose: ({ epoch, shard }: ShardLease) =>
        Effect.gen(function*() {
          if (owned.get(shard) !== epoch) return false
          owned.delete(shard)
          acquiredAt.delete(shard)
          unhydrated.delete(shard)
          stale.delete(shard)
          // Out of the map before anything yields, so the shard's next epoch never finds them; a start still under
          // way sees its entry gone and stops its actor itself.
          const ending = Array.from(actors.entries).filter(([, entry]) => entry.shard === shard)
          for (const [scanId] of ending) actors.entries.delete(scanId)
          for (const [scanId, entry] of ending) {
            const handle = yield* actors.handleOf(entry)
            if (handle !== undefined) yield* actors.stop(handle, entry)
            else yield* actors.forget(scanId, entry)
          }
          return true
        }),
      /** In-flight tasks of a shard's actors: graceful shutdown waits for them. */
      inFlight: (shard: number) =>
        Effect.map(handles, (list) => list.reduce((n, h) => n + (h.shard === shard ? h.inFlight() : 0), 0)),
      sweep: Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        for (const shard of unhydrated) {
          const epoch = owned.get(shard)
          if (epoch !== undefined && !hydrating.has(shard)) yield* Effect.forkIn(rehydrate(shard, epoch), hostScope)
        }
        for (const { entry, handle } of yield* actors.started) {
          const idle = now - handle.lastActivity() >= settings.passivateMs
          if (idle && handle.inFlight() === 0 && (handle.status() === "CREATED" || handle.status() === "PAUSED")) {
            yield* actors.stop(handle, entry)
          }
        }
        // Each claimed shard's entries pending on other nodes (taken at once: they are orphans), and its entries idle
        // for reclaimIdleMs (a delivery that failed here or was lost). Claims of all shards go out together.
        const { idleToo, shards: claimed } = toClaim(now)
        yield* Effect.forEach(claimed, (shard) =>
          Effect.gen(function*() {
            const orphans = yield* inbox.claimOrphans(shard, settings.consumer).pipe(Effect.orElseSucceed(() => []))
            const idle = idleToo
              ? yield* inbox.claim(shard, settings.consumer, settings.reclaimIdleMs).pipe(
                Effect.orElseSucceed(() => [])
              )
              : []
            // Delivered beside the ownership round, not in it: loading a scan may take retries, and the round must
            // renew the node's leases on time whatever the deliveries do.
            if (orphans.length + idle.length > 0) {
              yield* Effect.forkIn(
                Effect.zipRight(deliverAll(orphans, "takeover"), deliverAll(idle)),
                hostScope
              )
            }
          }), { concurrency: 16, discard: true })
      })
    }
  })

export type ShardHost = Effect.Effect.Success<ReturnType<typeof make>>
