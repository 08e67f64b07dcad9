/**
 * What the module executor is told: where the sources are, its retry and cache defaults, the operator's
 * per-source overrides and per-module forced settings; read from configuration or given by tests.
 */
import type { Module } from "@mirage/modules"
import { Config, ConfigError, Duration, Effect, Schema } from "effect"
import type { Option } from "effect"
import { productionEndpoints } from "../ModuleCatalog.js"
import type { ScopeGuardService } from "../ScopeGuard.js"
import * as Settings from "../Settings.js"

/** Per-source overrides of what the module declares and of the executor's defaults. */
export const SourceSettings = Schema.Struct({
  rate_limit: Schema.optionalWith(
    Schema.Struct({
      requests: Schema.Int.pipe(Schema.positive()),
      perSeconds: Schema.Number.pipe(Schema.positive()),
      burst: Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { exact: true })
    }),
    { exact: true }
  ),
  cache_ttl_seconds: Schema.optionalWith(Schema.Number.pipe(Schema.nonNegative()), { exact: true }),
  retries: Schema.optionalWith(Schema.Int.pipe(Schema.nonNegative()), { exact: true }),
  retry_base_ms: Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { exact: true })
})
export type SourceSettings = typeof SourceSettings.Type

const Endpoints = Schema.parseJson(Schema.Record({ key: Schema.String, value: Schema.String }))
const SourcesJson = Schema.parseJson(Schema.Record({ key: Schema.String, value: SourceSettings }))
const OverridesJson = Schema.parseJson(
  Schema.Record({ key: Schema.String, value: Schema.Record({ key: Schema.String, value: Schema.Unknown }) })
)

export const ExecutorConfig = Config.all({
  endpoints: Settings.moduleEndpoints,
  dnsServers: Settings.dnsServers,
  retries: Settings.taskRetries,
  retryBaseMs: Config.map(Settings.taskRetryBase, Duration.toMillis),
  retryMaxMs: Config.map(Settings.taskRetryMax, Duration.toMillis),
  maxRetryAfterMs: Config.map(Settings.maxRetryAfter, Duration.toMillis),
  cacheTtlSeconds: Settings.cacheTtlSeconds,
  sources: Settings.sourceSettings,
  moduleOverrides: Settings.moduleOverrides
})

export interface ExecutorSettings {
  readonly endpoints: Module.ModuleEndpoints
  readonly retries: number
  readonly retryBaseMs: number
  readonly retryMaxMs: number
  readonly maxRetryAfterMs: number
  readonly cacheTtlMs: number
  readonly sources: Readonly<Record<string, SourceSettings>>
  /** Settings forced over every task's configuration, by module id (the operator's word wins over the scan's). */
  readonly moduleOverrides?: Readonly<Record<string, Readonly<Record<string, unknown>>>>
  /** The modules the executor runs; the installed ones unless given (tests add their own). */
  readonly findModule?: (id: string) => Option.Option<Module.Module>
  /** Checks every address modules contact (direct HTTP at connect time, sockets before); none in unit tests. */
  readonly guard?: ScopeGuardService
}

const invalid = (name: string, expected: string) => () => ConfigError.InvalidData([name], `expected ${expected}`)

/** The executor's settings from configuration, over the real sources' URLs. */
export const settingsFromConfig = Effect.gen(function*() {
  const config = yield* ExecutorConfig
  const overrides = yield* Schema.decode(Endpoints)(config.endpoints).pipe(
    Effect.mapError(invalid("MIRAGE_MODULE_ENDPOINTS", "a JSON object of source id → URL"))
  )
  const sources = yield* Schema.decode(SourcesJson)(config.sources).pipe(
    Effect.mapError(invalid("MIRAGE_SOURCE_SETTINGS", "a JSON object of source id → settings"))
  )
  const moduleOverrides = yield* Schema.decode(OverridesJson)(config.moduleOverrides).pipe(
    Effect.mapError(invalid("MIRAGE_MODULE_OVERRIDES", "a JSON object of module id → settings"))
  )
  const dnsServers = config.dnsServers.split(",").map((s) => s.trim()).filter((s) => s.length > 0)
  return {
    moduleOverrides,
    endpoints: { ...productionEndpoints, ...overrides, dnsServers },
    retries: config.retries,
    retryBaseMs: config.retryBaseMs,
    retryMaxMs: config.retryMaxMs,
    maxRetryAfterMs: config.maxRetryAfterMs,
    cacheTtlMs: config.cacheTtlSeconds * 1000,
    sources
  } satisfies ExecutorSettings
})

/** Default settings around `endpoints`, for tests and simulations. */
export const defaultSettings = (endpoints: Module.ModuleEndpoints): ExecutorSettings => ({
  endpoints,
  retries: 3,
  retryBaseMs: 200,
  retryMaxMs: 30_000,
  maxRetryAfterMs: 60_000,
  cacheTtlMs: 3_600_000,
  sources: {}
})
