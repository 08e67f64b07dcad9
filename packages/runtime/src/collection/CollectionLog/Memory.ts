/** The collection log in memory, the twin of CollectionLog/Mongo: the same ordering and pages. */
import { Effect, Layer } from "effect"
import { bySourceOf, CollectionLog, decodeCursor, encodeCursor, latestOf } from "../CollectionLog.js"
import type { CollectionLogEntry } from "../CollectionLog.js"

export interface CollectionLogStore {
  readonly entries: Array<CollectionLogEntry>
}

export const makeStore = (): CollectionLogStore => ({ entries: [] })

export const make = (store: CollectionLogStore) => {
  const page = (matches: (entry: CollectionLogEntry) => boolean, cursor: string | null, limit: number) =>
    Effect.sync(() => {
      const after = decodeCursor(cursor)
      const size = Math.max(1, Math.floor(limit))
      const items = store.entries
        .filter((entry) => matches(entry) && (after === undefined || entry.id > after))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      const kept = items.slice(0, size)
      const last = kept[kept.length - 1]
      return { items: kept, next_cursor: items.length > size && last !== undefined ? encodeCursor(last.id) : null }
    })
  return CollectionLog.of({
    append: (entries) => Effect.sync(() => void store.entries.push(...entries)),
    listForTask: (taskId, cursor, limit) => page((entry) => entry.task_id === taskId, cursor, limit),
    listForOwner: (owner, cursor, limit) => page((entry) => entry.owner === owner, cursor, limit),
    latestBySource: Effect.sync(() => bySourceOf(latestOf(store.entries)))
  })
}

export const layer = (store: CollectionLogStore) => Layer.succeed(CollectionLog, make(store))

export const layerFresh = Layer.sync(CollectionLog, () => make(makeStore()))
