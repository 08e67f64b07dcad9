/**
 * The sweep that settles what updates staged (webhook changes, dependency edges): every node runs it beside the
 * observers' fast path, so a change whose update is stored is applied even when the observer could not (Postgres
 * away for a moment), once, and one whose update never was is discarded once it is old enough to be sure.
 */
import { Clock, Config, Duration, Effect, Schedule } from "effect"
import * as Chaining from "./Chaining.js"
import * as Settings from "./Settings.js"
import { settle } from "./StagedChange.js"
import type { StagedChange } from "./StagedChange.js"
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

/** One change settled on its own: its failure is logged and left to the next run, and holds back no other change. */
const alone = <A, E, R>(change: StagedChange, settling: Effect.Effect<A, E, R>): Effect.Effect<void, never, R> =>
  settling.pipe(
    Effect.asVoid,
    Effect.catchAllCause((cause) =>
      Effect.logWarning("staged change not settled", cause).pipe(
        Effect.annotateLogs({ scan_id: change.scan_id, change_id: change.change_id })
      )
    )
  )

/** Applies the old webhook changes whose updates are stored, discards those whose updates are taken as never. */
export const sweepWebhooks = (settings: SweepSettings) =>
  Effect.gen(function*() {
    const store = yield* WebhookStore
    const now = yield* Clock.currentTimeMillis
    const changes = yield* store.staged(now - settings.afterMs, now - settings.discardAfterMs, settings.batch)
    yield* Effect.forEach(changes, (change) => {
      switch (settle(change, now, settings.discardAfterMs)) {
        case "apply":
          return alone(change, store.apply(change.scan_id, change.change_id))
        case "discard":
          return alone(change, store.discard(change.change_id))
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
    const changes = yield* dependencies.staged(now - settings.afterMs, now - settings.discardAfterMs, settings.batch)
    const scans = new Set<string>()
    for (const change of changes) {
      const decision = settle(change, now, settings.discardAfterMs)
      if (decision === "discard") yield* alone(change, dependencies.discard(change.change_id))
      // One write covers all the scan's stored changes.
      if (decision === "apply" && !scans.has(change.scan_id)) {
        scans.add(change.scan_id)
        yield* alone(change, Chaining.writeEdges(change.scan_id))
      }
    }
  })

/** One run of both sweeps; a failure is logged and the next run tries again. */
export const sweep = (settings: SweepSettings) =>
  Effect.all([
    // Defects too: the sweep's loop must outlive any one run.
    sweepWebhooks(settings).pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("staged webhook sweep failed", cause))
    ),
    sweepDependencies(settings).pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("staged dependency sweep failed", cause))
    )
  ], { discard: true })

/** Runs the sweep every `everyMs` in the scope. */
export const reconciler = Effect.gen(function*() {
  const settings = yield* SweepConfig
  yield* Effect.forkScoped(Effect.repeat(sweep(settings), Schedule.spaced(Duration.millis(settings.everyMs))))
})
