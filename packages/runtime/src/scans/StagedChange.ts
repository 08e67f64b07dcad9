/**
 * A change staged with an update (a webhook, dependency edges) until the update is stored, keyed by the update's
 * command id, and what a sweep does with it once it is old: apply it if its update is stored, else wait, until it is
 * so old that its update is taken as never to be stored.
 */
import { ScanId } from "@mirage/domain/Ids"
import { Effect, Schema } from "effect"
import { attempt } from "../platform/Errors.js"
import type { PersistenceError } from "../platform/Errors.js"
import type { Sql } from "../platform/PgClient.js"
import { rowsDecoder } from "../platform/Rows.js"

/** A staged change as its store reads it. */
export const StagedChange = Schema.Struct({
  scan_id: ScanId,
  change_id: Schema.String,
  /** Whether the update that carries it is stored in the scan's log. */
  stored: Schema.Boolean,
  /** When it was staged (epoch ms). */
  staged_at: Schema.Number
})

export type StagedChange = typeof StagedChange.Type

/**
 * What the sweep can settle now, oldest first, at most `limit`: changes staged before `before` (epoch ms) whose update
 * is stored, or staged before `discardBefore` (changes still waiting for their update are left out, so that however
 * many wait, they never hold back those that can be settled).
 */
export type StagedReader = (
  before: number,
  discardBefore: number,
  limit: number
) => Effect.Effect<ReadonlyArray<StagedChange>, PersistenceError>

/** What the sweep does with a staged change at `now`. */
export const settle = (
  change: StagedChange,
  now: number,
  discardAfterMs: number
): "apply" | "discard" | "wait" => {
  if (change.stored) return "apply"
  return change.staged_at <= now - discardAfterMs ? "discard" : "wait"
}

const decodeStaged = rowsDecoder(StagedChange)

/**
 * The `staged` of a Postgres store whose staged changes are in `table` (`change_id`, `scan_id`, `created_at`), an
 * update being stored when `stored` (a condition on its row `c`) holds.
 */
export const stagedReader = (
  sql: Sql,
  operation: string,
  table: string,
  stored: ReturnType<Sql>
): StagedReader =>
(before, discardBefore, limit) =>
  attempt(operation, () =>
    // Ordered by the column itself, which its index serves, rather than by the time computed from it.
    sql`select s.scan_id, s.change_id, s.stored, s.staged_at from (
          select c.scan_id, c.change_id::text as change_id, ${stored} as stored, c.created_at,
                 extract(epoch from c.created_at)::float8 * 1000 as staged_at
          from ${sql(table)} c
          where c.created_at < to_timestamp(${before} / 1000.0)
        ) s
        where s.stored or s.staged_at <= ${discardBefore}
        order by s.created_at limit ${limit}`).pipe(Effect.flatMap(decodeStaged(operation)))
