/** The result store in memory, the twin of ResultStore/Mongo: unique per (owner, hash) and per id, keyset pages on id. */
import { bytesOf, stringify } from "@mirage/domain/api/JsonText"
import { CollectionResult } from "@mirage/domain/CollectionTask"
import { Effect, Layer } from "effect"
import { PersistenceError } from "../../platform/Errors.js"
import { decodeCursor, misidentified, pageFrom, ResultStore } from "../ResultStore.js"
import type { ResultStoreService } from "../ResultStore.js"
import { wireOf } from "./ReadCopy.js"

/** The store's contents: several nodes of one simulation share one. */
export interface ResultStoreMemory {
  readonly byId: Map<string, { readonly owner: string; readonly result: CollectionResult }>
  /** `owner/hash` of every stored result. */
  readonly keys: Set<string>
  /** While true every call fails, as when the database is unreachable. */
  outage: boolean
}

export const makeStore = (): ResultStoreMemory => ({ byId: new Map(), keys: new Set(), outage: false })

export const make = (store: ResultStoreMemory): ResultStoreService => {
  const guarded = <A, E>(operation: string, run: Effect.Effect<A, E>) =>
    Effect.suspend((): Effect.Effect<A, E | PersistenceError> =>
      store.outage ? Effect.fail(new PersistenceError({ operation, cause: "result store unavailable" })) : run
    )

  const insertOne = (owner: string, results: ReadonlyArray<CollectionResult>) => {
    let inserted = 0
    for (const result of results) {
      const key = `${owner}/${result.hash}`
      if (store.keys.has(key) || store.byId.has(result.id)) continue
      store.keys.add(key)
      store.byId.set(result.id, { owner, result })
      inserted++
    }
    return inserted
  }

  const insertAll: ResultStoreService["insertAll"] = (batches) =>
    guarded(
      "ResultStore.insert",
      Effect.suspend(() => {
        const refused = misidentified(batches)
        return refused !== undefined
          ? Effect.fail(refused)
          : Effect.succeed(batches.reduce((n, batch) => n + insertOne(batch.owner, batch.results), 0))
      })
    )

  const list: ResultStoreService["list"] = (query) =>
    guarded(
      "ResultStore.list",
      Effect.gen(function*() {
        const after = query.cursor === undefined ? undefined : yield* decodeCursor(query.cursor)
        const limit = Math.max(1, Math.floor(query.limit))
        const matching = Array.from(store.byId.values())
          .filter(({ owner, result }) =>
            owner === query.owner &&
            (query.task_id === undefined || result.task_id === query.task_id) &&
            (query.data_type === undefined || result.data_type === query.data_type) &&
            (query.module_id === undefined || result.module_id === query.module_id) &&
            (query.min_confidence === undefined || result.confidence >= query.min_confidence) &&
            (after === undefined || result.id > after)
          )
          .map(({ result }) => result)
          .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        return pageFrom(matching, limit, (result) => result.id)
      })
    )

  return ResultStore.of({
    insert: (owner, results) => insertAll([{ owner, results }]),
    insertAll,
    list,
    // Through the same encoding the read copy stores: the twin answers what the real store would.
    listJson: (query) =>
      Effect.map(list(query), (page) => ({
        items: page.items.map((result) => bytesOf(stringify(CollectionResult, wireOf(result)))),
        next_cursor: page.next_cursor
      })),
    count: (owner) =>
      guarded(
        "ResultStore.count",
        Effect.sync(() => Array.from(store.byId.values()).filter((stored) => stored.owner === owner).length)
      ),
    purge: (owner) =>
      guarded(
        "ResultStore.purge",
        Effect.sync(() => {
          for (const [id, stored] of store.byId) {
            if (stored.owner !== owner) continue
            store.byId.delete(id)
            store.keys.delete(`${owner}/${stored.result.hash}`)
          }
        })
      )
  })
}

/** A result store on the given contents. */
export const layer = (store: ResultStoreMemory) => Layer.succeed(ResultStore, make(store))

/** A result store of its own, empty. */
export const layerFresh = Layer.sync(ResultStore, () => make(makeStore()))
