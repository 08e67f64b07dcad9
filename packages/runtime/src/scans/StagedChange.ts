/**
 * A change staged with an update (a webhook, dependency edges) until the update is stored, keyed by the update's
 * command id, and what a sweep does with it once it is old: apply it if its update is stored, else wait, until it is
 * so old that its update is taken as never to be stored.
 */
import { ScanId } from "@mirage/domain/Ids"
import { Schema } from "effect"
import type { Effect } from "effect"
import type { PersistenceError } from "../platform/Errors.js"

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
