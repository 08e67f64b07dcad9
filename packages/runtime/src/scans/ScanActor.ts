/**
 * The scan actor: one fiber owns one scan. It takes what its mailbox holds, lets the pure state
 * machine decide, stores results then events (one group-committed append per batch), and only
 * then acts: replies, acknowledges stream entries, dispatches task fibers, arms its deadline.
 */
import { CollectionResult } from "@mirage/domain/CollectionTask"
import { normalizeEntity } from "@mirage/domain/Entity"
import type { Entity } from "@mirage/domain/Entity"
import { entityKey, resultHash } from "@mirage/domain/Entity"
import { resultIdFor } from "@mirage/domain/Ids"
import type { ScanId, TaskId } from "@mirage/domain/Ids"
import { isTerminal } from "@mirage/domain/Scan"
import type { ScanStatus } from "@mirage/domain/Scan"
import type { ScanCommand, ScanEvent } from "@mirage/domain/ScanEvent"
import { deadline, decide, evolve, queuedTasks, runningTasks } from "@mirage/domain/ScanMachine"
import type { ScanState, TaskEntry } from "@mirage/domain/ScanMachine"
import {
  Cause,
  Clock,
  Config,
  DateTime,
  Deferred,
  Effect,
  Either,
  Exit,
  Fiber,
  FiberRef,
  HashMap,
  Metric,
  Option,
  Queue,
  Schedule
} from "effect"
import type { Scope } from "effect"
import { Replies } from "../cluster/Replies.js"
import type { Reply } from "../cluster/Replies.js"
import type { Envelope } from "../cluster/ShardInbox.js"
import { TaskExecutor } from "../collection/TaskExecutor.js"
import type { Finding, TaskFailure } from "../collection/TaskExecutor.js"
import { QuotaGate, TaskPool } from "../collection/TaskPool.js"
import { TaskSlots } from "../collection/TaskSlots.js"
import * as Metrics from "../platform/Metrics.js"
import * as Tracing from "../platform/Tracing.js"
import { DeadlineTimers } from "./DeadlineTimers.js"
import type { Fence, Loaded } from "./EventStore.js"
import { Journal } from "./Journal.js"
import { ResultStore } from "./ResultStore.js"
import { ResultWriter } from "./ResultWriter.js"
import { ScanObserver } from "./ScanObserver.js"

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
}

/**
 * Whether a batch leaving `state`, `sinceSnapshot` events after the last snapshot, stores a new one. A snapshot
 * costs as much as the scan has tasks, so the interval grows with them: snapshots cost O(1) per event whatever the
 * scan's size, and recovery replays at most about as many events as the snapshot it starts from holds tasks.
 */
export const snapshotDue = (state: ScanState, sinceSnapshot: number, every: number): boolean =>
  isTerminal(state.status) || sinceSnapshot >= Math.max(every, HashMap.size(state.tasks))

export const ActorConfig = Config.all({
  scanConcurrency: Config.integer("MIRAGE_SCAN_CONCURRENCY").pipe(Config.withDefault(16)),
  snapshotEvery: Config.integer("MIRAGE_SNAPSHOT_EVERY").pipe(Config.withDefault(200))
})

const rejection = (error: { readonly _tag: string; readonly message: string; readonly status?: ScanStatus }) => ({
  tag: error._tag,
  message: error.message,
  status: error.status ?? null
})

const persistRetry = Schedule.exponential("50 millis").pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(6)))

/**
 * Starts the actor of a loaded scan, placed on a shard under a fence. Its fibers live in the given
 * scope; the returned handle is how the host talks to it.
 */
export const make = (
  loaded: Loaded,
  placement: { readonly shard: number; readonly fence: Fence },
  settings: ActorSettings,
  initial: ReadonlyArray<ActorMessage> = []
): Effect.Effect<ActorHandle, never, ActorRequirements | Scope.Scope> =>
  Effect.gen(function*() {
    const journal = yield* Journal
    const results = yield* ResultStore
    const executor = yield* TaskExecutor
    const pool = yield* TaskPool
    const replies = yield* Replies
    const observer = yield* ScanObserver
    // Nodes batch results of all their scans into one insert; without a writer, each batch inserts alone.
    const writer = yield* Effect.serviceOption(ResultWriter)
    const storeResults = (stored: ReadonlyArray<CollectionResult>) =>
      (Option.isSome(writer) ? writer.value.write(scanId, stored) : Effect.asVoid(results.insert(scanId, stored))).pipe(
        Effect.zipRight(Metric.incrementBy(Metrics.resultsStored, stored.length))
      )
    // The organization's concurrent-task quota, when the node enforces one (optional, so hosts without it work unchanged).
    const slots = yield* Effect.serviceOption(TaskSlots)
    const mailbox = yield* Queue.unbounded<ActorMessage>()
    const stopped = yield* Deferred.make<ActorExit>()
    const scanId = loaded.state.id
    // The scan's root span as the parent of its task and command spans, derived once per actor.
    const traceParent = Tracing.scanParent(scanId)
    let state: ScanState = loaded.state
    const commands = new Set(loaded.commands)
    /** Tasks started and not reported done, with how to stop each. */
    const running = new Map<TaskId, Effect.Effect<void>>()
    // The host's shared deadline timer when there is one; otherwise the actor sleeps in a fiber of its own.
    const timers = yield* Effect.serviceOption(DeadlineTimers)
    const timerKey = {}
    const tick = () => void mailbox.unsafeOffer({ _tag: "Tick" })
    let timer: { readonly at: number; readonly cancel: Effect.Effect<void> } | undefined
    let sinceSnapshot = 0
    let lastActivity = yield* Clock.currentTimeMillis

    // With the host's gate, only a few tasks of an organization wait for its quota at once on the node; `acquired`
    // tells the gate that this one holds its slot.
    const gate = yield* Effect.serviceOption(QuotaGate)
    const withQuota = <A, E>(
      task: TaskEntry,
      run: Effect.Effect<A, E>,
      acquired: Effect.Effect<void> = Effect.void
    ): Effect.Effect<A, E> =>
      Option.isNone(slots)
        ? run
        : slots.value.withSlot(state.header.organization_id, task.task_id, Effect.zipRight(acquired, run))

    // Under a quota, a task takes its organization's slot before it queues for the node's (it must not hold a node
    // slot while it waits for its organization), so its fiber exists from the start and waits in `pool.run`.
    // Without one, the task is a record in the pool's queue and its fiber is forked when a slot is free.
    const inPool = <A, E>(run: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      Option.isNone(slots) ? run : pool.run(state.definition.configuration.priority, run)

    const runTask = (task: TaskEntry, acquired?: Effect.Effect<void>) =>
      withQuota(
        task,
        inPool(
          executor.run({
            task_id: task.task_id,
            owner: scanId,
            scan_id: scanId,
            module_id: task.module_id,
            entity: task.entity,
            config: state.plan.find((m) => m.id === task.module_id)?.config ?? {},
            priority: state.definition.configuration.priority,
            timeout_ms: state.definition.configuration.task_timeout * 1000
          })
        ),
        acquired
      ).pipe(
        Metrics.trackTask(task.module_id),
        Tracing.inScan(traceParent, "task", {
          "mirage.task_id": task.task_id,
          "mirage.module_id": task.module_id,
          "mirage.entity_type": task.entity.type,
          "mirage.entity": task.entity.value,
          "mirage.depth": task.depth
        }),
        Effect.exit,
        Effect.flatMap((exit) => Queue.offer(mailbox, { _tag: "TaskDone", task, exit })),
        Effect.asVoid
      )

    const startTask = (task: TaskEntry) =>
      Effect.gen(function*() {
        if (running.has(task.task_id)) return
        if (Option.isNone(slots)) {
          // Built when the task gets its slot: a queued task is a record, not a tree of effects with spans.
          const submitted = yield* pool.submit(
            state.definition.configuration.priority,
            Effect.suspend(() => runTask(task))
          )
          running.set(task.task_id, submitted.cancel)
        } else if (Option.isSome(gate)) {
          const submitted = yield* gate.value.submit(
            state.header.organization_id,
            state.definition.configuration.priority,
            (acquired) => Effect.suspend(() => runTask(task, acquired))
          )
          running.set(task.task_id, submitted.cancel)
        } else {
          running.set(task.task_id, Fiber.interrupt(yield* Effect.forkScoped(runTask(task))))
        }
      })

    const stopTasks = Effect.suspend(() => {
      const cancels = Array.from(running.values())
      running.clear()
      return Effect.all(cancels, { concurrency: "unbounded", discard: true })
    })
    // Submitted tasks run in the pool's fibers and the shared timer is the host's, not in this scope: closing it
    // stops both.
    yield* Effect.addFinalizer(() =>
      Effect.zipRight(
        stopTasks,
        Effect.sync(() => {
          if (Option.isSome(timers)) timers.value.clear(timerKey)
        })
      )
    )

    const armTimer = (now: number) =>
      Effect.gen(function*() {
        const at = state.status === "RUNNING" ? deadline(state) : null
        if (timer !== undefined && timer.at === at) return
        if (timer !== undefined) yield* timer.cancel
        timer = undefined
        if (at === null) return
        if (Option.isSome(timers)) {
          const shared = timers.value
          shared.set(timerKey, at, tick)
          timer = { at, cancel: Effect.sync(() => shared.clear(timerKey)) }
          return
        }
        const fiber = yield* Effect.forkScoped(
          Effect.sleep(Math.max(0, at - now)).pipe(
            Effect.zipRight(Queue.offer(mailbox, { _tag: "Tick" })),
            Effect.asVoid
          )
        )
        timer = { at, cancel: Fiber.interrupt(fiber) }
      })

    /**
     * Findings to canonical entities: new ones (stored as results, within the result budget) and
     * ones seen before, which only go to `decide` — found closer to the target, they are planned.
     */
    const admit = (draft: ScanState, findings: ReadonlyArray<Finding>) => {
      const budget = draft.definition.configuration.max_results - draft.result_count
      const entities: Array<Entity> = []
      const stored: Array<{ readonly entity: Entity; readonly finding: Finding }> = []
      const fresh = new Set<string>()
      for (const finding of findings) {
        const entity = normalizeEntity(finding)
        if (Either.isLeft(entity)) continue
        const key = entityKey(entity.right)
        if (fresh.has(key)) continue
        fresh.add(key)
        if (HashMap.has(draft.seen, key)) {
          entities.push(entity.right)
        } else if (stored.length < budget) {
          entities.push(entity.right)
          stored.push({ entity: entity.right, finding })
        }
      }
      return { entities, stored }
    }

    const toResult = (task: TaskEntry, entity: Entity, finding: Finding, now: number): CollectionResult => {
      const hash = resultHash(entity.type, entity.value)
      // Built from values the actor has already checked, so the constructor's validation is skipped.
      return new CollectionResult({
        id: resultIdFor(scanId, hash),
        task_id: task.task_id,
        scan_id: scanId,
        module_id: task.module_id,
        data_type: entity.type,
        data: entity.value,
        source_data: { ...finding.source_data },
        confidence: Math.min(1, Math.max(0, finding.confidence)),
        collected_at: DateTime.unsafeMake(now),
        metadata: { ...finding.metadata },
        hash
      }, true)
    }

    /** Answers the sender once the command's outcome is persisted; traced in the scan, linked to the request. */
    const reply = (envelope: Envelope, outcome: Reply["outcome"], rejected: Reply["rejection"]) =>
      (envelope.reply_to === null
        ? Effect.void
        : replies.publish(envelope.reply_to, { command_id: envelope.command_id, outcome, rejection: rejected }).pipe(
          Effect.catchAll(() => Effect.void)
        )).pipe(Tracing.commandSpan(traceParent, envelope, outcome))

    /** Handles one batch of messages; returns how the actor ends, if it does. */
    const handle = (batch: ReadonlyArray<ActorMessage>): Effect.Effect<ActorExit | undefined, never, Scope.Scope> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        lastActivity = now
        let draft = state
        let events: Array<ScanEvent> = []
        let commandId: string | null = null
        let stored: Array<CollectionResult> = []
        let after: Array<Effect.Effect<void>> = []
        const toStart: Array<TaskId> = []

        const apply = (command: ScanCommand) => {
          const decided = decide(draft, command, now)
          if (Either.isRight(decided)) {
            events.push(...decided.right)
            draft = decided.right.reduce(evolve, draft)
          }
          return decided
        }

        const persist = Effect.gen(function*() {
          if (draft.status === "RUNNING") {
            const free = settings.scanConcurrency - draft.counts.running
            for (const task of queuedTasks(draft, free)) {
              apply({ _tag: "MarkTaskStarted", task_id: task.task_id })
              toStart.push(task.task_id)
            }
          }
          if (stored.length > 0) yield* storeResults(stored).pipe(Effect.retry(persistRetry))
          if (events.length > 0) {
            sinceSnapshot += events.length
            const snapshot = snapshotDue(draft, sinceSnapshot, settings.snapshotEvery)
            yield* journal.write({
              scan_id: scanId,
              shard: placement.shard,
              expected_seq: state.seq,
              events,
              command_id: commandId,
              fence: placement.fence,
              state: draft,
              snapshot
            }).pipe(Effect.retry({ schedule: persistRetry, while: (e) => e._tag === "PersistenceError" }))
            if (snapshot) sinceSnapshot = 0
          }
          const before = state
          const persisted = events
          state = draft
          if (commandId !== null) commands.add(commandId)
          yield* Effect.all(after, { discard: true })
          if (persisted.length > 0) yield* observer.persisted({ before, after: state, events: persisted })
          events = []
          stored = []
          after = []
          commandId = null
        })

        for (const message of batch) {
          switch (message._tag) {
            case "Deliver": {
              const envelope = message.envelope
              // One user command per append, so that its id is recorded with its events.
              if (commandId !== null) yield* persist
              if (commands.has(envelope.command_id)) {
                after.push(reply(envelope, "accepted", null), message.ack)
                continue
              }
              const decided = apply(envelope.command)
              if (Either.isLeft(decided)) {
                after.push(reply(envelope, "rejected", rejection(decided.left)), message.ack)
              } else {
                commandId = envelope.command_id
                after.push(reply(envelope, "accepted", null), message.ack)
              }
              break
            }
            case "TaskDone": {
              running.delete(message.task.task_id)
              const exit = message.exit
              if (Exit.isSuccess(exit)) {
                const admitted = admit(draft, exit.value)
                stored.push(
                  ...admitted.stored.map(({ entity, finding }) => toResult(message.task, entity, finding, now))
                )
                apply({
                  _tag: "TaskSucceeded",
                  task_id: message.task.task_id,
                  result_count: admitted.stored.length,
                  entities: admitted.entities
                })
              } else if (!Cause.isInterruptedOnly(exit.cause)) {
                const failure = Cause.failureOption(exit.cause)
                const error = Option.isSome(failure) ? failure.value.message : Cause.pretty(exit.cause)
                apply({ _tag: "TaskErrored", task_id: message.task.task_id, error })
              }
              break
            }
            case "Tick":
              apply({ _tag: "Tick" })
              break
          }
        }
        yield* persist
        for (const id of toStart) {
          const task = HashMap.get(state.tasks, id)
          if (Option.isSome(task)) yield* startTask(task.value)
        }
        if (state.deleted || isTerminal(state.status)) {
          yield* stopTasks
          if (timer !== undefined) yield* timer.cancel
          return "finished" as const
        }
        yield* armTimer(now)
        return undefined
      }).pipe(
        Effect.catchTags({
          StaleEpoch: () => Effect.succeed("stale" as const),
          ConcurrencyConflict: () => Effect.succeed("conflict" as const),
          PersistenceError: (error) =>
            Effect.logError("scan actor could not persist", error).pipe(Effect.as("crashed" as const))
        })
      )

    let closed = false
    /** Ends the actor only if nothing arrived meanwhile: offers after this see `closed`. */
    const close = Effect.sync(() => {
      if (Option.getOrElse(mailbox.unsafeSize(), () => 0) > 0) return false
      closed = true
      return true
    })

    const loop = Effect.gen(function*() {
      // Annotated for the fiber's whole life (and the tasks it starts), without a wrapper on its stack.
      yield* FiberRef.update(FiberRef.currentLogAnnotations, HashMap.set("scan_id", scanId as unknown))
      // Recovery: what was running when the previous owner stopped runs again (ids are
      // deterministic, so its results land once); then the frontier continues.
      for (const task of runningTasks(state)) yield* startTask(task)
      let batch: ReadonlyArray<ActorMessage> = [{ _tag: "Tick" }, ...initial]
      while (true) {
        const ended = yield* handle(batch)
        if (ended !== undefined && (ended !== "finished" || (yield* close))) return ended
        const head = yield* Queue.take(mailbox)
        batch = [head, ...(yield* Queue.takeUpTo(mailbox, 255))]
      }
    }).pipe(
      Effect.catchAllDefect((defect) =>
        Effect.logError("scan actor defect", defect).pipe(Effect.as("crashed" as const))
      ),
      // One handler rather than a stack of them: an idle actor's fiber keeps every frame while it waits.
      Effect.onExit((exit) =>
        Effect.zipRight(
          Effect.sync(() => {
            closed = true
            Deferred.unsafeDone(stopped, Exit.succeed(Exit.isSuccess(exit) ? exit.value : "stopped" as const))
          }),
          stopTasks
        )
      )
    )
    const fiber = yield* Effect.forkScoped(loop)
    // However the fiber ends, its exit is reported, even when it was interrupted before its first step (it then runs
    // none of its finalizers). An observer rather than a fiber waiting on it: idle actors are many.
    const exitListeners: Array<(exit: ActorExit) => void> = []
    fiber.addObserver((exit) => {
      closed = true
      const ended: ActorExit = Exit.isSuccess(exit) ? exit.value : "stopped"
      Deferred.unsafeDone(stopped, Exit.succeed(ended))
      for (const listener of exitListeners.splice(0)) listener(ended)
    })

    return {
      scanId,
      shard: placement.shard,
      offer: (message) => Effect.sync(() => !closed && mailbox.unsafeOffer(message)),
      status: () => state.status,
      lastActivity: () => lastActivity,
      inFlight: () => running.size,
      // A fiber interrupted before its first step runs none of its finalizers: closing the mailbox
      // and reading the exit from the fiber itself holds in that case too.
      // Built when called: every idle actor would otherwise keep this chain of effects.
      stop: Effect.suspend(() =>
        Fiber.interrupt(fiber).pipe(
          Effect.zipRight(Effect.sync(() => {
            closed = true
          })),
          Effect.zipRight(Deferred.succeed(stopped, "stopped")),
          Effect.asVoid
        )
      ),
      exit: Deferred.await(stopped),
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
