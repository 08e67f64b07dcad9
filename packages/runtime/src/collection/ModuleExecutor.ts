/**
 * The real task executor: opens the task's module with a context whose HttpClient is wrapped the
 * same way for every module — cache, then the source's global rate limit, then the collection log,
 * then the proxy — with credentials from configuration, retries of what is worth retrying
 * (exponential backoff with jitter, pausing the source on 429), and one collection log summary.
 * Where JobOptions is provided, a standalone job's own key and proxy choice (looked up once per task
 * by the task's scan id) apply when the task does not set them.
 */
import { emptyNotes, type NotesSummary } from "@mirage/modules/CollectionNotes"
import { aroundLookups, makeDnsClient } from "@mirage/modules/DnsClient"
import type { HttpClient } from "@mirage/modules/HttpClient"
import { makeHttpClient } from "@mirage/modules/HttpClient"
import { dnsSource } from "@mirage/modules/internal/Dns"
import type { Module, ModuleEndpoints } from "@mirage/modules/Module"
import { makeModuleContext } from "@mirage/modules/ModuleContext"
import type { ModuleContext } from "@mirage/modules/ModuleContext"
import { SourceUnavailable } from "@mirage/modules/ModuleError"
import type { ModuleError } from "@mirage/modules/ModuleError"
import { findModule as registryModule, productionEndpoints } from "@mirage/modules/Registry"
import {
  Clock,
  Config,
  ConfigError,
  Duration,
  Effect,
  Exit,
  Layer,
  Metric,
  Option,
  Redacted,
  Ref,
  Schedule,
  Schema
} from "effect"
import * as Metrics from "../platform/Metrics.js"
import { CollectionLog, entryId, interrupted, loggedHttp, requestUrl, scrub, stripSecrets } from "./CollectionLog.js"
import type { CollectionLogEntry, CollectionOutcome, RequestRecord } from "./CollectionLog.js"
import * as CollectionLogMemory from "./CollectionLog/Memory.js"
import * as CollectionLogMongo from "./CollectionLog/Mongo.js"
import { Credentials } from "./Credentials.js"
import * as CredentialsConfig from "./Credentials/Config.js"
import * as CredentialsMemory from "./Credentials/Memory.js"
import { JobOptions } from "./JobOptions.js"
import { ProxyPool } from "./ProxyPool.js"
import * as ProxyPoolLive from "./ProxyPool.js"
import { make as makeRateLimiter, RateLimiter } from "./RateLimiter.js"
import type { RateLimit } from "./RateLimiter.js"
import * as RateLimiterMemory from "./RateLimiter/Memory.js"
import * as RateLimiterRedis from "./RateLimiter/Redis.js"
import { cachedHttp, RequestCache } from "./RequestCache.js"
import * as RequestCacheMemory from "./RequestCache/Memory.js"
import * as RequestCacheRedis from "./RequestCache/Redis.js"
import * as ScopeGuard from "./ScopeGuard.js"
import type { ScopeGuardService } from "./ScopeGuard.js"
import { TaskExecutor, TaskFailure } from "./TaskExecutor.js"
import type { Finding, TaskExecutorService, TaskSpec } from "./TaskExecutor.js"

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
  endpoints: Config.string("MIRAGE_MODULE_ENDPOINTS").pipe(
    Config.withDefault("{}"),
    Config.withDescription("JSON object of source id → base URL, over the real sources' URLs")
  ),
  dnsServers: Config.string("MIRAGE_DNS_SERVERS").pipe(
    Config.withDefault(""),
    Config.withDescription("comma-separated DNS resolvers (ip or ip:port); empty for the system's")
  ),
  retries: Config.integer("MIRAGE_TASK_RETRIES").pipe(Config.withDefault(3)),
  retryBaseMs: Config.integer("MIRAGE_TASK_RETRY_BASE_MS").pipe(Config.withDefault(200)),
  retryMaxMs: Config.integer("MIRAGE_TASK_RETRY_MAX_MS").pipe(Config.withDefault(30_000)),
  maxRetryAfterMs: Config.integer("MIRAGE_MAX_RETRY_AFTER_MS").pipe(
    Config.withDefault(60_000),
    Config.withDescription("a 429 asking to wait longer than this ends the task as rate_limited")
  ),
  cacheTtlSeconds: Config.number("MIRAGE_CACHE_TTL_SECONDS").pipe(Config.withDefault(3600)),
  sources: Config.string("MIRAGE_SOURCE_SETTINGS").pipe(
    Config.withDefault("{}"),
    Config.withDescription("JSON object of source id → { rate_limit, cache_ttl_seconds, retries, retry_base_ms }")
  ),
  moduleOverrides: Config.string("MIRAGE_MODULE_OVERRIDES").pipe(
    Config.withDefault("{}"),
    Config.withDescription(
      "JSON object of module id → settings forced over every scan's configuration of that module (the sandbox's loopback maps)"
    )
  )
})

export interface ExecutorSettings {
  readonly endpoints: ModuleEndpoints
  readonly retries: number
  readonly retryBaseMs: number
  readonly retryMaxMs: number
  readonly maxRetryAfterMs: number
  readonly cacheTtlMs: number
  readonly sources: Readonly<Record<string, SourceSettings>>
  /** Settings forced over every task's configuration, by module id (the operator's word wins over the scan's). */
  readonly moduleOverrides?: Readonly<Record<string, Readonly<Record<string, unknown>>>>
  /** The modules the executor runs; the registry's unless given (tests add their own). */
  readonly findModule?: (id: string) => Option.Option<Module>
  /** Checks every address modules contact (direct HTTP at connect time, sockets before); none in unit tests. */
  readonly guard?: ScopeGuardService
}

/** What a run came to: the findings (cut at max_results) and the outcome the collection log records. */
export interface TaskRun {
  readonly findings: ReadonlyArray<Finding>
  readonly outcome: CollectionOutcome
  readonly result_count: number
  readonly attempts: number
  readonly failure: Option.Option<TaskFailure>
}

export interface ModuleExecutorService extends TaskExecutorService {
  /** Like `run`, but never fails: the outcome says how it went. */
  readonly execute: (task: TaskSpec) => Effect.Effect<TaskRun>
}

type Ports = RateLimiter | Credentials | RequestCache | CollectionLog | ProxyPool

const classify = (error: ModuleError, secrets: ReadonlyArray<string>): TaskFailure => {
  const reason = scrub(error.message, secrets)
  switch (error._tag) {
    case "RateLimited":
      return new TaskFailure({ kind: "rate_limited", reason })
    case "AuthFailed":
      return new TaskFailure({ kind: "auth_failed", reason })
    case "ModuleConfigError":
      return new TaskFailure({ kind: "bad_config", reason })
    default:
      return new TaskFailure({ kind: "failed", reason })
  }
}

/** The summary's note fields, only those with something to say, secrets scrubbed. */
const noteFields = (summary: NotesSummary, secrets: ReadonlyArray<string>) => ({
  ...(summary.rows_skipped === 0 ? {} : { rows_skipped: summary.rows_skipped }),
  ...(summary.skip_reason === null ? {} : { skip_reason: scrub(summary.skip_reason, secrets) }),
  ...(summary.warnings.length === 0 ? {} : { warnings: summary.warnings.map((warning) => scrub(warning, secrets)) })
})

/** A transport failure (no HTTP status): what says the proxy, not the source, may be at fault. */
const isTransportFailure = (error: ModuleError) => error._tag === "SourceUnavailable" && error.status === undefined

/** Strings of a log record with every secret replaced, so a careless module cannot leak a key. */
const scrubFields = (fields: Readonly<Record<string, unknown>>, secrets: ReadonlyArray<string>) => {
  const text = JSON.stringify(fields) ?? "{}"
  const clean = scrub(text, secrets)
  return clean === text ? fields : { redacted: clean }
}

export const makeExecutor = (settings: ExecutorSettings): Effect.Effect<ModuleExecutorService, never, Ports> =>
  Effect.gen(function*() {
    const limiter = yield* RateLimiter
    const credentials = yield* Credentials
    const cache = yield* RequestCache
    const collectionLog = yield* CollectionLog
    const proxies = yield* ProxyPool
    // Optional: hosts without it (simulations, tests) run tasks exactly as specified.
    const jobOptions = yield* Effect.serviceOption(JobOptions)
    const lookup = settings.findModule ?? registryModule

    /**
     * The task with its job's options where it sets none (one read per task, none if it sets both), or the
     * failure that the options could not be read: running without them could use the wrong key or route.
     */
    const withJobOptions = (
      task: TaskSpec
    ): Effect.Effect<{ readonly task: TaskSpec; readonly failure: Option.Option<TaskFailure> }> => {
      const unchanged = { task, failure: Option.none<TaskFailure>() }
      if (
        Option.isNone(jobOptions) || task.scan_id === null ||
        (task.api_key !== undefined && task.use_proxy !== undefined)
      ) return Effect.succeed(unchanged)
      return jobOptions.value.get(task.scan_id).pipe(
        Effect.retry({ times: 2, schedule: Schedule.spaced(Duration.millis(50)) }),
        Effect.timeoutFail({
          duration: Duration.millis(task.timeout_ms),
          onTimeout: () => new TaskFailure({ kind: "timed_out", reason: "job options: no answer in time" })
        }),
        Effect.map(Option.match({
          onNone: () => unchanged,
          onSome: (options) => ({
            task: {
              ...task,
              ...(task.api_key === undefined && Option.isSome(options.api_key)
                ? { api_key: options.api_key.value }
                : {}),
              ...(task.use_proxy === undefined && Option.isSome(options.use_proxy)
                ? { use_proxy: options.use_proxy.value }
                : {})
            },
            failure: Option.none<TaskFailure>()
          })
        })),
        Effect.catchAll((error) =>
          Effect.succeed({
            task,
            failure: Option.some(
              error._tag === "TaskFailure"
                ? error
                : new TaskFailure({ kind: "failed", reason: `job options unavailable: ${error.message}` })
            )
          })
        )
      )
    }

    const backoffMs = (retryBaseMs: number, attempt: number) =>
      Math.min(settings.retryMaxMs, retryBaseMs * 2 ** Math.max(0, attempt - 1))

    // Exponential with jitter, capped, a limited number of times: one policy per source's settings.
    const policy = (retries: number, retryBaseMs: number) =>
      Schedule.exponential(Duration.millis(retryBaseMs)).pipe(
        Schedule.modifyDelay((delay) => Duration.min(delay, Duration.millis(settings.retryMaxMs))),
        Schedule.jittered,
        Schedule.intersect(Schedule.recurs(retries))
      )

    const executeTask = (submitted: TaskSpec): Effect.Effect<TaskRun> =>
      Effect.gen(function*() {
        // From here on the task's key and proxy choice are the job's where the task set none.
        const { failure: optionsFailure, task } = yield* withJobOptions(submitted)
        const entries = yield* Ref.make<ReadonlyArray<CollectionLogEntry>>([])
        const attempts = yield* Ref.make(0)
        // The last attempt's rows skipped and warnings: an attempt that was retried says nothing of the result.
        const notes = yield* Ref.make<NotesSummary>(emptyNotes)
        const found = lookup(task.module_id)
        const sourceId = Option.match(found, { onNone: () => "unknown", onSome: (module) => module.source.id })
        const configured = yield* credentials.all
        const secrets = [...configured, ...(task.api_key === undefined ? [] : [task.api_key])].map((key) =>
          Redacted.value(key)
        )
        const common = {
          owner: task.owner,
          task_id: task.task_id,
          scan_id: task.scan_id,
          module_id: task.module_id,
          source: sourceId
        }
        const record = (request: RequestRecord) =>
          Effect.gen(function*() {
            const now = yield* Clock.currentTimeMillis
            const at = now - request.duration_ms
            const attempt = yield* Ref.get(attempts)
            const entry: CollectionLogEntry = { id: entryId(at), at, ...common, kind: "request", ...request, attempt }
            yield* Ref.update(entries, (all) => [...all, entry])
          })

        const collect = (module: Module) =>
          Effect.gen(function*() {
            const source = module.source
            const overrides = settings.sources[source.id] ?? {}
            const limit: RateLimit = overrides.rate_limit ?? source.rateLimit
            const retryBaseMs = overrides.retry_base_ms ?? settings.retryBaseMs
            const ttlMs = overrides.cache_ttl_seconds === undefined
              ? settings.cacheTtlMs
              : overrides.cache_ttl_seconds * 1000
            const poolSize = (yield* proxies.status).length
            // The task decides; otherwise proxy when the module allows it and proxies are configured.
            const proxied = task.use_proxy ?? (source.proxy && poolSize > 0)

            const contextFor = (attempt: number) =>
              Effect.gen(function*() {
                const key = task.api_key === undefined
                  ? yield* credentials.current(source.id)
                  : Option.some(task.api_key)
                const proxy = proxied ? yield* proxies.next : Option.none()
                if (proxied && Option.isNone(proxy)) {
                  return yield* new SourceUnavailable({ reason: "no healthy proxy in the pool" })
                }
                const guard = settings.guard
                const base = makeHttpClient({
                  label: module.id,
                  source: source.id,
                  timeoutMs: task.timeout_ms,
                  ...(Option.isSome(proxy)
                    ? { dispatcher: proxy.value.dispatcher }
                    : guard === undefined
                    ? {}
                    : { dispatcher: guard.dispatcher })
                })
                // The proxy resolves the name, so the guard can only check it beforehand.
                const checked = (url: string) =>
                  guard === undefined || !URL.canParse(url)
                    ? Effect.void
                    : guard.check(module.id, new URL(url).hostname)
                // A transport failure through a proxy evicts it for its cool-down; the retry takes the next.
                const viaProxy: HttpClient = Option.isNone(proxy) ? base : {
                  get: (url, options) =>
                    Effect.zipRight(checked(url), base.get(url, options)).pipe(
                      Effect.tapError((error) =>
                        isTransportFailure(error) ? proxies.markFailed(proxy.value.id) : Effect.void
                      )
                    )
                }
                const proxyId = Option.match(proxy, { onNone: () => null, onSome: (p) => p.id })
                const logged = loggedHttp(viaProxy, record, secrets, () => proxyId)
                const limited: HttpClient = {
                  get: (url, options) =>
                    limiter.acquire(source.id, limit).pipe(
                      Effect.mapError((error) =>
                        new SourceUnavailable({ reason: "rate limiter unavailable", cause: error })
                      ),
                      Effect.zipRight(logged.get(url, options))
                    )
                }
                const http = cachedHttp(limited, cache, {
                  source: source.id,
                  ttlMs,
                  credential: Option.match(key, { onNone: () => null, onSome: Redacted.value }),
                  onHit: (url, options, response) =>
                    record({
                      method: "GET",
                      url: stripSecrets(requestUrl(url, options), secrets),
                      status: response.status,
                      duration_ms: 0,
                      bytes: Buffer.byteLength(response.body, "utf8"),
                      cache_hit: true,
                      error: null,
                      proxy: null
                    })
                })
                const log: ModuleContext["log"] = (message, fields = {}) =>
                  Effect.logDebug(scrub(message, secrets)).pipe(
                    Effect.annotateLogs({ ...scrubFields(fields, secrets), module: module.id, attempt })
                  )
                // Every DNS lookup, whichever module makes it, takes a token of the resolvers' one rate limit.
                const dns = aroundLookups(
                  yield* makeDnsClient(settings.endpoints.dnsServers, { timeoutMs: task.timeout_ms }),
                  (lookup) =>
                    limiter.acquire(dnsSource.id, settings.sources[dnsSource.id]?.rate_limit ?? dnsSource.rateLimit)
                      .pipe(
                        Effect.mapError((error) =>
                          new SourceUnavailable({ reason: "rate limiter unavailable", cause: error })
                        ),
                        Effect.zipRight(lookup)
                      )
                )
                const ctx = yield* makeModuleContext({
                  module: module.id,
                  endpoints: settings.endpoints,
                  timeoutMs: task.timeout_ms,
                  http,
                  dns,
                  log,
                  ...(guard === undefined ? {} : { guard }),
                  ...(Option.isSome(key) ? { credentials: key.value } : {})
                })
                return { ctx, key }
              })

            const attempt = Effect.gen(function*() {
              const n = yield* Ref.updateAndGet(attempts, (count) => count + 1)
              const { ctx, key } = yield* contextFor(n)
              return yield* Effect.scoped(
                Effect.flatMap(
                  module.open({ ...task.config, ...settings.moduleOverrides?.[module.id] }, ctx),
                  (session) => session.collect({ target: task.entity })
                )
              ).pipe(
                Effect.ensuring(Effect.flatMap(ctx.notes.summary, (summary) => Ref.set(notes, summary))),
                Effect.tapError((error) => onFailure(error, n, key))
              )
            })

            // The source said to slow down: every node stops for Retry-After (or a backoff), and the
            // next attempt uses the source's next key. A 503 with Retry-After pauses the same way.
            const onFailure = (error: ModuleError, n: number, key: Option.Option<Redacted.Redacted<string>>) =>
              Effect.gen(function*() {
                const retryAfter = error._tag === "RateLimited" || error._tag === "SourceUnavailable"
                  ? error.retryAfterMs
                  : undefined
                if (error._tag === "RateLimited") {
                  yield* Metric.increment(Metrics.tagged(Metrics.source429, { source: source.id }))
                }
                if (error._tag === "RateLimited" || retryAfter !== undefined) {
                  const now = yield* Clock.currentTimeMillis
                  yield* limiter.pause(source.id, now + (retryAfter ?? backoffMs(retryBaseMs, n))).pipe(
                    Effect.catchAll((cause) =>
                      Effect.logWarning("could not pause source").pipe(Effect.annotateLogs({ error: cause.message }))
                    )
                  )
                }
                if (error._tag === "RateLimited" && task.api_key === undefined && Option.isSome(key)) {
                  yield* credentials.rotate(source.id, key.value)
                }
                yield* Effect.logDebug("attempt failed").pipe(
                  Effect.annotateLogs({ error: scrub(error.message, secrets), attempt: n, source: source.id })
                )
              })

            const retryable = (error: ModuleError) =>
              error._tag === "SourceUnavailable" ||
              (error._tag === "RateLimited" && (error.retryAfterMs ?? 0) <= settings.maxRetryAfterMs)

            return yield* attempt.pipe(
              Effect.retry({
                schedule: policy(overrides.retries ?? settings.retries, retryBaseMs),
                while: retryable
              }),
              Effect.mapError((error) => classify(error, secrets))
            )
          })

        return yield* Effect.gen(function*() {
          const outcome = yield* (Option.isSome(optionsFailure)
            ? Effect.fail(optionsFailure.value)
            : Option.match(found, {
              onNone: () =>
                Effect.fail(new TaskFailure({ kind: "bad_config", reason: `unknown module ${task.module_id}` })),
              onSome: collect
            })).pipe(
              Effect.timeoutFail({
                duration: Duration.millis(task.timeout_ms),
                onTimeout: () =>
                  new TaskFailure({ kind: "timed_out", reason: `no answer within ${task.timeout_ms} ms` })
              }),
              Effect.either
            )
          const tries = yield* Ref.get(attempts)
          if (outcome._tag === "Left") {
            return {
              findings: [],
              outcome: outcome.left.kind,
              result_count: 0,
              attempts: tries,
              failure: Option.some(outcome.left)
            }
          }
          const all = outcome.right
          const cut = task.max_results !== undefined && all.length > task.max_results
          const findings = cut ? all.slice(0, task.max_results) : all
          return {
            findings,
            outcome: cut ? "result_limited" : "completed",
            result_count: findings.length,
            attempts: tries,
            failure: Option.none()
          } satisfies TaskRun
        }).pipe(
          // Written once per task, requests and summary together; an interrupted task still leaves its trace.
          Effect.onExit((exit) =>
            Effect.gen(function*() {
              const now = yield* Clock.currentTimeMillis
              const requests = yield* Ref.get(entries)
              const noted = noteFields(yield* Ref.get(notes), secrets)
              const summary: CollectionLogEntry = Exit.match(exit, {
                onSuccess: (run) => ({
                  id: entryId(now),
                  at: now,
                  ...common,
                  kind: "summary",
                  outcome: run.outcome,
                  result_count: run.result_count,
                  attempts: run.attempts,
                  error: Option.match(run.failure, { onNone: () => null, onSome: (failure) => failure.reason }),
                  ...noted
                }),
                onFailure: () => ({
                  id: entryId(now),
                  at: now,
                  ...common,
                  kind: "summary",
                  outcome: "failed",
                  result_count: 0,
                  attempts: requests.reduce(
                    (most, entry) => Math.max(most, entry.kind === "request" ? entry.attempt : 0),
                    0
                  ),
                  error: interrupted
                })
              })
              yield* collectionLog.append([...requests, summary]).pipe(
                Effect.catchAll((error) =>
                  Effect.logWarning("collection log not written").pipe(Effect.annotateLogs({ error: error.message }))
                )
              )
              if (Exit.isSuccess(exit)) {
                yield* Effect.logDebug("task collected").pipe(
                  Effect.annotateLogs({
                    outcome: exit.value.outcome,
                    results: exit.value.result_count,
                    attempts: exit.value.attempts
                  })
                )
              }
            })
          )
        )
      })

    const execute = (task: TaskSpec): Effect.Effect<TaskRun> =>
      executeTask(task).pipe(
        Metrics.timed(Metrics.tagged(Metrics.moduleDuration, { module: task.module_id })),
        Effect.withSpan("task.collect", {
          attributes: { module_id: task.module_id, task_id: task.task_id, entity_type: task.entity.type }
        })
      )

    const run = (task: TaskSpec) =>
      Effect.flatMap(execute(task), (result) =>
        Option.match(result.failure, {
          onNone: () => Effect.succeed(result.findings),
          onSome: (failure) => Effect.fail(failure)
        }))

    return { run, execute } satisfies ModuleExecutorService
  })

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

/** An executor over whatever ports are provided. */
export const layerWith = (settings: ExecutorSettings) => Layer.effect(TaskExecutor, makeExecutor(settings))

/** The real ports: limiter and cache in Redis, the log in MongoDB, keys and proxies from configuration. */
export const portsLayer = Layer.mergeAll(
  RateLimiterRedis.layer,
  RequestCacheRedis.layer,
  CollectionLogMongo.layer,
  CredentialsConfig.layer,
  ProxyPoolLive.layer
)

/** The executor of a node, its modules' addresses guarded: needs RedisClient, MongoDatabase and configuration. */
export const layer = Layer.effect(
  TaskExecutor,
  Effect.gen(function*() {
    const settings = yield* settingsFromConfig
    const guard = yield* ScopeGuard.ScopeGuard
    return yield* makeExecutor({ ...settings, guard })
  })
).pipe(Layer.provide(portsLayer), Layer.provide(ScopeGuard.layer))

export interface MemoryOptions {
  readonly endpoints: ModuleEndpoints
  readonly keys?: Readonly<Record<string, ReadonlyArray<string>>>
  /** Share these between the executors of simulated nodes. */
  readonly limiter?: RateLimiterMemory.RateLimiterHub
  readonly cache?: RequestCacheMemory.RequestCacheStore
  readonly log?: CollectionLogMemory.CollectionLogStore
  readonly settings?: Partial<Omit<ExecutorSettings, "endpoints">>
}

/** Default settings around `endpoints`, for tests and simulations. */
export const defaultSettings = (endpoints: ModuleEndpoints): ExecutorSettings => ({
  endpoints,
  retries: 3,
  retryBaseMs: 200,
  retryMaxMs: 30_000,
  maxRetryAfterMs: 60_000,
  cacheTtlMs: 3_600_000,
  sources: {}
})

/** The executor on in-memory ports (Effect's Clock throughout, no proxies): for simulations. */
export const layerMemory = (options: MemoryOptions) =>
  layerWith({ ...defaultSettings(options.endpoints), ...options.settings }).pipe(
    Layer.provide(Layer.mergeAll(
      RateLimiterMemory.layer(options.limiter ?? RateLimiterMemory.makeHub()),
      RequestCacheMemory.layer(options.cache ?? RequestCacheMemory.makeStore()),
      CollectionLogMemory.layer(options.log ?? CollectionLogMemory.makeStore()),
      CredentialsMemory.layer(options.keys ?? {}),
      ProxyPoolLive.layerEmpty
    ))
  )

/** The settings of the earlier executor, which had neither rate limits nor a cache. */
export interface PlainSettings {
  readonly endpoints: ModuleEndpoints
  readonly credentials: (source: string) => Option.Option<Redacted.Redacted<string>>
  readonly retries: number
  readonly retryBaseMs: number
}

/**
 * Transitional: the executor as it was before the runtime wrapped modules (no rate limit, no
 * cache, no proxy, the collection log kept in memory), for callers built on that shape
 * (apps/node/test/Stack.ts). New code uses `makeExecutor` or the layers.
 */
export const make = (plain: PlainSettings): TaskExecutorService =>
  Effect.runSync(
    Effect.scoped(
      makeExecutor({
        ...defaultSettings(plain.endpoints),
        retries: plain.retries,
        retryBaseMs: plain.retryBaseMs,
        cacheTtlMs: 0
      })
        .pipe(
          Effect.provide(Layer.mergeAll(
            Layer.effect(
              RateLimiter,
              makeRateLimiter({
                take: () => Effect.succeed(0),
                pauseFor: () => Effect.void,
                pausedFor: () => Effect.succeed(0)
              })
            ),
            RequestCacheMemory.layer(RequestCacheMemory.makeStore()),
            CollectionLogMemory.layer(CollectionLogMemory.makeStore()),
            Layer.succeed(
              Credentials,
              Credentials.of({
                current: (source) => Effect.sync(() => plain.credentials(source)),
                rotate: () => Effect.void,
                status: (source) =>
                  Effect.sync(() => {
                    const configured = Option.isSome(plain.credentials(source))
                    return { source, configured, keys: configured ? 1 : 0 }
                  }),
                all: Effect.succeed([])
              })
            ),
            ProxyPoolLive.layerEmpty
          ))
        )
    )
  )
