/**
 * Group commit for event appends: every actor of a node writes through here, and whatever
 * accumulated while the previous transaction ran goes out in the next one. A failing batch is
 * split so that one stale or conflicting scan does not fail its neighbours.
 *
 * One writer by default: with one transaction in flight, batches grow with the load, and a node
 * bound by its CPU spends it on fewer, larger transactions (three writers made batches a quarter
 * the size and the bench a third slower).
 */
import { Config, Context, Deferred, Effect, Layer } from "effect"
import type { ConcurrencyConflict, PersistenceError, StaleEpoch } from "../platform/Errors.js"
import * as GroupCommit from "../platform/GroupCommit.js"
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

export const make = (options: { readonly batch: number; readonly writers: number }) =>
  Effect.gen(function*() {
    const store = yield* EventStore
    const writeOne = (pending: GroupCommit.Waiting<Append, void, AppendError>) =>
      Effect.exit(store.append([pending.input])).pipe(Effect.flatMap((exit) => Deferred.done(pending.done, exit)))
    const write = yield* GroupCommit.make<Append, void, AppendError>({
      workers: options.writers,
      limit: options.batch,
      run: (batch) =>
        Effect.gen(function*() {
          if (batch.length === 1) return yield* writeOne(batch[0]!)
          const exit = yield* Effect.exit(store.append(batch.map((p) => p.input)))
          if (exit._tag === "Success") {
            for (const pending of batch) yield* Deferred.succeed(pending.done, undefined)
          } else {
            yield* Effect.forEach(batch, writeOne, { discard: true })
          }
        })
    })
    return Journal.of({ write })
  })

export const layer = Layer.scoped(Journal, Effect.flatMap(JournalConfig, make))
export const layerWith = (options: { readonly batch: number; readonly writers: number }) =>
  Layer.scoped(Journal, make(options))
