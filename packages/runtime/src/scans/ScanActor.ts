/**
 * The scan actor: one fiber owns one scan. It takes what its mailbox holds, lets the pure state machine decide, stores
 * results then events (one group-committed append per batch), and only then acts: replies, acknowledges stream entries,
 * dispatches task fibers, arms its deadline. What findings become (normalization, dedup, the result budget) is decided
 * in the domain (`Findings`); how a batch is persisted, the actor's tasks, its deadline alarm and where its outcomes go
 * are in `internal/`.
 */
import type { CollectionResult } from "@mirage/domain/CollectionTask"
import * as Findings from "@mirage/domain/Findings"
import type { ScanId } from "@mirage/domain/Ids"
import { isTerminal } from "@mirage/domain/Scan"
import type { ScanStatus } from "@mirage/domain/Scan"
import { makeDraft } from "@mirage/domain/ScanDraft"
import { runningTasks } from "@mirage/domain/ScanMachine"
import type { ScanState, TaskEntry } from "@mirage/domain/ScanMachine"
import {
  Cause,
  Clock,
  Config,
  Deferred,
  Duration,
  Effect,
  Either,
  Exit,
  Fiber,
  FiberRef,
  HashMap,
  Option,
  Queue
} from "effect"
import type { Scope } from "effect"
import type { Replies, Reply } from "../cluster/Replies.js"
import type { Envelope } from "../cluster/ShardInbox.js"
import type { Finding, TaskExecutor, TaskFailure } from "../collection/TaskExecutor.js"
import type { TaskPool } from "../collection/TaskPool.js"
import type { PersistenceError } from "../platform/Errors.js"
import * as Tracing from "../platform/Tracing.js"
import type { Fence, Loaded } from "./EventStore.js"
import { apply, persist } from "./internal/actorBatch.js"
import type { Pending } from "./internal/actorBatch.js"
import { makeActorDeadline } from "./internal/actorDeadline.js"
import type { ActorDeadline } from "./internal/actorDeadline.js"
import { knownBefore } from "./internal/actorKnown.js"
import { replier, resultSink } from "./internal/actorOutputs.js"
import { makeActorTasks } from "./internal/actorTasks.js"
import type { ActorTasks } from "./internal/actorTasks.js"
import { Journal } from "./Journal.js"
import type { JournalService } from "./Journal.js"
import type { ResultStore } from "./ResultStore.js"
import { ScanObserver } from "./ScanObserver.js"
import type { ScanObserverService } from "./ScanObserver.js"
import * as Settings from "./Settings.js"

export { snapshotDue } from "./internal/actorBatch.js"

export type ActorMessage =
  | { readonly _tag: "Deliver"; readonly envelope: Envelope; readonly ack: Effect.Effect<void> }
  | {
    readonly _tag: "TaskDone"
    readonly task: TaskEntry
    readonly exit: Exit.Exit<ReadonlyArray<Finding>, TaskFailure>
  }
  | { readonly _tag: "Tick" }

/** What an actor needs from its node. */
export type ActorRequirements = Journal | ResultStore | TaskExecutor | TaskPool | Replies | ScanObserver

/** Why an actor stopped: its scan ended, its shard moved, its log changed under it, or it broke. */
export type ActorExit = "finished" | "stale" | "conflict" | "crashed" | "stopped"

export interface ActorHandle {
  readonly scanId: ScanId
  readonly shard: number
  /** False when the actor has stopped taking messages: the caller starts a new one. */
  readonly offer: (message: ActorMessage) => Effect.Effect<boolean>
  readonly status: () => ScanStatus
  /** Clock time of the last message handled: passivation reads it. */
  readonly lastActivity: () => number
  readonly inFlight: () => number
  /** Stops the actor and its tasks; persisted state is what it was. */
  readonly stop: Effect.Effect<void>
  readonly exit: Effect.Effect<ActorExit>
  /** Calls `listener` once, synchronously, when the actor's fiber has ended (at once if it has). */
  readonly onExit: (listener: (exit: ActorExit) => void) => void
}

export interface ActorSettings {
  /** Tasks of one scan running at once. */
  readonly scanConcurrency: number
  /** A snapshot is stored after this many events, or after as many events as the scan has tasks if that is more. */
  readonly snapshotEvery: number
  /**
   * An update carrying staged changes (a webhook, dependencies) sent longer ago than this is refused: the sweep may
   * have discarded its changes, and it must not be stored without them. None: no limit.
   */
  readonly updateExpiryMs?: number
}

export const ActorConfig: Config.Config<ActorSettings> = Config.all({
  scanConcurrency: Settings.scanConcurrency,
  snapshotEvery: Settings.snapshotEvery,
  // Half the discard age: clocks of the gateway that sent it and of this node may differ by less than that.
  updateExpiryMs: Config.map(Settings.stagedDiscardAfter, (age) => Duration.toMillis(age) / 2)
})

const rejection = (error: { readonly _tag: string; readonly message: string; readonly status?: ScanStatus }) => ({
  tag: error._tag,
  message: error.message,
  status: error.status ?? null
})

/** An actor: what it works with, and its own state, which only its fiber changes. */
interface Actor {
  readonly scanId: ScanId
  readonly placement: { readonly shard: number; readonly fence: Fence }
  readonly settings: ActorSettings
  readonly mailbox: Queue.Queue<ActorMessage>
  readonly stopped: Deferred.Deferred<ActorExit>
  readonly journal: JournalService
  readonly observer: ScanObserverService
  readonly storeResults: (stored: ReadonlyArray<CollectionResult>) => Effect.Effect<void, PersistenceError>
  readonly reply: (envelope: Envelope, outcome: Reply["outcome"], rejected: Reply["rejection"]) => Effect.Effect<void>
  readonly tasks: ActorTasks
  readonly deadline: ActorDeadline
  /** With `new_entities_only`: what the scan's series knew before it (its entities are not expanded). */
  readonly known: ReadonlySet<string> | undefined
  state: ScanState
  /** Ids of the commands already applied: a redelivered one is answered again, not applied twice. */
  readonly commands: Set<string>
  sinceSnapshot: number
  /** Clock time of the last batch handled. */
  lastActivity: number
  /** No more messages are taken: offers are refused and the host starts a new actor. */
  closed: boolean
}

/** Whether the envelope is an update carrying staged changes that waited longer than the actor accepts. */
const expired = (settings: ActorSettings, envelope: Envelope, now: number): boolean => {
  const command = envelope.command
  return settings.updateExpiryMs !== undefined && command._tag === "UpdateScan" &&
    (command.webhook_change !== undefined || command.depends_on !== undefined) &&
    now - envelope.sent_at > settings.updateExpiryMs
}

const updateExpired = {
  _tag: "UpdateExpired",
  message: "the update waited too long for its scan: the changes it staged may be discarded"
}

/** A command from the inbox: applied once (a repeat is only answered), answered and acknowledged once persisted. */
const deliver = (actor: Actor, pending: Pending, message: Extract<ActorMessage, { readonly _tag: "Deliver" }>) =>
  Effect.gen(function*() {
    const envelope = message.envelope
    // One user command per append, so that its id is recorded with its events.
    if (pending.commandId !== null) yield* persist(actor, pending)
    if (actor.commands.has(envelope.command_id)) {
      pending.after.push(actor.reply(envelope, "accepted", null), message.ack)
      return
    }
    if (expired(actor.settings, envelope, pending.now)) {
      pending.after.push(actor.reply(envelope, "rejected", rejection(updateExpired)), message.ack)
      return
    }
    const decided = apply(pending, envelope.command)
    if (Either.isLeft(decided)) {
      pending.after.push(actor.reply(envelope, "rejected", rejection(decided.left)), message.ack)
    } else {
      pending.commandId = envelope.command_id
      pending.after.push(actor.reply(envelope, "accepted", null), message.ack)
    }
  })

/** A task's exit: its findings become results and entities, or its failure is recorded; an interruption is neither. */
const taskDone = (actor: Actor, pending: Pending, message: Extract<ActorMessage, { readonly _tag: "TaskDone" }>) => {
  actor.tasks.done(message.task.task_id)
  const exit = message.exit
  if (Exit.isSuccess(exit)) {
    const succeeded = Findings.taskSucceeded(pending.draft.current, message.task, exit.value, pending.now, actor.known)
    pending.stored.push(...succeeded.results)
    apply(pending, succeeded.command)
  } else if (!Cause.isInterruptedOnly(exit.cause)) {
    const failure = Cause.failureOption(exit.cause)
    const error = Option.isSome(failure) ? failure.value.message : Cause.pretty(exit.cause)
    apply(pending, { _tag: "TaskErrored", task_id: message.task.task_id, error })
  }
}

/** Handles one batch of messages; returns how the actor ends, if it does. */
const handle = (
  actor: Actor,
  batch: ReadonlyArray<ActorMessage>
): Effect.Effect<ActorExit | undefined, never, Scope.Scope> =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    actor.lastActivity = now
    const pending: Pending = {
      now,
      draft: makeDraft(actor.state),
      events: [],
      commandId: null,
      stored: [],
      after: [],
      toStart: []
    }
    for (const message of batch) {
      switch (message._tag) {
        case "Deliver":
          yield* deliver(actor, pending, message)
          break
        case "TaskDone":
          taskDone(actor, pending, message)
          break
        case "Tick":
          apply(pending, { _tag: "Tick" })
          break
      }
    }
    yield* persist(actor, pending)
    if (pending.toStart.length > 0) {
      const due: Array<TaskEntry> = []
      for (const id of pending.toStart) {
        const task = HashMap.get(actor.state.tasks, id)
        if (Option.isSome(task)) due.push(task.value)
      }
      yield* actor.tasks.startAll(due)
    }
    if (actor.state.deleted || isTerminal(actor.state.status)) {
      yield* actor.tasks.stopAll
      yield* actor.deadline.cancel
      return "finished" as const
    }
    yield* actor.deadline.arm(actor.state, now)
    return undefined
  }).pipe(
    Effect.catchTags({
      StaleEpoch: () => Effect.succeed("stale" as const),
      ConcurrencyConflict: () => Effect.succeed("conflict" as const),
      PersistenceError: (error) =>
        Effect.logError("scan actor could not persist", error).pipe(Effect.as("crashed" as const))
    })
  )

/** Ends the actor only if nothing arrived meanwhile: offers after this see `closed`. */
const close = (actor: Actor) =>
  Effect.sync(() => {
    if (Option.getOrElse(actor.mailbox.unsafeSize(), () => 0) > 0) return false
    actor.closed = true
    return true
  })

/** The actor's fiber: restarts what was running, then handles batch after batch until the actor ends. */
const run = (actor: Actor, initial: ReadonlyArray<ActorMessage>) =>
  Effect.gen(function*() {
    // Annotated for the fiber's whole life (and the tasks it starts), without a wrapper on its stack.
    yield* FiberRef.update(FiberRef.currentLogAnnotations, HashMap.set("scan_id", actor.scanId as unknown))
    // Recovery: what was running when the previous owner stopped runs again (ids are
    // deterministic, so its results land once); then the frontier continues.
    for (const task of runningTasks(actor.state)) yield* actor.tasks.start(task)
    let batch: ReadonlyArray<ActorMessage> = [{ _tag: "Tick" }, ...initial]
    while (true) {
      const ended = yield* handle(actor, batch)
      if (ended !== undefined && (ended !== "finished" || (yield* close(actor)))) return ended
      const head = yield* Queue.take(actor.mailbox)
      batch = [head, ...(yield* Queue.takeUpTo(actor.mailbox, 255))]
    }
  }).pipe(
    Effect.catchAllDefect((defect) => Effect.logError("scan actor defect", defect).pipe(Effect.as("crashed" as const))),
    // One handler rather than a stack of them: an idle actor's fiber keeps every frame while it waits.
    Effect.onExit((exit) =>
      Effect.zipRight(
        Effect.sync(() => {
          actor.closed = true
          Deferred.unsafeDone(actor.stopped, Exit.succeed(Exit.isSuccess(exit) ? exit.value : "stopped" as const))
        }),
        actor.tasks.stopAll
      )
    )
  )

/** Starts the actor of a loaded scan, placed on a shard under a fence; its fibers live in the given scope. */
export const make = (
  loaded: Loaded,
  placement: { readonly shard: number; readonly fence: Fence },
  settings: ActorSettings,
  initial: ReadonlyArray<ActorMessage> = []
): Effect.Effect<ActorHandle, never, ActorRequirements | Scope.Scope> =>
  Effect.gen(function*() {
    const scanId = loaded.state.id
    const mailbox = yield* Queue.unbounded<ActorMessage>()
    // The scan's root span as the parent of its task and command spans: derived once per actor, when tracing is on.
    const traceParent = new Tracing.LazyScanParent(scanId)
    const actor: Actor = {
      scanId,
      placement,
      settings,
      mailbox,
      stopped: yield* Deferred.make<ActorExit>(),
      journal: yield* Journal,
      observer: yield* ScanObserver,
      storeResults: yield* resultSink(scanId, () => actor.state),
      reply: yield* replier(traceParent),
      tasks: yield* makeActorTasks(
        scanId,
        traceParent,
        () => actor.state,
        (task, exit) => Effect.sync(() => void mailbox.unsafeOffer({ _tag: "TaskDone", task, exit }))
      ),
      deadline: yield* makeActorDeadline(mailbox),
      known: yield* knownBefore(loaded.state),
      state: loaded.state,
      commands: new Set(loaded.commands),
      sinceSnapshot: 0,
      lastActivity: yield* Clock.currentTimeMillis,
      closed: false
    }
    // Submitted tasks run in the pool's fibers and the shared timer is the host's, not in this scope: closing it
    // stops both.
    yield* Effect.addFinalizer(() => Effect.zipRight(actor.tasks.stopAll, Effect.sync(() => actor.deadline.release())))

    const fiber = yield* Effect.forkScoped(run(actor, initial))
    // However the fiber ends, its exit is reported, even when it was interrupted before its first step (it then runs
    // none of its finalizers). An observer rather than a fiber waiting on it: idle actors are many.
    const exitListeners: Array<(exit: ActorExit) => void> = []
    fiber.addObserver((exit) => {
      actor.closed = true
      const ended: ActorExit = Exit.isSuccess(exit) ? exit.value : "stopped"
      Deferred.unsafeDone(actor.stopped, Exit.succeed(ended))
      for (const listener of exitListeners.splice(0)) listener(ended)
    })

    return {
      scanId,
      shard: placement.shard,
      offer: (message) => Effect.sync(() => !actor.closed && mailbox.unsafeOffer(message)),
      status: () => actor.state.status,
      lastActivity: () => actor.lastActivity,
      inFlight: actor.tasks.inFlight,
      // A fiber interrupted before its first step runs none of its finalizers: closing the mailbox
      // and reading the exit from the fiber itself holds in that case too.
      // Built when called: every idle actor would otherwise keep this chain of effects.
      stop: Effect.suspend(() =>
        Fiber.interrupt(fiber).pipe(
          Effect.zipRight(Effect.sync(() => {
            actor.closed = true
          })),
          Effect.zipRight(Deferred.succeed(actor.stopped, "stopped")),
          Effect.asVoid
        )
      ),
      exit: Deferred.await(actor.stopped),
      onExit: (listener) => {
        if (fiber.unsafePoll() === null) {
          exitListeners.push(listener)
        } else {
          const exit = fiber.unsafePoll()!
          listener(Exit.isSuccess(exit) ? exit.value : "stopped")
        }
      }
    }
  })
