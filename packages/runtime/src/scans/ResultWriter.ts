/**
 * Group commit for results: every actor of a node stores its results through here, and what
 * accumulated while the previous write ran goes out in one `insertMany` for all those scans.
 */
import type { CollectionResult } from "@mirage/domain/CollectionTask"
import { Config, Context, Deferred, Effect, Layer } from "effect"
import type { PersistenceError } from "../platform/Errors.js"
import * as GroupCommit from "../platform/GroupCommit.js"
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
}

export const make = (options: { readonly batch: number; readonly writers: number }) =>
  Effect.gen(function*() {
    const store = yield* ResultStore
    const insert = yield* GroupCommit.make<Pending, void, PersistenceError>({
      workers: options.writers,
      limit: options.batch,
      weight: (pending) => pending.results.length,
      // Inserts are idempotent (unique owner + hash), so a failed batch is simply failed back to its actors (the group
      // commit answers each with the failure).
      run: (batch) =>
        Effect.zipRight(
          store.insertAll(batch.map((waiting) => waiting.input)),
          Effect.forEach(batch, (waiting) => Deferred.succeed(waiting.done, undefined), { discard: true })
        )
    })
    return ResultWriter.of({
      write: (owner, results) => results.length === 0 ? Effect.void : insert({ owner, results })
    })
  })

export const layer = Layer.scoped(ResultWriter, Effect.flatMap(ResultWriterConfig, make))
export const layerWith = (options: { readonly batch: number; readonly writers: number }) =>
  Layer.scoped(ResultWriter, make(options))
