/**
 * The collection log: for each task one entry per upstream request (URL without secrets, status,
 * duration, size, cache hit, attempt, error) and a summary (outcome, result count), for auditing
 * and debugging. Also the HttpClient wrapper that records every request it passes on.
 */
import type { HttpClient } from "@mirage/modules"
import { Clock, Context, Effect, Option, Random, Schema } from "effect"
import type { PersistenceError } from "../platform/Errors.js"

/** How a task ended: completed, or cut at max_results, or one of the TaskFailure kinds. */
export const CollectionOutcome = Schema.Literal(
  "completed",
  "result_limited",
  "rate_limited",
  "auth_failed",
  "failed",
  "timed_out",
  "bad_config"
)
export type CollectionOutcome = typeof CollectionOutcome.Type

const common = {
  owner: Schema.String,
  task_id: Schema.String,
  scan_id: Schema.NullOr(Schema.String),
  module_id: Schema.String,
  source: Schema.String
}

export const requestFields = {
  kind: Schema.Literal("request"),
  method: Schema.String,
  /** Without credentials: see `stripSecrets`. */
  url: Schema.String,
  /** null when no answer came (refused, reset, timed out). */
  status: Schema.NullOr(Schema.Int),
  duration_ms: Schema.Number,
  bytes: Schema.Int,
  cache_hit: Schema.Boolean,
  /** The task attempt (1 for the first try) the request belongs to. */
  attempt: Schema.Int,
  error: Schema.NullOr(Schema.String),
  /** The proxy it went through, without userinfo. */
  proxy: Schema.NullOr(Schema.String)
}

export const summaryFields = {
  kind: Schema.Literal("summary"),
  outcome: CollectionOutcome,
  result_count: Schema.Int,
  attempts: Schema.Int,
  error: Schema.NullOr(Schema.String),
  /** Rows of the answers that could not be read and were skipped; absent when none were. */
  rows_skipped: Schema.optionalWith(Schema.Int, { exact: true }),
  /** Why the first skipped row was skipped. */
  skip_reason: Schema.optionalWith(Schema.String, { exact: true }),
  /** What went wrong without failing the task, e.g. a later page that failed while earlier pages' rows were kept. */
  warnings: Schema.optionalWith(Schema.Array(Schema.String), { exact: true })
}

export const fieldsOf = { common, request: requestFields, summary: summaryFields }

/** `id` sorts by time (see `entryId`); `at` is epoch ms on the executor's Clock. */
export const RequestEntry = Schema.Struct({ id: Schema.String, at: Schema.Number, ...common, ...requestFields })
export type RequestEntry = typeof RequestEntry.Type
export const SummaryEntry = Schema.Struct({ id: Schema.String, at: Schema.Number, ...common, ...summaryFields })
export type SummaryEntry = typeof SummaryEntry.Type
export const CollectionLogEntry = Schema.Union(RequestEntry, SummaryEntry)
export type CollectionLogEntry = typeof CollectionLogEntry.Type

export interface CollectionLogPage {
  readonly items: ReadonlyArray<CollectionLogEntry>
  readonly next_cursor: string | null
}

export interface CollectionLogService {
  readonly append: (entries: ReadonlyArray<CollectionLogEntry>) => Effect.Effect<void, PersistenceError>
  /** A task's entries in time order; `cursor` from a previous page. */
  readonly listForTask: (
    taskId: string,
    cursor: string | null,
    limit: number
  ) => Effect.Effect<CollectionLogPage, PersistenceError>
  /** A scan's (or standalone job's) entries in time order. */
  readonly listForOwner: (
    owner: string,
    cursor: string | null,
    limit: number
  ) => Effect.Effect<CollectionLogPage, PersistenceError>
  /**
   * Each source's most recent task summary and its most recent failed one: how the source is doing and its last
   * error. Interrupted tasks (cancelled, or their node stopped) say nothing about the source and are skipped.
   */
  readonly latestBySource: Effect.Effect<ReadonlyMap<string, SourceLatest>, PersistenceError>
}

export interface SourceLatest {
  readonly last: Option.Option<SummaryEntry>
  readonly lastError: Option.Option<SummaryEntry>
}

/** Which of a source's latest summaries an entry can be: the last of all, the last failed one. */
export type LatestRole = "last" | "error"

/**
 * The summaries among `entries` that are, per source and role, the latest of them (by id, which sorts by time), and
 * so candidates for the source's latest: what an adapter keeps up to date on append.
 */
export const latestOf = (
  entries: ReadonlyArray<CollectionLogEntry>
): ReadonlyArray<{ readonly role: LatestRole; readonly entry: SummaryEntry }> => {
  const latest = new Map<string, { role: LatestRole; entry: SummaryEntry }>()
  const offer = (role: LatestRole, entry: SummaryEntry) => {
    const key = `${role}:${entry.source}`
    const known = latest.get(key)
    if (known === undefined || known.entry.id < entry.id) latest.set(key, { role, entry })
  }
  for (const entry of entries) {
    if (entry.kind !== "summary" || entry.error === interrupted) continue
    offer("last", entry)
    if (entry.error !== null) offer("error", entry)
  }
  return Array.from(latest.values())
}

/** Latest summaries by source, from the entries that are each the latest of their source and role. */
export const bySourceOf = (
  latest: Iterable<{ readonly role: LatestRole; readonly entry: SummaryEntry }>
): ReadonlyMap<string, SourceLatest> => {
  const bySource = new Map<string, SourceLatest>()
  for (const { entry, role } of latest) {
    const known = bySource.get(entry.source) ?? { last: Option.none(), lastError: Option.none() }
    bySource.set(
      entry.source,
      role === "last" ? { ...known, last: Option.some(entry) } : { ...known, lastError: Option.some(entry) }
    )
  }
  return bySource
}

/** The error of the summary of a task that was interrupted rather than ended by its source. */
export const interrupted = "interrupted"

export class CollectionLog
  extends Context.Tag("@mirage/runtime/CollectionLog")<CollectionLog, CollectionLogService>()
{}

let sequence = 0

/**
 * An id that sorts by `at`, then by creation order within this process: keyset pages follow time. Its random part
 * is drawn from Effect's Random, so a seeded run draws the same.
 */
export const entryId = (at: number): Effect.Effect<string> =>
  Effect.map(Random.nextIntBetween(0, 0x1000000), (random) => {
    sequence = (sequence + 1) % 0x1000000
    return `${Math.max(0, Math.floor(at)).toString(16).padStart(12, "0")}-${sequence.toString(16).padStart(6, "0")}-${
      random.toString(16).padStart(6, "0")
    }`
  })

/** Cursors are the last id, base64url: opaque to clients. */
export const encodeCursor = (id: string): string => Buffer.from(id, "utf8").toString("base64url")
export const decodeCursor = (cursor: string | null): string | undefined =>
  cursor === null ? undefined : Buffer.from(cursor, "base64url").toString("utf8")

/** Query parameters that carry credentials by convention. */
const secretParams = new Set(["key", "apikey", "api_key", "token", "access_token"])

const replaceAll = (text: string, secrets: ReadonlyArray<string>) =>
  secrets.reduce((out, secret) => (secret.length === 0 ? out : out.split(secret).join("[redacted]")), text)

/**
 * The URL without secrets: no userinfo, no query parameter named like a credential or whose value
 * is a configured key, and any key that still appears (in the path) replaced.
 */
export const stripSecrets = (url: string, secrets: ReadonlyArray<string>): string => {
  if (!URL.canParse(url)) return replaceAll(url, secrets)
  const parsed = new URL(url)
  parsed.username = ""
  parsed.password = ""
  for (const [name, value] of Array.from(parsed.searchParams.entries())) {
    if (secretParams.has(name.toLowerCase()) || secrets.includes(value)) parsed.searchParams.delete(name)
  }
  const encoded = secrets.flatMap((secret) => [secret, encodeURIComponent(secret)])
  return replaceAll(parsed.toString(), encoded)
}

/** A message (an error's) with every configured key replaced. */
export const scrub = (text: string, secrets: ReadonlyArray<string>): string => replaceAll(text, secrets)

/** The URL a GET goes to: `url` with `options.query` added, as the HttpClient builds it. */
export const requestUrl = (url: string, options: HttpClient.HttpGetOptions | undefined): string => {
  if (!URL.canParse(url)) return url
  const target = new URL(url)
  for (const [key, value] of Object.entries(options?.query ?? {})) target.searchParams.set(key, String(value))
  return target.toString()
}

/** What the logging wrapper knows of a request; the executor adds the task's fields. */
export interface RequestRecord {
  readonly method: string
  readonly url: string
  readonly status: number | null
  readonly duration_ms: number
  readonly bytes: number
  readonly cache_hit: boolean
  readonly error: string | null
  readonly proxy: string | null
}

/**
 * Wraps a client so every request it passes on is recorded (URL stripped of `secrets`), whether
 * it was answered or failed. Durations are on Effect's Clock.
 */
export const loggedHttp = (
  http: HttpClient.HttpClient,
  record: (request: RequestRecord) => Effect.Effect<void>,
  secrets: ReadonlyArray<string>,
  proxy: () => string | null = () => null
): HttpClient.HttpClient => {
  const logged = <E extends { readonly message: string }>(
    method: "GET" | "POST",
    url: string,
    options: HttpClient.HttpGetOptions | undefined,
    send: Effect.Effect<HttpClient.HttpResponse, E>
  ) =>
    Effect.gen(function*() {
      const start = yield* Clock.currentTimeMillis
      const base = { method, url: stripSecrets(requestUrl(url, options), secrets), cache_hit: false }
      return yield* send.pipe(
        Effect.tap((response) =>
          Effect.flatMap(Clock.currentTimeMillis, (end) =>
            record({
              ...base,
              status: response.status,
              duration_ms: end - start,
              bytes: Buffer.byteLength(response.body, "utf8"),
              error: null,
              proxy: proxy()
            }))
        ),
        Effect.tapError((error) =>
          Effect.flatMap(Clock.currentTimeMillis, (end) =>
            record({
              ...base,
              status: null,
              duration_ms: end - start,
              bytes: 0,
              error: scrub(error.message, secrets),
              proxy: proxy()
            }))
        )
      )
    })
  return {
    get: (url, options) => logged("GET", url, options, http.get(url, options)),
    post: (url, options) => logged("POST", url, options, http.post(url, options))
  }
}
