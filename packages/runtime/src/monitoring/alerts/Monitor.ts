/**
 * What follows a completed run: its results are applied to the series' inventory, the organization's alert
 * rules are evaluated against the change, and the alerts raised for the first time are stored with one outbox
 * delivery per channel whose severity filter takes them (the delivery worker sends those), then go to the feed
 * (SSE) and the scan's signed webhook. Alert ids are derived, so a run observed twice (redelivery, takeover)
 * raises and delivers nothing twice. A scan that ended otherwise is not a run: what it recorded in the inventory as
 * it went is taken back.
 */
import { evaluate } from "@mirage/domain/Alerts"
import type { Alert } from "@mirage/domain/Alerts"
import type { ScanId } from "@mirage/domain/Ids"
import { hasEnded } from "@mirage/domain/ScanMachine"
import { Clock, DateTime, Effect } from "effect"
import type { ResultStore } from "../../scans/ResultStore.js"
import type { ScanObserverService } from "../../scans/ScanObserver.js"
import type { Delivery } from "../../scans/Webhooks.js"
import { Inventory, seriesOf } from "../inventory/Inventory.js"
import type { Series } from "../inventory/Inventory.js"
import { runOf } from "../inventory/Runs.js"
import { AlertFeed } from "./AlertFeed.js"
import { AlertStore } from "./AlertStore.js"
import { webhookBody } from "./Channels.js"

export interface CompletedRun {
  readonly series: Series
  readonly scan_id: ScanId
  /** When the run completed (epoch ms). */
  readonly at: number
  /** Whether it expanded only the entities new to the series (`new_entities_only`). */
  readonly partial?: boolean
}

/**
 * Publishes fresh alerts on the feed and queues them for the scan's webhook (each failure logged and skipped);
 * their channel deliveries are in the outbox already, and `wake` has the node's worker look at once.
 */
export const deliver = (
  alerts: ReadonlyArray<Alert>,
  webhook: (delivery: Delivery) => Effect.Effect<void>,
  wake: Effect.Effect<void> = Effect.void
) =>
  Effect.gen(function*() {
    if (alerts.length === 0) return
    yield* wake
    const feed = yield* AlertFeed
    yield* Effect.forEach(alerts, (alert) =>
      Effect.gen(function*() {
        yield* feed.publish(alert).pipe(Effect.catchAll((error) => Effect.logWarning("alert feed failed", error)))
        yield* webhook({ scan_id: alert.scan_id, body: webhookBody(alert), at: DateTime.toEpochMillis(alert.at) })
      }), { discard: true })
  })

/** Applies the run to the inventory and raises its alerts; returns the alerts raised now (not before). */
export const monitorRun = (run: CompletedRun) =>
  Effect.gen(function*() {
    const inventory = yield* Inventory
    const store = yield* AlertStore
    const found = yield* runOf(run.scan_id, run.at, run.partial === true)
    const applied = yield* inventory.applyRun(run.series, found)
    const rules = yield* store.rules(run.series.organization_id)
    const alerts = evaluate(rules, {
      organization_id: run.series.organization_id,
      scan_id: run.scan_id,
      target: run.series.target_value,
      at: run.at,
      assets: applied.assets,
      previous: applied.previous
    })
    return yield* store.raise(alerts, yield* Clock.currentTimeMillis)
  })

/**
 * The observer: after a run COMPLETED, monitors it and publishes in the background (never holding the actor); after
 * a scan ended otherwise, retracts its live sightings.
 */
export const observer = (webhook: (delivery: Delivery) => Effect.Effect<void>, wake: Effect.Effect<void>) =>
  Effect.gen(function*() {
    const context = yield* Effect.context<Inventory | AlertStore | AlertFeed | ResultStore>()
    return {
      persisted: ({ after, before }) => {
        if (!hasEnded(before, after)) return Effect.void
        if (after.status !== "COMPLETED" || after.deleted) {
          return Effect.flatMap(Inventory, (inventory) => inventory.retract(seriesOf(after), after.id)).pipe(
            Effect.catchAll((error) => Effect.logWarning("retracting a scan's live sightings failed", error)),
            Effect.provide(context)
          )
        }
        const run: CompletedRun = {
          series: seriesOf(after),
          scan_id: after.id,
          at: after.completed_at ?? after.updated_at,
          partial: after.definition.configuration.new_entities_only === true
        }
        return monitorRun(run).pipe(
          Effect.flatMap((alerts) =>
            Effect.forkDaemon(
              deliver(alerts, webhook, wake).pipe(
                Effect.catchAll((error) => Effect.logWarning("alert delivery failed", error))
              )
            )
          ),
          Effect.asVoid,
          Effect.catchAll((error) =>
            Effect.logWarning("run monitoring failed", error).pipe(Effect.annotateLogs({ scan_id: run.scan_id }))
          ),
          Effect.provide(context)
        )
      }
    } satisfies ScanObserverService
  })
