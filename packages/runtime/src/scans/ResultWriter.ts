/**
 * Group commit for results: every actor of a node stores its results through here, and what
 * accumulated while the previous write ran goes out in one `insertMany` for all those scans.
 */
import type { CollectionResult } from "@mirage/domain/CollectionTask"
import { Config, Context, Deferred, Effect, Exit, Layer, Queue } from "effect"
import type { PersistenceError } from "../platform/Errors.js"
import { ResultStore } from "./ResultStore.js"
import * as Settings from "./Settings.js"

export interface ResultWriterService {
  readonly write: (owner: string, results: ReadonlyArray<CollectionResult>) => Effect.Effect<void, PersistenceError>
}

export class ResultWriter extends Context.Tag("@mirage/runtime/ResultWriter")<ResultWriter, ResultWriterService>() {}

export const ResultWriterConfig = Config.all({
  batch: Settings.resultBatch,
  writers: Settings.resultWriters
})

interface Pending {
  readonly owner: string
  readonly results: ReadonlyArray<CollectionResult>
  readonly done: Deferred.Deferred<void, PersistenceError>
}

export const make = (options: { readonly batch: number; readonly writers: number }) =>
  Effect.gen(function*() {
    const store = yield* ResultStore
    const queue = yield* Queue.unbounded<Pending>()
    const writer = Effect.forever(
      Effect.gen(function*() {
        const batch = [yield* Queue.take(queue)]
        let size = batch[0]!.results.length
        while (size < options.batch) {
          const next = yield* Queue.poll(queue)
          if (next._tag === "None") break
          batch.push(next.value)
          size += next.value.results.length
        }
        // Inserts are idempotent (unique owner + hash), so a failed batch is simply failed back to its actors.
        const exit = yield* Effect.exit(store.insertAll(batch))
        for (const pending of batch) yield* Deferred.done(pending.done, Exit.asVoid(exit))
      })
    )
    for (let i = 0; i < options.writers; i++) yield* Effect.forkScoped(writer)
    return ResultWriter.of({
      write: (owner, results) =>
        results.length === 0 ? Effect.void : Effect.flatMap(
          Deferred.make<void, PersistenceError>(),
          (done) => Queue.offer(queue, { owner, results, done }).pipe(Effect.zipRight(Deferred.await(done)))
        )
    })
  })

export const layer = Layer.scoped(ResultWriter, Effect.flatMap(ResultWriterConfig, make))
export const layerWith = (options: { readonly batch: number; readonly writers: number }) =>
  Layer.scoped(ResultWriter, make(options))
