/**
 * The sweep that settles what updates staged (webhook changes, dependency edges): every node runs it beside the
 * observers' fast path, so a change whose update is stored is applied even when the observer could not (Postgres
 * away for a moment), once, and one whose update never was is discarded once it is old enough to be sure.
 */
import { Clock, Config, Duration, Effect, Schedule } from "effect"
import * as Chaining from "./Chaining.js"
import * as Settings from "./Settings.js"
import { settle } from "./StagedChange.js"
import { WebhookStore } from "./Webhooks.js"

export interface SweepSettings {
  /** How often the sweep runs. */
  readonly everyMs: number
  /** How old a change must be before the sweep looks at it: younger ones are the observers'. */
  readonly afterMs: number
  /** How old a change whose update is not stored must be before it is discarded. */
  readonly discardAfterMs: number
  /** Changes of each kind settled per run at most. */
  readonly batch: number
}

export const SweepConfig: Config.Config<SweepSettings> = Config.all({
  everyMs: Config.map(Settings.stagedSweep, Duration.toMillis),
  afterMs: Config.map(Settings.stagedSweepAfter, Duration.toMillis),
  discardAfterMs: Config.map(Settings.stagedDiscardAfter, Duration.toMillis),
  batch: Config.succeed(500)
})

/** Applies the old webhook changes whose updates are stored, discards those whose updates are taken as never. */
export const sweepWebhooks = (settings: SweepSettings) =>
  Effect.gen(function*() {
    const store = yield* WebhookStore
    const now = yield* Clock.currentTimeMillis
    const changes = yield* store.staged(now - settings.afterMs, settings.batch)
    yield* Effect.forEach(changes, (change) => {
      switch (settle(change, now, settings.discardAfterMs)) {
        case "apply":
          return store.apply(change.scan_id, change.change_id)
        case "discard":
          return store.discard(change.change_id)
        case "wait":
          return Effect.void
      }
    }, { discard: true })
  })

/**
 * Writes the edges of the scans with old dependency changes whose updates are stored (then looks at them, as the
 * observer does, in case their dependencies have all ended), discards those whose updates are taken as never.
 */
export const sweepDependencies = (settings: SweepSettings) =>
  Effect.gen(function*() {
    const dependencies = yield* Chaining.ScanDependencies
    const now = yield* Clock.currentTimeMillis
    const changes = yield* dependencies.staged(now - settings.afterMs, settings.batch)
    const scans = new Set<string>()
    for (const change of changes) {
      const decision = settle(change, now, settings.discardAfterMs)
      if (decision === "discard") yield* dependencies.discard(change.change_id)
      // One write covers all the scan's stored changes.
      if (decision === "apply" && !scans.has(change.scan_id)) {
        scans.add(change.scan_id)
        yield* Chaining.writeEdges(change.scan_id)
      }
    }
  })

/** One run of both sweeps; a failure is logged and the next run tries again. */
export const sweep = (settings: SweepSettings) =>
  Effect.all([
    sweepWebhooks(settings).pipe(Effect.catchAll((error) => Effect.logWarning("staged webhook sweep failed", error))),
    sweepDependencies(settings).pipe(
      Effect.catchAll((error) => Effect.logWarning("staged dependency sweep failed", error))
    )
  ], { discard: true })

/** Runs the sweep every `everyMs` in the scope. */
export const reconciler = Effect.gen(function*() {
  const settings = yield* SweepConfig
  yield* Effect.forkScoped(Effect.repeat(sweep(settings), Schedule.spaced(Duration.millis(settings.everyMs))))
})
