/** The scans read model in memory: the twin of ScanReadModel/Postgres, fed by `put`. */
import { DateTime, Effect, Layer, Option } from "effect"
import { encodeCursor, ScanReadModel } from "../ScanReadModel.js"
import type { ScanView } from "../ScanReadModel.js"

export interface ScanViewStore {
  readonly views: Map<string, ScanView>
  /** Ids of deleted scans: kept, but invisible. */
  readonly deleted: Set<string>
}

export const makeStore = (): ScanViewStore => ({ views: new Map(), deleted: new Set() })

/** Writes (or replaces) the projection of one scan. */
export const put = (store: ScanViewStore, view: ScanView): void => {
  store.views.set(view.scan.id, view)
}

const millis = (view: ScanView) => DateTime.toEpochMillis(view.scan.created_at)

/** Newest first, then by id descending: the order of the Postgres index. */
const newestFirst = (a: ScanView, b: ScanView) =>
  millis(b) - millis(a) || (a.scan.id < b.scan.id ? 1 : a.scan.id > b.scan.id ? -1 : 0)

export const layer = (store: ScanViewStore) =>
  Layer.succeed(
    ScanReadModel,
    ScanReadModel.of({
      // The memory projection keeps no log: no rate.
      resultsSince: () => Effect.succeed(0),
      get: (organizationId, id) =>
        Effect.sync(() =>
          Option.fromNullable(store.views.get(id)).pipe(
            Option.filter((view) => view.scan.organization_id === organizationId && !store.deleted.has(id))
          )
        ),
      list: (organizationId, query) =>
        Effect.sync(() => {
          const name = query.name?.toLowerCase()
          const after = query.created_after && DateTime.toEpochMillis(query.created_after)
          const before = query.created_before && DateTime.toEpochMillis(query.created_before)
          const cursor = query.cursor
          const matching = Array.from(store.views.values())
            .filter((view) =>
              view.scan.organization_id === organizationId &&
              !store.deleted.has(view.scan.id) &&
              (query.status === undefined || view.scan.status === query.status) &&
              (query.target_type === undefined || view.scan.target.type === query.target_type) &&
              (name === undefined || view.scan.name.toLowerCase().includes(name)) &&
              (after === undefined || millis(view) >= after) &&
              (before === undefined || millis(view) < before) &&
              (cursor === undefined ||
                millis(view) < Date.parse(cursor.created_at) ||
                (millis(view) === Date.parse(cursor.created_at) && view.scan.id < cursor.id))
            )
            .sort(newestFirst)
          const items = matching.slice(0, query.limit)
          const last = items[items.length - 1]
          return {
            items,
            next_cursor: matching.length > query.limit && last !== undefined
              ? encodeCursor({ created_at: DateTime.formatIso(last.scan.created_at), id: last.scan.id })
              : null
          }
        })
    })
  )
