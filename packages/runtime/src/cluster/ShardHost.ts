/**
 * The actors of the shards a node owns: routes each delivery to its scan's actor (starting it
 * from the event store when needed), rehydrates a shard's active scans when the node acquires
 * it, stops them when it loses it, restarts crashed actors, and passivates idle ones.
 */
import type { ScanId } from "@mirage/domain/Ids"
import { Clock, Context, Deferred, Effect, Exit, Metric, Option, Runtime, Schedule, Scope } from "effect"
import { makeQuotaGate, QuotaGate } from "../collection/TaskPool.js"
import * as Metrics from "../platform/Metrics.js"
import { DeadlineTimers, makeDeadlineTimers } from "../scans/DeadlineTimers.js"
import { EventStore } from "../scans/EventStore.js"
import * as ScanActor from "../scans/ScanActor.js"
import type { ActorHandle, ActorMessage, ActorSettings } from "../scans/ScanActor.js"
import { Replies } from "./Replies.js"
import { ShardInbox } from "./ShardInbox.js"
import type { Delivery } from "./ShardInbox.js"
import type { ShardLease } from "./ShardLeases.js"

export interface HostSettings extends ActorSettings {
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
  readonly restartDelayMs: number
  /** Tasks of one organization waiting for its quota at once on this node (the others wait queued); 4 by default. */
  readonly quotaWaiters?: number
}

/**
 * Why there is no actor: the scan has no log ("missing": its commands are answered as not found), or this node cannot
 * start it now ("unavailable": the shard moved or the store failed; its commands stay pending and come back).
 */
type Absent = "missing" | "unavailable"

type Slot = Deferred.Deferred<ActorHandle | Absent>

/** How many times `maxDeliveries` a command delivered with takeovers may be delivered. */
const takeoverAllowance = 4

/** A scan's actor, from the moment its start begins: the handle (or why there is none) comes through `slot`. */
interface Entry {
  readonly slot: Slot
  readonly shard: number
  scope?: Scope.CloseableScope
}

export const make = (settings: HostSettings) =>
  Effect.gen(function*() {
    const store = yield* EventStore
    const inbox = yield* ShardInbox
    const replies = yield* Replies
    const hostScope = yield* Effect.scope
    const runtime = yield* Effect.runtime<never>()
    // One timer for the deadlines of all the host's actors, and one gate for the tasks waiting for their quota.
    const context = (yield* Effect.context<ScanActor.ActorRequirements>()).pipe(
      Context.add(DeadlineTimers, yield* makeDeadlineTimers),
      Context.add(QuotaGate, yield* makeQuotaGate(settings.quotaWaiters ?? 4))
    )
    const owned = new Map<number, number>()
    // Shards (and the epoch) whose actors found a newer epoch in the store.
    const stale = new Map<number, number>()
    // Shards whose active scans are not all running yet (the store failed while they loaded): each round retries them,
    // so a store outage during a takeover cannot leave a scan of an owned shard without its actor.
    const unhydrated = new Set<number>()
    const hydrating = new Set<number>()
    const actors = new Map<string, Entry>()

    /** Closes the actor's scope, and removes it from the map if it is still the scan's actor there. */
    const forget = (scanId: string, entry: Entry) =>
      Effect.gen(function*() {
        if (actors.get(scanId) === entry) actors.delete(scanId)
        if (entry.scope !== undefined) yield* Scope.close(entry.scope, Exit.void)
      })

    /** The running actor of a scan, started if needed, or why there is none. */
    const spawn = (
      scanId: string,
      shard: number,
      initial: ReadonlyArray<ActorMessage>
    ): Effect.Effect<ActorHandle | Absent> =>
      Effect.gen(function*() {
        const existing = actors.get(scanId)
        if (existing !== undefined) {
          const handle = yield* Deferred.await(existing.slot)
          // An earlier start gave up because its epoch ended while it loaded: this one starts afresh.
          if (handle === "unavailable" && owned.has(shard) && actors.get(scanId) !== existing) {
            return yield* spawn(scanId, shard, initial)
          }
          return handle
        }
        const entry: Entry = { slot: yield* Deferred.make<ActorHandle | Absent>(), shard }
        actors.set(scanId, entry)
        const epoch = owned.get(shard)
        // The start stands only while the shard is held under the same epoch and nothing took the entry away.
        const current = () => owned.get(shard) === epoch && actors.get(scanId) === entry
        const loaded = epoch === undefined ? Option.none() : yield* store.load(scanId as ScanId).pipe(
          Effect.retry(Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(5)))),
          Effect.option
        )
        // The shard may have moved while the scan loaded: an actor under an ended epoch must not start.
        const giveUp = Effect.gen(function*() {
          yield* Deferred.succeed(entry.slot, "unavailable")
          yield* forget(scanId, entry)
          return owned.has(shard) && epoch !== undefined && owned.get(shard) !== epoch
            ? yield* spawn(scanId, shard, initial)
            : "unavailable"
        })
        if (epoch === undefined || Option.isNone(loaded) || !current()) return yield* giveUp
        if (Option.isNone(loaded.value)) {
          yield* Deferred.succeed(entry.slot, "missing")
          yield* forget(scanId, entry)
          return "missing"
        }
        entry.scope = yield* Scope.fork(hostScope, { _tag: "Sequential" })
        const handle = yield* ScanActor.make(loaded.value.value, { shard, fence: { shard, epoch } }, settings, initial)
          .pipe(
            Effect.provide(context),
            Scope.extend(entry.scope)
          )
        // The shard was lost while the actor started: it must not run beside the next epoch's.
        if (!current()) return yield* Effect.zipRight(handle.stop, giveUp)
        yield* Deferred.succeed(entry.slot, handle)
        // No fiber waits on each actor: its end forks what follows, in the host's scope.
        handle.onExit((exit) => {
          Runtime.runFork(runtime)(Effect.forkIn(afterExit(handle, entry, exit, epoch), hostScope))
        })
        return handle
      })

    const afterExit = (handle: ActorHandle, entry: Entry, exit: ScanActor.ActorExit, epoch: number) =>
      Effect.gen(function*() {
        const mine = actors.get(handle.scanId) === entry
        yield* forget(handle.scanId, entry)
        // An actor stopped with its shard, or of an earlier epoch, has no say about the shard's present: only news
        // about the epoch held now may make the node give the shard up.
        if (!mine || owned.get(handle.shard) !== epoch) return
        switch (exit) {
          case "stale":
            stale.set(handle.shard, epoch)
            return
          case "crashed":
            yield* Effect.logWarning("scan actor crashed; restarting from its log").pipe(
              Effect.annotateLogs({ scan_id: handle.scanId })
            )
            yield* Effect.sleep(settings.restartDelayMs)
            yield* respawn(handle)
            return
          case "conflict":
            yield* respawn(handle)
            return
          default:
            return
        }
      })

    /** A restart that cannot load the scan now leaves its shard to the next rounds' rehydration. */
    const respawn = (handle: ActorHandle) =>
      Effect.flatMap(spawn(handle.scanId, handle.shard, []), (started) =>
        Effect.sync(() => {
          if (started === "unavailable" && owned.has(handle.shard)) unhydrated.add(handle.shard)
        }))

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
          (scanId) => spawn(scanId, shard, []),
          { concurrency: 16 }
        )
        if (owned.get(shard) === epoch && Option.isSome(active) && !started.includes("unavailable")) {
          unhydrated.delete(shard)
        }
        const claimed = yield* inbox.claim(shard, settings.consumer, 0).pipe(Effect.orElseSucceed(() => []))
        yield* Effect.forEach(claimed, (delivery) => deliver(delivery, "takeover"), { discard: true })
      }).pipe(Effect.ensuring(Effect.sync(() => hydrating.delete(shard))))

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
        const handle = yield* spawn(envelope.target, delivery.shard, [message])
        if (handle === "missing") return yield* notFound(delivery)
        // Unacknowledged, the entry is delivered again to whoever owns the shard then.
        if (handle === "unavailable") return
        if (yield* handle.offer(message)) return
        // The actor was ending as the message came: a fresh one takes it.
        const fresh = yield* spawn(envelope.target, delivery.shard, [message])
        if (fresh === "missing") yield* notFound(delivery)
      })

    /** The handle of an actor that has started, if it has. */
    const handleOf = (entry: Entry) =>
      Effect.flatMap(Deferred.poll(entry.slot), (polled) =>
        Option.isNone(polled)
          ? Effect.succeed(undefined)
          : Effect.map(polled.value, (value) => (typeof value === "string" ? undefined : value)))

    const started = Effect.gen(function*() {
      const list: Array<{ readonly handle: ActorHandle; readonly entry: Entry }> = []
      for (const entry of actors.values()) {
        const handle = yield* handleOf(entry)
        if (handle !== undefined) list.push({ handle, entry })
      }
      return list
    })
    const handles = Effect.map(started, (list) => list.map(({ handle }) => handle))

    /**
     * Stops an actor and forgets it at once. Its own exit signal is not waited for: an actor interrupted before its
     * fiber began never reports one, and its slot would then hand a dead actor to every later message.
     */
    const stopActor = (handle: ActorHandle, entry: Entry) => Effect.zipRight(handle.stop, forget(handle.scanId, entry))

    return {
      owned: () => Array.from(owned.keys()),
      epochs: (): ReadonlyArray<ShardLease> => Array.from(owned, ([shard, epoch]) => ({ shard, epoch })),
      /** Leases whose actors found a newer epoch: the node must give them up. */
      takeStale: (): ReadonlyArray<ShardLease> => {
        const list = Array.from(stale, ([shard, epoch]) => ({ shard, epoch }))
        stale.clear()
        return list
      },
      actorCount: () => actors.size,
      deliver,
      acquire: (shard: number, epoch: number) =>
        Effect.gen(function*() {
          owned.set(shard, epoch)
          unhydrated.add(shard)
          // Rehydration runs beside the ownership round, which must go on renewing leases however many scans load.
          yield* Effect.forkIn(rehydrate(shard, epoch), hostScope)
        }),
      /** Stops the shard's actors if it is still held under `epoch`; false if that lease had already ended here. */
      lose: ({ epoch, shard }: ShardLease) =>
        Effect.gen(function*() {
          if (owned.get(shard) !== epoch) return false
          owned.delete(shard)
          unhydrated.delete(shard)
          stale.delete(shard)
          // Out of the map before anything yields, so the shard's next epoch never finds them; a start still under
          // way sees its entry gone and stops its actor itself.
          const ending = Array.from(actors).filter(([, entry]) => entry.shard === shard)
          for (const [scanId] of ending) actors.delete(scanId)
          for (const [scanId, entry] of ending) {
            const handle = yield* handleOf(entry)
            if (handle !== undefined) yield* stopActor(handle, entry)
            else yield* forget(scanId, entry)
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
        for (const { entry, handle } of yield* started) {
          const idle = now - handle.lastActivity() >= settings.passivateMs
          if (idle && handle.inFlight() === 0 && (handle.status() === "CREATED" || handle.status() === "PAUSED")) {
            yield* stopActor(handle, entry)
          }
        }
        // Each owned shard's entries pending on other nodes (taken at once: they are orphans), and its entries idle
        // for reclaimIdleMs (a delivery that failed here or was lost). Claims of all shards go out together.
        yield* Effect.forEach(Array.from(owned.keys()), (shard) =>
          Effect.gen(function*() {
            const orphans = yield* inbox.claimOrphans(shard, settings.consumer).pipe(Effect.orElseSucceed(() => []))
            const idle = yield* inbox.claim(shard, settings.consumer, settings.reclaimIdleMs).pipe(
              Effect.orElseSucceed(() => [])
            )
            // Delivered beside the ownership round, not in it: loading a scan may take retries, and the round must
            // renew the node's leases on time whatever the deliveries do.
            if (orphans.length + idle.length > 0) {
              yield* Effect.forkIn(
                Effect.zipRight(
                  Effect.forEach(orphans, (delivery) => deliver(delivery, "takeover"), { discard: true }),
                  Effect.forEach(idle, (delivery) => deliver(delivery), { discard: true })
                ),
                hostScope
              )
            }
          }), { concurrency: 16, discard: true })
      })
    }
  })

export type ShardHost = Effect.Effect.Success<ReturnType<typeof make>>
