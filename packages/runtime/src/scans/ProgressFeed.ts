/**
 * The live progress of scans: nodes publish a `ScanProgressEvent` after each persisted change that
 * a watcher would see, and any gateway follows a scan's events (for `GET /scans/{id}/events`).
 */
import type { ScanId } from "@mirage/domain/Ids"
import { isTerminal } from "@mirage/domain/Scan"
import { advanceTally, progressEvent, tallyProgress } from "@mirage/domain/ScanProgress"
import type { ModuleTally, ScanProgressEvent } from "@mirage/domain/ScanProgress"
import { Context, Effect, Layer } from "effect"
import type { Stream } from "effect"
import type { PersistenceError } from "../platform/Errors.js"
import { ScanObserver } from "./ScanObserver.js"
import type { ScanObserverService } from "./ScanObserver.js"

export interface ProgressFeedService {
  readonly publish: (event: ScanProgressEvent) => Effect.Effect<void, PersistenceError>
  /**
   * From the moment it runs: the scan's latest published event (if any), then every later one as it
   * is published. Endless: the caller decides when to stop (e.g. after a final event).
   */
  readonly follow: (id: ScanId) => Effect.Effect<Stream.Stream<ScanProgressEvent, PersistenceError>, PersistenceError>
}

export class ProgressFeed extends Context.Tag("@mirage/runtime/ProgressFeed")<ProgressFeed, ProgressFeedService>() {}

/** Scans whose module tally a node keeps at most (those it runs; one that moved away is dropped with the rest). */
const tallied = 10_000

/**
 * The observer a node adds to its chain: publishes what changed; a failure is logged, never blocks. Each running
 * scan's per-module counts are kept from batch to batch and changed by the tasks a batch names, rather than counted
 * over every task of the scan at every batch.
 */
export const observer = Effect.map(ProgressFeed, (feed): ScanObserverService => {
  const tallies = new Map<ScanId, ModuleTally>()
  return {
    persisted: ({ after, before, events }) => {
      const tally = advanceTally(tallies.get(after.id), before, after, events)
      if (after.deleted || isTerminal(after.status)) {
        tallies.delete(after.id)
      } else {
        if (tallies.size >= tallied && !tallies.has(after.id)) tallies.clear()
        tallies.set(after.id, tally)
      }
      const event = progressEvent(before, after, () => tallyProgress(tally))
      if (event === undefined) return Effect.void
      return feed.publish(event).pipe(Effect.catchAll((error) => Effect.logWarning("progress publish failed", error)))
    }
  }
})

/** Only the progress observer (for nodes that run no other orchestration, e.g. in tests). */
export const layerObserver = Layer.effect(ScanObserver, observer)
