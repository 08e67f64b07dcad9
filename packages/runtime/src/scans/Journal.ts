/**
 * Group commit for event appends: every actor of a node writes through here, and whatever
 * accumulated while the previous transaction ran goes out in the next one. A failing batch is
 * split so that one stale or conflicting scan does not fail its neighbours.
 *
 * One writer by default: with one transaction in flight, batches grow with the load, and a node
 * bound by its CPU spends it on fewer, larger transactions (three writers made batches a quarter
 * the size and the bench a third slower).
 */
import { Config, Context, Deferred, Effect, Layer, Queue } from "effect"
import type { ConcurrencyConflict, PersistenceError, StaleEpoch } from "../platform/Errors.js"
import { EventStore } from "./EventStore.js"
import type { Append } from "./EventStore.js"
import * as Settings from "./Settings.js"

type AppendError = PersistenceError | StaleEpoch | ConcurrencyConflict

export interface JournalService {
  readonly write: (append: Append) => Effect.Effect<void, AppendError>
}

export class Journal extends Context.Tag("@mirage/runtime/Journal")<Journal, JournalService>() {}

export const JournalConfig = Config.all({
  batch: Settings.journalBatch,
  writers: Settings.journalWriters
})

interface Pending {
  readonly append: Append
  readonly done: Deferred.Deferred<void, AppendError>
}

export const make = (options: { readonly batch: number; readonly writers: number }) =>
  Effect.gen(function*() {
    const store = yield* EventStore
    const queue = yield* Queue.unbounded<Pending>()
    const writeOne = (pending: Pending) =>
      Effect.exit(store.append([pending.append])).pipe(Effect.flatMap((exit) => Deferred.done(pending.done, exit)))
    const writer = Effect.forever(
      Effect.gen(function*() {
        const first = yield* Queue.take(queue)
        const rest = yield* Queue.takeUpTo(queue, options.batch - 1)
        const batch = [first, ...rest]
        if (batch.length === 1) return yield* writeOne(first)
        const exit = yield* Effect.exit(store.append(batch.map((p) => p.append)))
        if (exit._tag === "Success") {
          for (const pending of batch) yield* Deferred.succeed(pending.done, undefined)
        } else {
          yield* Effect.forEach(batch, writeOne, { discard: true })
        }
      })
    )
    for (let i = 0; i < options.writers; i++) yield* Effect.forkScoped(writer)
    return Journal.of({
      write: (append) =>
        Effect.flatMap(Deferred.make<void, AppendError>(), (done) =>
          Queue.offer(queue, { append, done }).pipe(Effect.zipRight(Deferred.await(done))))
    })
  })

export const layer = Layer.scoped(Journal, Effect.flatMap(JournalConfig, make))
export const layerWith = (options: { readonly batch: number; readonly writers: number }) =>
  Layer.scoped(Journal, make(options))
