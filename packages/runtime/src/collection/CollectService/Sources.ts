/**
 * The data sources as `/sources` shows them: each installed module's source once, with its modules, its
 * declared limit, whether a key is configured (never the key) and each pool key's state by its label and fingerprint
 * (parked with its reason and end, or rate limited until when, on every node alike), and how it
 * is doing — rate limited now (every key of a pool paused), its keys all refused, or what its most recent task came
 * to, with its last error.
 */
import { Source, SourceKey, SourceList, SourceRateLimit } from "@mirage/domain/api/CollectApi"
import type { SourceState } from "@mirage/domain/api/CollectApi"
import { NotFound } from "@mirage/domain/api/Errors"
import type { ModuleId } from "@mirage/domain/Ids"
import type { Module } from "@mirage/modules"
import { DateTime, Effect, Option } from "effect"
import type { PersistenceError } from "../../platform/Errors.js"
import type { CollectionLogService, SourceLatest } from "../CollectionLog.js"
import { bucketOf } from "../Credentials.js"
import type { CredentialsService } from "../Credentials.js"
import { installed } from "../ModuleCatalog.js"
import type { RateLimiterService } from "../RateLimiter.js"

export interface SourcePorts {
  readonly limiter: RateLimiterService
  readonly credentials: CredentialsService
  readonly collectionLog: CollectionLogService
}

interface SourceModules {
  readonly source: Module.DataSource
  readonly modules: ReadonlyArray<ModuleId>
}

const sourcesOf = (modules: ReadonlyArray<Module.Module>): ReadonlyArray<SourceModules> => {
  const byId = new Map<string, { source: Module.DataSource; modules: Array<ModuleId> }>()
  for (const module of modules) {
    const known = byId.get(module.source.id)
    if (known === undefined) byId.set(module.source.id, { source: module.source, modules: [module.id] })
    else known.modules.push(module.id)
  }
  return Array.from(byId.values())
}

/** The installed modules do not change while the process runs. */
const sources = sourcesOf(installed)

const describe = (ports: SourcePorts, { modules, source }: SourceModules, latest: SourceLatest | undefined) =>
  Effect.gen(function*() {
    const state = yield* ports.limiter.state(source.id)
    const key = yield* ports.credentials.status(source.id)
    const keys = yield* Effect.forEach(
      key.pool,
      (entry) =>
        Effect.map(ports.limiter.state(bucketOf(source.id, Option.some(entry.label), key.keys)), (limit) => {
          const parked = Option.getOrNull(entry.parked)
          return SourceKey.make({
            label: entry.label,
            fingerprint: entry.fingerprint,
            state: parked !== null ? "parked" : limit.state,
            rate_limited_until: limit.state === "rate_limited" ? DateTime.unsafeMake(limit.until) : null,
            parked_reason: parked?.reason ?? null,
            parked_until: parked === null ? null : DateTime.unsafeMake(parked.until)
          })
        })
    )
    const last = latest?.last ?? Option.none()
    const lastError = latest?.lastError ?? Option.none()
    // Rate limited wins; otherwise the outcome of the source's most recent task says how it is doing.
    const outcome = Option.map(last, (entry) => entry.outcome)
    const all = (wanted: SourceKey["state"]) => keys.length > 0 && keys.every((k) => k.state === wanted)
    const current: SourceState = state.state === "rate_limited" || (keys.length > 1 && all("rate_limited"))
      ? "rate_limited"
      : all("parked") || Option.contains(outcome, "auth_failed")
      ? "auth_failed"
      : Option.exists(outcome, (o) => o === "failed" || o === "timed_out")
      ? "failing"
      : "ok"
    return Source.make({
      id: source.id,
      name: source.name,
      module_ids: modules,
      rate_limit: SourceRateLimit.make({
        requests: source.rateLimit.requests,
        per_seconds: source.rateLimit.perSeconds,
        burst: source.rateLimit.burst ?? source.rateLimit.requests
      }),
      requires_key: source.requiresKey,
      key_configured: key.configured,
      keys,
      proxy: source.proxy,
      state: current,
      rate_limited_until: state.state === "rate_limited" ? DateTime.unsafeMake(state.until) : null,
      last_error: Option.match(lastError, { onNone: () => null, onSome: (entry) => entry.error }),
      last_error_at: Option.match(lastError, { onNone: () => null, onSome: (entry) => DateTime.unsafeMake(entry.at) })
    })
  })

/** Every source, in the order of their first module. */
export const list = (ports: SourcePorts): Effect.Effect<SourceList, PersistenceError> =>
  Effect.gen(function*() {
    const latest = yield* ports.collectionLog.latestBySource
    // Concurrent, so the limiter's and the key pools' Redis reads go out in one pipeline.
    const items = yield* Effect.forEach(
      sources,
      (found) => describe(ports, found, latest.get(found.source.id)),
      { concurrency: "unbounded" }
    )
    return SourceList.make({ items })
  })

export const one = (ports: SourcePorts) => (id: string): Effect.Effect<Source, NotFound | PersistenceError> => {
  const found = sources.find((s) => s.source.id === id)
  return found === undefined
    ? Effect.fail(new NotFound({ detail: `no source ${id}` }))
    : Effect.flatMap(ports.collectionLog.latestBySource, (latest) => describe(ports, found, latest.get(id)))
}
