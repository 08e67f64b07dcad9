/**
 * Deadlines of many scan actors on one timer: a host's actors set their next deadline here and a
 * single fiber sleeps until the earliest, instead of one sleeping fiber per actor.
 */
import { Clock, Context, Deferred, Effect, Exit } from "effect"
import type { Scope } from "effect"

/**
 * One timer for the deadlines of many actors (a host's): a heap of deadlines and a single fiber that sleeps until
 * the earliest, instead of a sleeping fiber per actor. `set` replaces the owner's deadline; `fire` runs in the
 * timer's fiber and must not block.
 */
export interface DeadlineTimersService {
  readonly set: (owner: object, at: number, fire: () => void) => void
  readonly clear: (owner: object) => void
  /** Deadlines set and not yet fired or cleared. */
  readonly size: () => number
}

export class DeadlineTimers extends Context.Tag("@mirage/runtime/DeadlineTimers")<
  DeadlineTimers,
  DeadlineTimersService
>() {}

interface Deadline {
  readonly at: number
  readonly owner: object
  readonly fire: () => void
}

/** The shared deadline timer; its fiber lives in the current scope. */
export const makeDeadlineTimers: Effect.Effect<DeadlineTimersService, never, Scope.Scope> = Effect.gen(function*() {
  // A binary min-heap on `at`; entries replaced or cleared stay in it until they reach the top, then are dropped.
  let heap: Array<Deadline> = []
  const current = new Map<object, Deadline>()
  const push = (entry: Deadline) => {
    heap.push(entry)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (heap[parent]!.at <= entry.at) break
      heap[i] = heap[parent]!
      i = parent
    }
    heap[i] = entry
  }
  const pop = () => {
    const top = heap[0]
    const last = heap.pop()!
    if (heap.length > 0) {
      let i = 0
      while (true) {
        const left = 2 * i + 1
        if (left >= heap.length) break
        const right = left + 1
        const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left
        if (heap[child]!.at >= last.at) break
        heap[i] = heap[child]!
        i = child
      }
      heap[i] = last
    }
    return top
  }
  const live = (entry: Deadline) => current.get(entry.owner) === entry
  /** The earliest live deadline, dropping dead entries on top. */
  const earliest = () => {
    while (heap.length > 0 && !live(heap[0]!)) pop()
    return heap[0]?.at
  }
  let wake = yield* Deferred.make<void>()
  let armedAt: number | undefined
  const loop = Effect.gen(function*() {
    while (true) {
      const now = yield* Clock.currentTimeMillis
      while (heap.length > 0 && heap[0]!.at <= now) {
        const entry = pop()!
        if (!live(entry)) continue
        current.delete(entry.owner)
        entry.fire()
      }
      const at = earliest()
      armedAt = at
      const signal = wake
      yield* at === undefined
        ? Deferred.await(signal)
        : Effect.raceFirst(Effect.sleep(Math.max(0, at - now)), Deferred.await(signal))
      if (signal === wake) wake = yield* Deferred.make<void>()
    }
  })
  yield* Effect.forkScoped(loop)
  return {
    set: (owner, at, fire) => {
      const entry: Deadline = { at, owner, fire }
      current.set(owner, entry)
      push(entry)
      // Dead entries are kept only as long as they are a minority.
      if (heap.length > 64 && heap.length > current.size * 2) {
        const entries = Array.from(current.values())
        heap = []
        for (const e of entries) push(e)
      }
      if (armedAt === undefined || at < armedAt) {
        armedAt = at
        Deferred.unsafeDone(wake, Exit.void)
      }
    },
    clear: (owner) => {
      current.delete(owner)
    },
    size: () => current.size
  }
})
