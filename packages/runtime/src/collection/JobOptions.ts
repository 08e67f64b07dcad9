/**
 * The options of a standalone collection job that must reach the node running its task but never the
 * persisted command log: the caller's API key for the source, and whether to go through a proxy. The
 * gateway puts them before it starts the job; the node's executor reads them once per task, by the
 * task's scan id (a job's id is its scan's). Entries expire (the job's timeout plus a margin), so a key
 * outlives its job by that margin at most. The key is held Redacted and is never logged.
 */
import { Clock, Context, Effect, Layer, Option } from "effect"
import type { Redacted } from "effect"
import type { PersistenceError } from "../platform/Errors.js"

export interface JobOptionsValue {
  /** The caller's key for the job's source; it overrides the key the nodes are configured with. */
  readonly api_key: Option.Option<Redacted.Redacted<string>>
  /** Whether the task goes through the proxy pool; none means the node's default for the source. */
  readonly use_proxy: Option.Option<boolean>
}

export interface JobOptionsService {
  /** Holds the options of `jobId` for `ttlMs` (replacing earlier ones). */
  readonly put: (jobId: string, options: JobOptionsValue, ttlMs: number) => Effect.Effect<void, PersistenceError>
  /** The options of `jobId`, unless none were put or they expired. */
  readonly get: (jobId: string) => Effect.Effect<Option.Option<JobOptionsValue>, PersistenceError>
  readonly remove: (jobId: string) => Effect.Effect<void, PersistenceError>
}

export class JobOptions extends Context.Tag("@mirage/runtime/JobOptions")<JobOptions, JobOptionsService>() {}

/** How long options outlive their job's timeout: a job may wait for its organization's quota before it runs. */
export const marginMs = 10 * 60_000

/** The TTL of the options of a job with this timeout. */
export const ttlFor = (timeoutSeconds: number) => timeoutSeconds * 1000 + marginMs

/** The in-memory twin on Effect's Clock, for unit tests and simulations. */
export const makeMemory = (): JobOptionsService => {
  const entries = new Map<string, { readonly options: JobOptionsValue; readonly expires: number }>()
  return JobOptions.of({
    put: (jobId, options, ttlMs) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        entries.set(jobId, { options, expires: now + Math.max(1, ttlMs) })
      }),
    get: (jobId) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const entry = entries.get(jobId)
        return entry !== undefined && entry.expires > now ? Option.some(entry.options) : Option.none()
      }),
    remove: (jobId) => Effect.sync(() => void entries.delete(jobId))
  })
}

export const layerMemory = Layer.sync(JobOptions, makeMemory)
