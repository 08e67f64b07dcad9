/**
 * How a task treats its module's data source: the rate limit, cache TTL and retries (what the module declares,
 * under the operator's per-source settings), which failures are retried and on what schedule, and what a failed
 * attempt puts on the source — a pause every node honours for Retry-After (or a backoff), a refused key parked on
 * every node, and the source's next key.
 */
import { dnsSource, ModuleError } from "@mirage/modules"
import type { Module } from "@mirage/modules"
import { Clock, Duration, Effect, Metric, Option, Schedule } from "effect"
import * as Metrics from "../../platform/Metrics.js"
import { scrub } from "../CollectionLog.js"
import { bucketOf } from "../Credentials.js"
import type { CredentialsService } from "../Credentials.js"
import type { RateLimit, RateLimiterService } from "../RateLimiter.js"
import { TaskFailure } from "../TaskExecutor.js"
import type { ExecutorSettings } from "./ExecutorSettings.js"

/** One source's terms for a task. */
export interface SourcePolicy {
  readonly source: Module.DataSource
  readonly limit: RateLimit
  readonly cacheTtlMs: number
  readonly retries: number
  readonly retryBaseMs: number
  readonly retryMaxMs: number
  /** A 429 asking to wait longer than this is not retried. */
  readonly maxRetryAfterMs: number
}

export const policyFor = (settings: ExecutorSettings, source: Module.DataSource): SourcePolicy => {
  const overrides = settings.sources[source.id] ?? {}
  return {
    source,
    limit: overrides.rate_limit ?? source.rateLimit,
    cacheTtlMs: overrides.cache_ttl_seconds === undefined ? settings.cacheTtlMs : overrides.cache_ttl_seconds * 1000,
    retries: overrides.retries ?? settings.retries,
    retryBaseMs: overrides.retry_base_ms ?? settings.retryBaseMs,
    retryMaxMs: settings.retryMaxMs,
    maxRetryAfterMs: settings.maxRetryAfterMs
  }
}

/** The DNS resolvers' one limit, over every module's lookups. */
export const dnsLimit = (settings: ExecutorSettings): { readonly source: string; readonly limit: RateLimit } => ({
  source: dnsSource.id,
  limit: settings.sources[dnsSource.id]?.rate_limit ?? dnsSource.rateLimit
})

/** Waits for a token of the source's global limit; a limiter that cannot answer makes the source unavailable. */
export const takeToken = (limiter: RateLimiterService, source: string, limit: RateLimit) =>
  limiter.acquire(source, limit).pipe(
    Effect.mapError((error) => new ModuleError.SourceUnavailable({ reason: "rate limiter unavailable", cause: error }))
  )

const backoffMs = (policy: SourcePolicy, attempt: number) =>
  Math.min(policy.retryMaxMs, policy.retryBaseMs * 2 ** Math.max(0, attempt - 1))

/** Exponential with jitter (Effect's Random), capped, a limited number of times. */
export const retrySchedule = (policy: SourcePolicy) =>
  Schedule.exponential(Duration.millis(policy.retryBaseMs)).pipe(
    Schedule.modifyDelay((delay) => Duration.min(delay, Duration.millis(policy.retryMaxMs))),
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(policy.retries))
  )

/** What is worth another attempt: the source unavailable, or rate limited for no longer than we wait. */
export const retryable = (policy: SourcePolicy) => (error: ModuleError.ModuleError) =>
  error._tag === "SourceUnavailable" ||
  (error._tag === "RateLimited" && (error.retryAfterMs ?? 0) <= policy.maxRetryAfterMs)

/** A module's error as the task's failure, its reason without keys. */
export const classify = (error: ModuleError.ModuleError, secrets: ReadonlyArray<string>): TaskFailure => {
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

export interface FailedAttempt {
  readonly error: ModuleError.ModuleError
  /** The attempt's number, 1 for the first. */
  readonly attempt: number
  /** The pool key it used (none for the task's own key), and the rate-limit bucket its requests took. */
  readonly label: Option.Option<string>
  readonly bucket: string
  readonly secrets: ReadonlyArray<string>
}

/** Whether a pool key other than `label` is neither parked nor paused: a rate-limited attempt can use it now. */
const freeKeyLeft = (limiter: RateLimiterService, credentials: CredentialsService, source: string, label: string) =>
  Effect.gen(function*() {
    const status = yield* credentials.status(source)
    for (const key of status.pool) {
      if (Option.isSome(key.parked) || key.label === label) continue
      const state = yield* limiter.state(bucketOf(source, Option.some(key.label), status.keys)).pipe(
        Effect.orElseSucceed(() => ({ state: "rate_limited" as const, until: 0 }))
      )
      if (state.state === "ok") return true
    }
    return false
  })

/** Why a refused key is parked, as `/sources` shows it: the status and the source's words, without keys. */
const parkReason = (error: ModuleError.AuthFailed, secrets: ReadonlyArray<string>) => {
  const reason = scrub(error.reason, secrets).slice(0, 200)
  return error.status === undefined || reason.includes(String(error.status))
    ? reason
    : `HTTP ${error.status}: ${reason}`
}

/**
 * The source said to slow down: every node stops using the key's bucket (the source's, or the key's own in a pool)
 * for Retry-After (or a backoff), so the next attempt takes another key if one is free. A 503 with Retry-After
 * pauses the same way. A pool key the source refuses (401/403) is parked. The answer says whether another key is
 * free to retry with at once, whatever the Retry-After.
 */
export const afterFailure = (
  limiter: RateLimiterService,
  credentials: CredentialsService,
  policy: SourcePolicy,
  failed: FailedAttempt
) =>
  Effect.gen(function*() {
    const { error } = failed
    const source = policy.source.id
    const retryAfter = error._tag === "RateLimited" || error._tag === "SourceUnavailable"
      ? error.retryAfterMs
      : undefined
    if (error._tag === "RateLimited") {
      yield* Metric.increment(Metrics.tagged(Metrics.source429, { source }))
    }
    if (error._tag === "RateLimited" || retryAfter !== undefined) {
      const now = yield* Clock.currentTimeMillis
      yield* limiter.pause(failed.bucket, now + (retryAfter ?? backoffMs(policy, failed.attempt))).pipe(
        Effect.catchAll((cause) =>
          Effect.logWarning("could not pause source").pipe(Effect.annotateLogs({ error: cause.message }))
        )
      )
    }
    const anotherKey = Option.isNone(failed.label)
      ? false
      : error._tag === "AuthFailed"
      ? yield* credentials.park(source, failed.label.value, parkReason(error, failed.secrets))
      : error._tag === "RateLimited"
      ? yield* freeKeyLeft(limiter, credentials, source, failed.label.value)
      : false
    yield* Effect.logDebug("attempt failed").pipe(
      Effect.annotateLogs({
        error: scrub(error.message, failed.secrets),
        attempt: failed.attempt,
        source,
        ...(Option.isSome(failed.label) ? { key: failed.label.value } : {})
      })
    )
    return anotherKey
  })
