/**
 * A node's bounded pool of task slots, shared by every actor on the node. HIGH tasks go before
 * MEDIUM before LOW, by weighted turns so that LOW is never starved.
 *
 * A waiting task is a record in a queue, not a fiber: `submit` forks the task's fiber only when a
 * slot is free (thousands of queued tasks cost a few objects each), and `run` wakes its caller.
 */
import type { Priority } from "@mirage/domain/Scan"
import { Context, Deferred, Effect, Exit, Fiber, FiberId, Layer, Runtime } from "effect"
import * as Settings from "./Settings.js"

/** A task handed to the pool with `submit`. */
export interface Submitted {
  /** Takes the task out of its queue, or interrupts it and waits for it if it runs; nothing if it ended. */
  readonly cancel: Effect.Effect<void>
}

/** How a submitter takes its task back: out of the queue while it waits, interrupted once it runs. */
const cancellation = <T extends { readonly state: string; readonly fiber: Fiber.RuntimeFiber<void> | undefined }>(
  entry: T,
  release: (entry: T) => void
): Submitted => ({
  cancel: Effect.suspend(() => {
    if (entry.state === "queued") {
      release(entry)
      return Effect.void
    }
    return entry.fiber === undefined ? Effect.void : Fiber.interrupt(entry.fiber)
  }).pipe(Effect.asVoid)
})

export interface TaskPoolService {
  /** Runs `task` when a slot is free; the caller waits for its completion. */
  readonly run: <A, E, R>(priority: Priority, task: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /**
   * Queues `task` and returns at once: its fiber is forked (with the caller's context and fiber refs) only when a
   * slot is free, and it holds the slot until it ends.
   */
  readonly submit: <R>(priority: Priority, task: Effect.Effect<void, never, R>) => Effect.Effect<Submitted, never, R>
  /** `submit` of several tasks, queued in order in one step. */
  readonly submitAll: <R>(
    priority: Priority,
    tasks: ReadonlyArray<Effect.Effect<void, never, R>>
  ) => Effect.Effect<Array<Submitted>, never, R>
  /** Tasks waiting for a slot, by priority. */
  readonly waiting: Effect.Effect<Record<Priority, number>>
}

export class TaskPool extends Context.Tag("@mirage/runtime/TaskPool")<TaskPool, TaskPoolService>() {}

export const NodeConcurrency = Settings.nodeConcurrency

/** The order in which priorities take free slots: 4 HIGH, 2 MEDIUM, 1 LOW per cycle. */
export const turns: ReadonlyArray<Priority> = ["HIGH", "MEDIUM", "HIGH", "LOW", "HIGH", "MEDIUM", "HIGH"]

/** A queued or admitted task: `wake` resumes a caller of `run`; `fork` starts a submitted task's fiber. */
type Entry =
  | {
    readonly _tag: "wake"
    readonly priority: Priority
    /** Completed when the entry gets its slot. */
    readonly start: Deferred.Deferred<void>
    state: "queued" | "admitted" | "released"
  }
  | {
    readonly _tag: "fork"
    readonly priority: Priority
    /** What the entry's fiber is forked from; dropped once forked, so that the entry holds no more than it needs. */
    runtime: Runtime.Runtime<never> | undefined
    task: Effect.Effect<void> | undefined
    state: "queued" | "admitted" | "released"
    /** The task's fiber while it runs (dropped when it ends: its submitter may keep the entry a while after). */
    fiber: Fiber.RuntimeFiber<void> | undefined
  }

/** A FIFO with a moving head: `shift` on a long array would copy it. */
class Line<T extends { readonly state: string } = Entry> {
  private items: Array<T | undefined> = []
  private head = 0
  /** Entries still queued (released ones are skipped lazily). */
  size = 0
  push(entry: T) {
    this.items.push(entry)
    this.size++
  }
  take(): T | undefined {
    while (this.head < this.items.length) {
      const entry = this.items[this.head]
      this.items[this.head++] = undefined
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head)
        this.head = 0
      }
      if (entry !== undefined && entry.state === "queued") {
        this.size--
        return entry
      }
    }
    return undefined
  }
}

export const make = (slots: number) =>
  Effect.gen(function*() {
    const queues: Record<Priority, Line> = { HIGH: new Line(), MEDIUM: new Line(), LOW: new Line() }
    const forked = new Set<Entry & { readonly _tag: "fork" }>()
    let free = slots
    let closed = false
    let turn = 0
    const next = (): Entry | undefined => {
      for (let i = 0; i < turns.length; i++) {
        const priority = turns[(turn + i) % turns.length]!
        const entry = queues[priority].take()
        if (entry !== undefined) {
          turn = (turn + i + 1) % turns.length
          return entry
        }
      }
      return undefined
    }

    /** Gives free slots to queued entries, in turn order. Synchronous: fibers are forked, callers woken. */
    const dispatch = (): void => {
      while (free > 0 && !closed) {
        const entry = next()
        if (entry === undefined) return
        free--
        entry.state = "admitted"
        if (entry._tag === "wake") {
          Deferred.unsafeDone(entry.start, Exit.void)
        } else {
          const fiber = Runtime.runFork(entry.runtime!)(entry.task!)
          entry.runtime = undefined
          entry.task = undefined
          forked.add(entry)
          entry.fiber = fiber
          fiber.addObserver(() => {
            entry.fiber = undefined
            forked.delete(entry)
            release(entry)
          })
        }
      }
    }

    /** The entry no longer needs its slot or its place in the queue. */
    const release = (entry: Entry): void => {
      const before = entry.state
      entry.state = "released"
      if (before === "queued") {
        queues[entry.priority].size--
      } else if (before === "admitted") {
        free++
        dispatch()
      }
    }

    const enqueue = (entry: Entry) => {
      queues[entry.priority].push(entry)
      dispatch()
    }

    // The pool's fibers end with it.
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        closed = true
        const fibers = Array.from(forked, (entry) => entry.fiber!)
        forked.clear()
        return Fiber.interruptAll(fibers)
      })
    )

    const run = <A, E, R>(priority: Priority, task: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          const entry: Entry = { _tag: "wake", priority, start: Deferred.unsafeMake(FiberId.none), state: "queued" }
          enqueue(entry)
          return restore(Effect.zipRight(Deferred.await(entry.start), task)).pipe(
            Effect.ensuring(Effect.sync(() => release(entry)))
          )
        })
      )

    const queue = (runtime: Runtime.Runtime<never>, priority: Priority, task: Effect.Effect<void>): Submitted => {
      const entry: Entry = { _tag: "fork", priority, runtime, task, state: "queued", fiber: undefined }
      enqueue(entry)
      return cancellation(entry, release)
    }

    const submit = <R>(priority: Priority, task: Effect.Effect<void, never, R>): Effect.Effect<Submitted, never, R> =>
      Effect.map(
        Effect.runtime<R>(),
        (runtime) => queue(runtime as Runtime.Runtime<never>, priority, task as Effect.Effect<void>)
      )

    const submitAll = <R>(
      priority: Priority,
      tasks: ReadonlyArray<Effect.Effect<void, never, R>>
    ): Effect.Effect<Array<Submitted>, never, R> =>
      Effect.map(
        Effect.runtime<R>(),
        (runtime) =>
          tasks.map((task) => queue(runtime as Runtime.Runtime<never>, priority, task as Effect.Effect<void>))
      )

    return TaskPool.of({
      run,
      submit,
      submitAll,
      waiting: Effect.sync(() => ({
        HIGH: queues.HIGH.size,
        MEDIUM: queues.MEDIUM.size,
        LOW: queues.LOW.size
      }))
    })
  })

/**
 * Tasks that must take their organization's quota slot before they queue for the node's: at most `perKey` of one
 * organization wait for it at once on this node (each polls the quota store), the others wait as records in turn
 * order. A task admitted here calls `acquired` once it holds its slot, which lets the next one in.
 */
export interface QuotaGateService {
  readonly submit: <R>(
    key: string,
    priority: Priority,
    task: (acquired: Effect.Effect<void>) => Effect.Effect<void, never, R>
  ) => Effect.Effect<Submitted, never, R>
  /** Tasks waiting to be let in, over all keys. */
  readonly waiting: () => number
}

export class QuotaGate extends Context.Tag("@mirage/runtime/QuotaGate")<QuotaGate, QuotaGateService>() {}

interface GateEntry {
  readonly _tag: "fork"
  readonly priority: Priority
  readonly key: string
  readonly runtime: Runtime.Runtime<never>
  task: Effect.Effect<void>
  state: "queued" | "admitted" | "released"
  fiber: Fiber.RuntimeFiber<void> | undefined
}

export const makeQuotaGate = (perKey: number) =>
  Effect.gen(function*() {
    const keys = new Map<
      string,
      { readonly queues: Record<Priority, Line<GateEntry>>; admitted: number; turn: number }
    >()
    const running = new Set<GateEntry>()
    let closed = false
    let waiting = 0
    const dispatch = (key: string): void => {
      const slot = keys.get(key)
      if (slot === undefined) return
      while (slot.admitted < perKey && !closed) {
        let entry: GateEntry | undefined
        for (let i = 0; i < turns.length && entry === undefined; i++) {
          const priority = turns[(slot.turn + i) % turns.length]!
          entry = slot.queues[priority].take()
          if (entry !== undefined) slot.turn = (slot.turn + i + 1) % turns.length
        }
        if (entry === undefined) break
        const admitted = entry
        waiting--
        slot.admitted++
        admitted.state = "admitted"
        const fiber = Runtime.runFork(admitted.runtime)(admitted.task)
        admitted.fiber = fiber
        running.add(admitted)
        fiber.addObserver(() => {
          running.delete(admitted)
          admitted.fiber = undefined
          release(admitted)
        })
      }
      if (slot.admitted === 0 && slot.queues.HIGH.size + slot.queues.MEDIUM.size + slot.queues.LOW.size === 0) {
        keys.delete(key)
      }
    }
    const release = (entry: GateEntry): void => {
      const before = entry.state
      entry.state = "released"
      if (before === "queued") {
        waiting--
        const slot = keys.get(entry.key)
        if (slot !== undefined) slot.queues[entry.priority].size--
        dispatch(entry.key)
      } else if (before === "admitted") {
        const slot = keys.get(entry.key)
        if (slot !== undefined) slot.admitted--
        dispatch(entry.key)
      }
    }
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        closed = true
        const fibers = Array.from(running, (entry) => entry.fiber!).filter((fiber) => fiber !== undefined)
        running.clear()
        return Fiber.interruptAll(fibers)
      })
    )
    const submit: QuotaGateService["submit"] = (key, priority, task) =>
      Effect.map(Effect.runtime<never>(), (runtime) => {
        const entry: GateEntry = {
          _tag: "fork",
          priority,
          key,
          runtime: runtime as Runtime.Runtime<never>,
          task: Effect.void,
          state: "queued",
          fiber: undefined
        }
        entry.task = task(Effect.sync(() => {
          // Holding its quota slot, the task no longer counts against the waiters.
          if (entry.state === "admitted") release(entry)
        })) as Effect.Effect<void>
        let slot = keys.get(key)
        if (slot === undefined) {
          slot = {
            queues: { HIGH: new Line<GateEntry>(), MEDIUM: new Line<GateEntry>(), LOW: new Line<GateEntry>() },
            admitted: 0,
            turn: 0
          }
          keys.set(key, slot)
        }
        slot.queues[priority].push(entry)
        waiting++
        dispatch(key)
        return cancellation(entry, release)
      })
    return QuotaGate.of({ submit, waiting: () => waiting })
  })

export const layer = Layer.scoped(TaskPool, Effect.flatMap(NodeConcurrency, make))
export const layerWith = (slots: number) => Layer.scoped(TaskPool, make(slots))
