/**
 * A task's trail in the collection log: each request as it is made (with its attempt), how many attempts there
 * were, the last attempt's notes, and, once the task ends however it ends, its summary, written with the requests.
 */
import { CollectionNotes } from "@mirage/modules"
import { Clock, Effect, Exit, Option, Ref } from "effect"
import { entryId, interrupted, scrub } from "../CollectionLog.js"
import type { CollectionLogEntry, CollectionLogService, CollectionOutcome, RequestRecord } from "../CollectionLog.js"
import type { Finding, TaskFailure, TaskSpec } from "../TaskExecutor.js"

/** What a run came to: the findings (cut at max_results) and the outcome the collection log records. */
export interface TaskRun {
  readonly findings: ReadonlyArray<Finding>
  readonly outcome: CollectionOutcome
  readonly result_count: number
  readonly attempts: number
  readonly failure: Option.Option<TaskFailure>
}

export interface Trail {
  /** Adds a request of the current attempt. */
  readonly record: (request: RequestRecord) => Effect.Effect<void>
  /** Counts a new attempt and gives its number (1 for the first). */
  readonly nextAttempt: Effect.Effect<number>
  readonly attempts: Effect.Effect<number>
  /** Keeps an attempt's notes: an attempt that was retried says nothing of the result, so the last one's stay. */
  readonly keepNotes: (summary: CollectionNotes.NotesSummary) => Effect.Effect<void>
  /** Writes the requests and the summary of how the task ended; a log that cannot be written is only warned of. */
  readonly write: (exit: Exit.Exit<TaskRun>) => Effect.Effect<void>
}

/** The summary's note fields, only those with something to say, secrets scrubbed. */
const noteFields = (summary: CollectionNotes.NotesSummary, secrets: ReadonlyArray<string>) => ({
  ...(summary.rows_skipped === 0 ? {} : { rows_skipped: summary.rows_skipped }),
  ...(summary.skip_reason === null ? {} : { skip_reason: scrub(summary.skip_reason, secrets) }),
  ...(summary.warnings.length === 0 ? {} : { warnings: summary.warnings.map((warning) => scrub(warning, secrets)) })
})

export const make = (
  collectionLog: CollectionLogService,
  task: TaskSpec,
  source: string,
  secrets: ReadonlyArray<string>
): Effect.Effect<Trail> =>
  Effect.gen(function*() {
    const entries = yield* Ref.make<ReadonlyArray<CollectionLogEntry>>([])
    const attempts = yield* Ref.make(0)
    const notes = yield* Ref.make<CollectionNotes.NotesSummary>(CollectionNotes.emptyNotes)
    const common = {
      owner: task.owner,
      task_id: task.task_id,
      scan_id: task.scan_id,
      module_id: task.module_id,
      source
    }

    const record = (request: RequestRecord) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const at = now - request.duration_ms
        const attempt = yield* Ref.get(attempts)
        const id = yield* entryId(at)
        const entry: CollectionLogEntry = { id, at, ...common, kind: "request", ...request, attempt }
        yield* Ref.update(entries, (all) => [...all, entry])
      })

    const summary = (exit: Exit.Exit<TaskRun>, now: number, requests: ReadonlyArray<CollectionLogEntry>) =>
      Effect.map(Effect.zip(Ref.get(notes), entryId(now)), ([kept, id]): CollectionLogEntry =>
        Exit.match(exit, {
          onSuccess: (run) => ({
            id,
            at: now,
            ...common,
            kind: "summary",
            outcome: run.outcome,
            result_count: run.result_count,
            attempts: run.attempts,
            error: Option.match(run.failure, { onNone: () => null, onSome: (failure) => failure.reason }),
            ...noteFields(kept, secrets)
          }),
          onFailure: () => ({
            id,
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
        }))

    const write = (exit: Exit.Exit<TaskRun>) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const requests = yield* Ref.get(entries)
        const last = yield* summary(exit, now, requests)
        yield* collectionLog.append([...requests, last]).pipe(
          Effect.catchAll((error) =>
            Effect.logWarning("collection log not written").pipe(Effect.annotateLogs({ error: error.message }))
          )
        )
      })

    return {
      record,
      nextAttempt: Ref.updateAndGet(attempts, (count) => count + 1),
      attempts: Ref.get(attempts),
      keepNotes: (kept) => Ref.set(notes, kept),
      write
    }
  })
