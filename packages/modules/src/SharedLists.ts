/**
 * Whole lists a source publishes (a catalog, a feed, a blocklist), read once and shared by every task of a node for
 * a while: the first task to ask loads it, tasks asking meanwhile wait for that one load, and it is loaded again
 * once its time is over. A failed load is not kept: the next task asking loads it again.
 */
import { Cause, Clock, Deferred, Effect, Exit, Ref } from "effect"

/** What a module is given: the list under `key`, loaded by `load` unless this node holds a fresh copy. */
export interface SharedLists {
  readonly get: <A, E>(key: string, load: Effect.Effect<A, E>) => Effect.Effect<A, E>
}

/** Every call loads: for contexts with no node behind them (a module's own tests). */
export const unshared: SharedLists = { get: (_key, load) => load }

/** A node's lists, each kept for the TTL its caller gives (0 or less: not kept). */
export interface ListStore {
  readonly get: <A, E>(key: string, ttlMs: number, load: Effect.Effect<A, E>) => Effect.Effect<A, E>
}

interface Entry {
  readonly done: Deferred.Deferred<unknown, unknown>
  /** Epoch ms (Effect's Clock) after which the list is loaded again; infinite while its load runs. */
  readonly expires: number
}

export const makeStore: Effect.Effect<ListStore> = Effect.gen(function*() {
  const entries = yield* Ref.make(new Map<string, Entry>())

  const settle =
    (key: string, mine: Deferred.Deferred<unknown, unknown>, ttlMs: number) => (exit: Exit.Exit<unknown, unknown>) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        yield* Ref.update(entries, (all) => {
          if (all.get(key)?.done !== mine) return all
          const next = new Map(all)
          if (Exit.isSuccess(exit)) next.set(key, { done: mine, expires: now + ttlMs })
          else next.delete(key)
          return next
        })
        yield* Deferred.done(mine, exit)
      })

  const get = <A, E>(key: string, ttlMs: number, load: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    ttlMs <= 0 ? load : Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const mine = yield* Deferred.make<unknown, unknown>()
      const entry = yield* Ref.modify(entries, (all): [Entry, Map<string, Entry>] => {
        const held = all.get(key)
        if (held !== undefined && held.expires > now) return [held, all]
        const loading: Entry = { done: mine, expires: Number.POSITIVE_INFINITY }
        return [loading, new Map(all).set(key, loading)]
      })
      if (entry.done === mine) return yield* Effect.onExit(load, settle(key, mine, ttlMs))
      const exit = yield* Effect.exit(Deferred.await(entry.done))
      // The task loading it was interrupted (its timeout, a cancelled scan): this one loads it itself.
      if (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)) return yield* get(key, ttlMs, load)
      // Only the callers naming `key` load under it, with the same `load`: its answer is of their types.
      return yield* (exit as Exit.Exit<A, E>)
    })

  return { get }
})
