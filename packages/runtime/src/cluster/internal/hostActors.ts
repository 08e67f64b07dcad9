/**
 * The scan actors of a shard host, by scan: each started from the event store under the epoch its shard is held with
 * (a start that finds the shard moved gives up), restarted after a crash or a conflict, stopped and forgotten.
 */
import type { ScanId } from "@mirage/domain/Ids"
import { Context, Deferred, Effect, Exit, Option, Runtime, Schedule, Scope } from "effect"
import { makeQuotaGate, QuotaGate } from "../../collection/TaskPool.js"
import * as Retry from "../../platform/Retry.js"
import { DeadlineTimers, makeDeadlineTimers } from "../../scans/DeadlineTimers.js"
import { EventStore } from "../../scans/EventStore.js"
import * as ScanActor from "../../scans/ScanActor.js"
import type { ActorHandle, ActorMessage, ActorSettings } from "../../scans/ScanActor.js"

/** A scan's load, retried while PostgreSQL is briefly unavailable. */
const loadRetry = Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(5)))

/**
 * Why there is no actor: the scan has no log ("missing": its commands are answered as not found), or this node cannot
 * start it now ("unavailable": the shard moved or the store failed; its commands stay pending and come back).
 */
export type Absent = "missing" | "unavailable"

/** A scan's actor, from the moment its start begins: the handle (or why there is none) comes through `slot`. */
export interface Entry {
  readonly slot: Deferred.Deferred<ActorHandle | Absent>
  readonly shard: number
  scope?: Scope.CloseableScope
}

/** The host's shards, as the actors see them. */
export interface HostShards {
  /** Shards held, with the epoch of their lease. */
  readonly owned: Map<number, number>
  /** Shards (and the epoch) whose actors found a newer epoch in the store. */
  readonly stale: Map<number, number>
  /**
   * Shards whose active scans are not all running yet (the store failed while they loaded): each round retries them,
   * so a store outage during a takeover cannot leave a scan of an owned shard without its actor.
   */
  readonly unhydrated: Set<number>
}

export interface HostActorSettings extends ActorSettings {
  readonly restartDelayMs: number
  /** Tasks of one organization waiting for its quota at once on this node (the others wait queued); 4 by default. */
  readonly quotaWaiters?: number
}

export interface HostActors {
  /** Every actor by scan, started or starting. */
  readonly entries: Map<string, Entry>
  /**
   * The running actor of a scan, given `initial`: as its first messages when this starts it, else offered to it (an
   * actor ending as they come leaves them to a fresh one). Or why there is none; then no message was taken.
   */
  readonly spawn: (
    scanId: string,
    shard: number,
    initial: ReadonlyArray<ActorMessage>
  ) => Effect.Effect<ActorHandle | Absent>
  /** Closes the actor's scope, and removes it from the map if it is still the scan's actor there. */
  readonly forget: (scanId: string, entry: Entry) => Effect.Effect<void>
  /**
   * Stops an actor and forgets it at once. Its own exit signal is not waited for: an actor interrupted before its
   * fiber began never reports one, and its slot would then hand a dead actor to every later message.
   */
  readonly stop: (handle: ActorHandle, entry: Entry) => Effect.Effect<void>
  /** The handle of an actor that has started, if it has. */
  readonly handleOf: (entry: Entry) => Effect.Effect<ActorHandle | undefined>
  /** The actors that have started. */
  readonly started: Effect.Effect<Array<{ readonly handle: ActorHandle; readonly entry: Entry }>>
}

/** Offers messages to an actor in order: the index of the first it refused (it was ending), if one was. */
const firstRefused = (handle: ActorHandle, messages: ReadonlyArray<ActorMessage>) =>
  Effect.gen(function*() {
    for (let i = 0; i < messages.length; i++) {
      if (!(yield* handle.offer(messages[i]!))) return i
    }
    return undefined
  })

export const makeHostActors = (
  settings: HostActorSettings,
  shards: HostShards
): Effect.Effect<HostActors, never, ScanActor.ActorRequirements | EventStore | Scope.Scope> =>
  Effect.gen(function*() {
    const store = yield* EventStore
    const hostScope = yield* Effect.scope
    const runtime = yield* Effect.runtime<never>()
    // One timer for the deadlines of all the host's actors, and one gate for the tasks waiting for their quota.
    const context = (yield* Effect.context<ScanActor.ActorRequirements>()).pipe(
      Context.add(DeadlineTimers, yield* makeDeadlineTimers),
      Context.add(QuotaGate, yield* makeQuotaGate(settings.quotaWaiters ?? 4))
    )
    const { owned } = shards
    const actors = new Map<string, Entry>()

    const forget = (scanId: string, entry: Entry) =>
      Effect.gen(function*() {
        if (actors.get(scanId) === entry) actors.delete(scanId)
        if (entry.scope !== undefined) yield* Scope.close(entry.scope, Exit.void)
      })

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
          const refused = typeof handle === "string" ? undefined : yield* firstRefused(handle, initial)
          if (refused === undefined) return handle
          // It was ending as they came: a fresh one takes the rest (the ending one is forgotten when it exits).
          if (actors.get(scanId) === existing) actors.delete(scanId)
          return yield* spawn(scanId, shard, initial.slice(refused))
        }
        const entry: Entry = { slot: yield* Deferred.make<ActorHandle | Absent>(), shard }
        actors.set(scanId, entry)
        const epoch = owned.get(shard)
        // The start stands only while the shard is held under the same epoch and nothing took the entry away.
        const current = () => owned.get(shard) === epoch && actors.get(scanId) === entry
        const loaded = epoch === undefined ? Option.none() : yield* store.load(scanId as ScanId).pipe(
          Retry.afterFailure(loadRetry),
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
            shards.stale.set(handle.shard, epoch)
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
          if (started === "unavailable" && owned.has(handle.shard)) shards.unhydrated.add(handle.shard)
        }))

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

    return {
      entries: actors,
      spawn,
      forget,
      stop: (handle, entry) => Effect.zipRight(handle.stop, forget(handle.scanId, entry)),
      handleOf,
      started
    }
  })
