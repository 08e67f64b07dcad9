/** The request cache in memory on Effect's Clock, the twin of RequestCache/Redis. */
import { Clock, Effect, Layer, Option } from "effect"
import { make, RequestCache } from "../RequestCache.js"
import type { CachedResponse } from "../RequestCache.js"

export interface RequestCacheStore {
  readonly entries: Map<string, { readonly response: CachedResponse; readonly expires: number }>
}

export const makeStore = (): RequestCacheStore => ({ entries: new Map() })

export const layer = (store: RequestCacheStore) =>
  Layer.effect(
    RequestCache,
    make({
      read: (source, key) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const entry = store.entries.get(`${source}/${key}`)
          return entry !== undefined && entry.expires > now ? Option.some(entry.response) : Option.none()
        }),
      write: (source, key, response, ttlMs) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          store.entries.set(`${source}/${key}`, { response, expires: now + ttlMs })
        })
    })
  )

export const layerFresh = Layer.unwrapEffect(Effect.sync(() => layer(makeStore())))
