/**
 * The request cache: 2xx answers of a source kept for a TTL, so the same request from another task
 * or node costs no upstream call, no rate token and no proxy. Keys are hashes: the credentials of a
 * request separate tenants' entries without ever being stored.
 */
import { HttpClient } from "@mirage/modules"
import { Context, Effect, Metric, Option, Ref, Schema } from "effect"
import { createHash } from "node:crypto"
import type { PersistenceError } from "../platform/Errors.js"
import * as Metrics from "../platform/Metrics.js"
import { requestUrl } from "./CollectionLog.js"

export const CachedResponse = Schema.Struct({
  status: Schema.Int,
  headers: Schema.Record({ key: Schema.String, value: Schema.String }),
  body: Schema.String
})
export type CachedResponse = typeof CachedResponse.Type

export interface RequestCacheStats {
  readonly hits: number
  readonly misses: number
}

export interface RequestCacheService {
  /** The cached answer under `key` (from `cacheKey`), counting a hit or a miss for `source`. */
  readonly lookup: (source: string, key: string) => Effect.Effect<Option.Option<CachedResponse>, PersistenceError>
  readonly store: (
    source: string,
    key: string,
    response: CachedResponse,
    ttlMs: number
  ) => Effect.Effect<void, PersistenceError>
  /** This instance's counters for `source`. */
  readonly stats: (source: string) => Effect.Effect<RequestCacheStats>
}

export class RequestCache extends Context.Tag("@mirage/runtime/RequestCache")<RequestCache, RequestCacheService>() {}

/** What an adapter provides: plain reads and writes with expiry. */
export interface RequestCacheBackend {
  readonly read: (source: string, key: string) => Effect.Effect<Option.Option<CachedResponse>, PersistenceError>
  readonly write: (
    source: string,
    key: string,
    response: CachedResponse,
    ttlMs: number
  ) => Effect.Effect<void, PersistenceError>
}

export const make = (backend: RequestCacheBackend): Effect.Effect<RequestCacheService> =>
  Effect.gen(function*() {
    const counters = yield* Ref.make(new Map<string, RequestCacheStats>())
    const count = (source: string, hit: boolean) =>
      Effect.zipRight(
        Metric.increment(Metrics.tagged(hit ? Metrics.cacheHits : Metrics.cacheMisses, { source })),
        Ref.update(counters, (all) => {
          const stats = all.get(source) ?? { hits: 0, misses: 0 }
          return new Map(all).set(
            source,
            hit ? { ...stats, hits: stats.hits + 1 } : { ...stats, misses: stats.misses + 1 }
          )
        })
      )
    return RequestCache.of({
      lookup: (source, key) =>
        backend.read(source, key).pipe(
          Effect.tap((found) =>
            Effect.zipRight(
              count(source, Option.isSome(found)),
              Effect.logDebug(Option.isSome(found) ? "cache hit" : "cache miss").pipe(
                Effect.annotateLogs({ source, cache_key: key.slice(0, 16) })
              )
            )
          )
        ),
      store: backend.write,
      stats: (source) => Effect.map(Ref.get(counters), (all) => all.get(source) ?? { hits: 0, misses: 0 })
    })
  })

/** Header names that carry credentials: left out of the key material, hashed into the tenant instead. */
const authHeader = /authorization|cookie|api[-_]?key|token|secret|password/i
const secretParam = /^(key|apikey|api_key|token|access_token)$/i

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex")

/**
 * The cache key of a GET: method, URL (query included, credential parameters out), the other
 * headers sorted, and a hash of the credentials (auth headers, credential parameters, the source's
 * key) so two tenants never share an entry. Only the digest is ever stored.
 */
export const cacheKey = (
  url: string,
  options: {
    readonly headers?: Readonly<Record<string, string>>
    readonly query?: Readonly<Record<string, string | number | boolean>>
  } | undefined,
  credential: string | null
): string => {
  const full = requestUrl(url, options)
  const tenant: Array<string> = [credential ?? ""]
  let keyUrl = full
  if (URL.canParse(full)) {
    const parsed = new URL(full)
    for (const [name, value] of Array.from(parsed.searchParams.entries())) {
      if (secretParam.test(name)) {
        tenant.push(`${name}=${value}`)
        parsed.searchParams.delete(name)
      }
    }
    parsed.searchParams.sort()
    keyUrl = parsed.toString()
  }
  const headers: Array<string> = []
  for (const [name, value] of Object.entries(options?.headers ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (authHeader.test(name)) tenant.push(`${name.toLowerCase()}:${value}`)
    else headers.push(`${name.toLowerCase()}:${value}`)
  }
  return sha256(JSON.stringify(["GET", keyUrl, headers, sha256(JSON.stringify(tenant))]))
}

export interface CacheSettings {
  readonly source: string
  readonly ttlMs: number
  /** The key the module holds, so entries of different keys differ (hashed, never stored). */
  readonly credential: string | null
  /** Told of each hit, so the collection log shows it. */
  readonly onHit: (
    url: string,
    options: HttpClient.HttpGetOptions | undefined,
    response: CachedResponse
  ) => Effect.Effect<void>
}

/**
 * Wraps a client with the cache: a hit answers without calling `http` at all; a 2xx answer is
 * stored. A cache that cannot be reached is a miss, not a failed request.
 */
export const cachedHttp = (
  http: HttpClient.HttpClient,
  cache: RequestCacheService,
  settings: CacheSettings
): HttpClient.HttpClient =>
  settings.ttlMs <= 0 ? http : {
    // A POST is a query with a body the key does not cover, or an action: never answered from the cache.
    post: http.post,
    get: (url, options) =>
      Effect.gen(function*() {
        const key = cacheKey(url, options, settings.credential)
        const cached = yield* cache.lookup(settings.source, key).pipe(
          Effect.catchAll((error) =>
            Effect.as(
              Effect.logWarning("request cache unavailable").pipe(Effect.annotateLogs({ error: error.message })),
              Option.none()
            )
          )
        )
        if (Option.isSome(cached)) {
          yield* settings.onHit(url, options, cached.value)
          return HttpClient.makeResponse(cached.value.status, cached.value.headers, cached.value.body)
        }
        const response = yield* http.get(url, options)
        if (response.status >= 200 && response.status < 300) {
          yield* cache.store(
            settings.source,
            key,
            { status: response.status, headers: response.headers, body: response.body },
            settings.ttlMs
          ).pipe(
            Effect.catchAll((error) =>
              Effect.logWarning("request cache unavailable").pipe(Effect.annotateLogs({ error: error.message }))
            )
          )
        }
        return response
      })
  }
