/**
 * The tasks one scan actor has started: each runs through the node's pool, under its organization's task quota when the
 * node enforces one, and reports its exit to the actor's mailbox.
 */
import type { ScanId, TaskId } from "@mirage/domain/Ids"
import type { ScanState, TaskEntry } from "@mirage/domain/ScanMachine"
import { Effect, Fiber, FiberRef, Option } from "effect"
import type { Exit, Scope } from "effect"
import { TaskExecutor } from "../../collection/TaskExecutor.js"
import type { Finding, TaskFailure } from "../../collection/TaskExecutor.js"
import { QuotaGate, TaskPool } from "../../collection/TaskPool.js"
import { TaskSlots } from "../../collection/TaskSlots.js"
import * as Metrics from "../../platform/Metrics.js"
import * as Tracing from "../../platform/Tracing.js"

export interface ActorTasks {
  /** Starts a task unless it is already running. */
  readonly start: (task: TaskEntry) => Effect.Effect<void, never, Scope.Scope>
  /** Starts tasks, in order, unless they are already running: without a quota, queued in the pool in one step. */
  readonly startAll: (tasks: ReadonlyArray<TaskEntry>) => Effect.Effect<void, never, Scope.Scope>
  /** The task reported its exit: it is no longer running. */
  readonly done: (taskId: TaskId) => void
  /** Stops every running task. */
  readonly stopAll: Effect.Effect<void>
  readonly inFlight: () => number
}

export const makeActorTasks = (
  scanId: ScanId,
  traceParent: Tracing.ScanRef,
  /** The actor's state as it is now: a task is built from it when it gets its slot. */
  current: () => ScanState,
  report: (task: TaskEntry, exit: Exit.Exit<ReadonlyArray<Finding>, TaskFailure>) => Effect.Effect<void>
): Effect.Effect<ActorTasks, never, TaskExecutor | TaskPool> =>
  Effect.gen(function*() {
    const executor = yield* TaskExecutor
    const pool = yield* TaskPool
    // The organization's concurrent-task quota, when the node enforces one (optional, so hosts without it work unchanged).
    const slots = yield* Effect.serviceOption(TaskSlots)
    // With the host's gate, only a few tasks of an organization wait for its quota at once on the node; `acquired`
    // tells the gate that this one holds its slot.
    const gate = yield* Effect.serviceOption(QuotaGate)
    /** Tasks started and not reported done, with how to stop each. */
    const running = new Map<TaskId, Effect.Effect<void>>()

    const withQuota = <A, E>(
      task: TaskEntry,
      run: Effect.Effect<A, E>,
      acquired: Effect.Effect<void> = Effect.void
    ): Effect.Effect<A, E> =>
      Option.isNone(slots)
        ? run
        : slots.value.withSlot(current().header.organization_id, task.task_id, Effect.zipRight(acquired, run))

    // Under a quota, a task takes its organization's slot before it queues for the node's (it must not hold a node
    // slot while it waits for its organization), so its fiber exists from the start and waits in `pool.run`.
    // Without one, the task is a record in the pool's queue and its fiber is forked when a slot is free.
    const inPool = <A, E>(run: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      Option.isNone(slots) ? run : pool.run(current().definition.configuration.priority, run)

    // Read once per actor: the Clock times tasks, and without a tracer no task span is made at all.
    const clock = yield* Effect.clock
    const traced = yield* FiberRef.get(FiberRef.currentTracerEnabled)

    /**
     * A task's whole life as few effects as possible (every task of every scan runs this): counted and timed with
     * plain calls around its exit, which goes to the actor's mailbox.
     */
    const runTask = (task: TaskEntry, acquired?: Effect.Effect<void>) => {
      const state = current()
      const run = withQuota(
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
      )
      const start = clock.unsafeCurrentTimeMillis()
      Metrics.taskStarted(task.module_id)
      return Effect.flatMap(
        Effect.exit(
          traced
            ? Tracing.inScan(traceParent, "task", {
              "mirage.task_id": task.task_id,
              "mirage.module_id": task.module_id,
              "mirage.entity_type": task.entity.type,
              "mirage.entity": task.entity.value,
              "mirage.depth": task.depth
            })(run)
            : run
        ),
        (exit) => {
          Metrics.taskEnded(task.module_id, exit, (clock.unsafeCurrentTimeMillis() - start) / 1000)
          return report(task, exit)
        }
      )
    }

    const start = (task: TaskEntry) =>
      Effect.gen(function*() {
        if (running.has(task.task_id)) return
        const state = current()
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
          running.set(task.task_id, Fiber.interrupt(yield* Effect.forkScoped(Effect.suspend(() => runTask(task)))))
        }
      })

    const startAll = (tasks: ReadonlyArray<TaskEntry>): Effect.Effect<void, never, Scope.Scope> => {
      if (Option.isSome(slots)) return Effect.forEach(tasks, start, { discard: true })
      const fresh: Array<TaskEntry> = []
      const taken = new Set<TaskId>()
      for (const task of tasks) {
        if (running.has(task.task_id) || taken.has(task.task_id)) continue
        taken.add(task.task_id)
        fresh.push(task)
      }
      if (fresh.length === 0) return Effect.void
      return Effect.map(
        pool.submitAll(
          current().definition.configuration.priority,
          fresh.map((task) => Effect.suspend(() => runTask(task)))
        ),
        (submitted) => submitted.forEach((s, i) => running.set(fresh[i]!.task_id, s.cancel))
      )
    }

    const stopAll = Effect.suspend(() => {
      const cancels = Array.from(running.values())
      running.clear()
      return Effect.all(cancels, { concurrency: "unbounded", discard: true })
    })

    return {
      start,
      startAll,
      done: (taskId) => void running.delete(taskId),
      stopAll,
      inFlight: () => running.size
    }
  })
