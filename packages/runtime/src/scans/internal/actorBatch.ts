/**
 * A scan actor's batch: what it has decided on its draft and not yet persisted, and how it is persisted — results
 * first, then its events in one append (with a snapshot when one is due), and only then made the actor's state.
 */
import type { CollectionResult } from "@mirage/domain/CollectionTask"
import type { ScanId, TaskId } from "@mirage/domain/Ids"
import { isTerminal } from "@mirage/domain/Scan"
import { decideInto } from "@mirage/domain/ScanDraft"
import type { ScanDraft } from "@mirage/domain/ScanDraft"
import type { ScanCommand, ScanEvent } from "@mirage/domain/ScanEvent"
import { dueTasks } from "@mirage/domain/ScanMachine"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { Effect, Either, HashMap, Schedule } from "effect"
import type { PersistenceError } from "../../platform/Errors.js"
import * as Retry from "../../platform/Retry.js"
import type { Fence } from "../EventStore.js"
import type { JournalService } from "../Journal.js"
import type { ScanObserverService } from "../ScanObserver.js"

/**
 * Whether a batch leaving `state`, `sinceSnapshot` events after the last snapshot, stores a new one. A snapshot
 * costs as much as the scan has tasks, so the interval grows with them: snapshots cost O(1) per event whatever the
 * scan's size, and recovery replays at most about as many events as the snapshot it starts from holds tasks. A scan
 * that ends stores its final state once `every` events have passed since the last one, so that loading an ended scan
 * (a later command, its plan) replays fewer than `every` events however large it is; a short scan (most of them: a
 * few dozen events) stores none, and loads by replaying its whole log.
 */
export const snapshotDue = (state: ScanState, sinceSnapshot: number, every: number): boolean =>
  sinceSnapshot >= (isTerminal(state.status) ? every : Math.max(every, HashMap.size(state.tasks)))

/** What persisting a batch reads and changes of its actor. */
export interface BatchOwner {
  readonly scanId: ScanId
  readonly placement: { readonly shard: number; readonly fence: Fence }
  readonly settings: { readonly scanConcurrency: number; readonly snapshotEvery: number }
  readonly journal: JournalService
  readonly observer: ScanObserverService
  readonly storeResults: (stored: ReadonlyArray<CollectionResult>) => Effect.Effect<void, PersistenceError>
  state: ScanState
  readonly commands: Set<string>
  sinceSnapshot: number
}

const persistRetry = Schedule.exponential("50 millis").pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(6)))

/** What a batch has decided and not yet persisted. */
export interface Pending {
  readonly now: number
  /** The actor's state with the batch's events applied, changed in place (see `ScanDraft`). */
  readonly draft: ScanDraft
  events: Array<ScanEvent>
  /** The user command whose events these are: one per append, so that its id is recorded with them. */
  commandId: string | null
  stored: Array<CollectionResult>
  /** What waits for the batch to be persisted: replies and acknowledgements. */
  after: Array<Effect.Effect<void>>
  readonly toStart: Array<TaskId>
}

/** Decides a command on the batch's draft; its events, if it is accepted, are applied to the draft. */
export const apply = (pending: Pending, command: ScanCommand) => {
  const decided = decideInto(pending.draft, command, pending.now)
  if (Either.isRight(decided)) {
    for (const event of decided.right) pending.events.push(event)
  }
  return decided
}

/**
 * Persists what the batch has decided, with the tasks now due marked started: results first, then the events in one
 * append. Only then is it the actor's state, and what waited for it runs (replies, acknowledgements, observers).
 */
export const persist = (actor: BatchOwner, pending: Pending) =>
  Effect.gen(function*() {
    const due = dueTasks(pending.draft.current, actor.settings.scanConcurrency).map((task) => task.task_id)
    if (due.length > 0) {
      // One event for the batch's starts.
      apply(pending, { _tag: "MarkTasksStarted", task_ids: due })
      for (const taskId of due) pending.toStart.push(taskId)
    }
    if (pending.stored.length > 0) yield* actor.storeResults(pending.stored).pipe(Retry.afterFailure(persistRetry))
    const draft = pending.draft.freeze()
    if (pending.events.length > 0) {
      actor.sinceSnapshot += pending.events.length
      const snapshot = snapshotDue(draft, actor.sinceSnapshot, actor.settings.snapshotEvery)
      yield* actor.journal.write({
        scan_id: actor.scanId,
        shard: actor.placement.shard,
        expected_seq: actor.state.seq,
        events: pending.events,
        command_id: pending.commandId,
        fence: actor.placement.fence,
        state: draft,
        snapshot
      }).pipe(Retry.afterFailure(persistRetry, { while: (e) => e._tag === "PersistenceError" }))
      if (snapshot) actor.sinceSnapshot = 0
    }
    const before = actor.state
    const persisted = pending.events
    actor.state = draft
    if (pending.commandId !== null) actor.commands.add(pending.commandId)
    yield* Effect.all(pending.after, { discard: true })
    if (persisted.length > 0) yield* actor.observer.persisted({ before, after: actor.state, events: persisted })
    pending.events = []
    pending.stored = []
    pending.after = []
    pending.commandId = null
  })
