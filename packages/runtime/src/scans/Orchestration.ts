/**
 * What a node runs around its scan actors for orchestration: the observers (status notifications
 * and webhooks, quota release and queue draining, chaining) and the organizations' task slots. One
 * layer over the node's stores, to replace `ScanObserver.layerNone`.
 */
import { hasEnded } from "@mirage/domain/ScanMachine"
import { Config, Duration, Effect, Layer, Schedule } from "effect"
import { ShardInbox } from "../cluster/ShardInbox.js"
import * as ScopeGuard from "../collection/ScopeGuard.js"
import * as TaskSlotsRedis from "../collection/TaskSlots/Redis.js"
import * as AlertDelivery from "../monitoring/alerts/AlertDelivery.js"
import * as AlertFeedRedis from "../monitoring/alerts/AlertFeed/Redis.js"
import * as AlertOutboxPostgres from "../monitoring/alerts/AlertOutbox/Postgres.js"
import * as AlertStorePostgres from "../monitoring/alerts/AlertStore/Postgres.js"
import * as ChannelGuard from "../monitoring/alerts/ChannelGuard.js"
import * as Channels from "../monitoring/alerts/Channels.js"
import * as ChannelSecrets from "../monitoring/alerts/ChannelSecrets.js"
import * as Monitor from "../monitoring/alerts/Monitor.js"
import { DeliveryConfig } from "../monitoring/alerts/Settings.js"
import * as Correlator from "../monitoring/correlation/Correlator.js"
import * as InventoryFeed from "../monitoring/inventory/InventoryFeed.js"
import * as InventoryPostgres from "../monitoring/inventory/Postgres.js"
import * as Retention from "../monitoring/retention/Retention.js"
import * as Tracing from "../platform/Tracing.js"
import * as Chaining from "./Chaining.js"
import * as ChainingPostgres from "./Chaining/Postgres.js"
import * as Notifications from "./Notifications.js"
import * as ProgressFeed from "./ProgressFeed.js"
import * as ProgressFeedRedis from "./ProgressFeed/Redis.js"
import { ScanQuotas } from "./Quotas.js"
import * as QuotasPostgres from "./Quotas/Postgres.js"
import { combine, ScanObserver } from "./ScanObserver.js"
import type { ScanObserverService } from "./ScanObserver.js"
import * as ScanReadModelPostgres from "./ScanReadModel/Postgres.js"
import * as Settings from "./Settings.js"
import * as StagedChanges from "./StagedChanges.js"
import { changeObserver, makeDispatcher, WebhookConfig } from "./Webhooks.js"
import * as WebhooksFetch from "./Webhooks/Fetch.js"
import * as WebhooksPostgres from "./Webhooks/Postgres.js"

/** Frees the slot of a scan that ended or was deleted, and starts the queued scans of its organization that now fit. */
export const quotaObserver = Effect.gen(function*() {
  const quotas = yield* ScanQuotas
  const inbox = yield* ShardInbox
  return {
    persisted: ({ after, before }) => {
      if (!hasEnded(before, after)) return Effect.void
      return quotas.release(after.header.organization_id, after.id).pipe(
        Effect.flatMap(Chaining.startDue),
        Effect.provideService(ShardInbox, inbox),
        Effect.catchAll((error) => Effect.logWarning("quota release failed", error))
      )
    }
  } satisfies ScanObserverService
})

/**
 * Starts what quota admission left unstarted: a node or gateway that died between admitting a scan
 * and sending its StartScan, or a release that never ran, would otherwise leave it waiting forever.
 * Every node runs it; the start's command id is the one a release uses, so repeats are deduplicated.
 */
export const quotaReconciler = Effect.gen(function*() {
  const quotas = yield* ScanQuotas
  const inbox = yield* ShardInbox
  const { everyMs, olderThanMs } = yield* QuotaReconcileConfig
  const sweep = quotas.unstarted(olderThanMs).pipe(
    Effect.flatMap(Chaining.startDue),
    Effect.provideService(ShardInbox, inbox),
    Effect.catchAll((error) => Effect.logWarning("quota reconciliation failed", error))
  )
  yield* Effect.forkScoped(Effect.repeat(sweep, Schedule.spaced(Duration.millis(everyMs))))
})

export const QuotaReconcileConfig = Config.all({
  everyMs: Config.map(Settings.quotaReconcile, Duration.toMillis),
  olderThanMs: Config.map(Settings.quotaReconcileAfter, Duration.toMillis)
})

/** The observers, in order: the webhook changes of stored updates, then notifications and live progress (they only
 * publish), then the last correlation findings (when the node correlates), then quotas, then chaining (dependency
 * edges of stored updates included), then the inventory and alerts of a completed run, then the scan's root span when
 * it ends. Retention, the alert delivery worker and the sweeps of quotas and staged changes run beside. */
export const layerObservers = Layer.scoped(
  ScanObserver,
  Effect.gen(function*() {
    const webhookChanges = yield* changeObserver
    const dispatcher = yield* Effect.flatMap(WebhookConfig, makeDispatcher)
    const notifications = yield* Notifications.observer(dispatcher.enqueue)
    const progress = yield* ProgressFeed.observer
    const quotas = yield* quotaObserver
    const chaining = yield* Chaining.observer
    const correlation = yield* Correlator.observer
    const deliveries = yield* Effect.flatMap(DeliveryConfig, AlertDelivery.start)
    const monitor = yield* Monitor.observer(dispatcher.enqueue, deliveries.wake)
    yield* quotaReconciler
    yield* StagedChanges.reconciler
    yield* Effect.forkScoped(Retention.configuredJob)
    return combine(webhookChanges, notifications, progress, correlation, quotas, chaining, monitor, Tracing.observer)
  })
)

/** What alert channels need: the guard over their addresses, the key sealing their secrets. */
const ChannelPorts = Layer.mergeAll(ChannelGuard.layer, ChannelSecrets.layer)

/** Webhooks are sent through the node's scope guard, like the modules' requests: the same policy, checked per connect. */
const WebhookSenderLive = WebhooksFetch.layer.pipe(Layer.provide(ScopeGuard.layer))

const Stores = Layer.mergeAll(
  QuotasPostgres.layer,
  ChainingPostgres.layer,
  ScanReadModelPostgres.layer,
  WebhooksPostgres.layer,
  WebhookSenderLive,
  ProgressFeedRedis.layer,
  InventoryPostgres.layer,
  AlertStorePostgres.layer,
  AlertOutboxPostgres.layer,
  AlertFeedRedis.layer,
  Channels.layer
).pipe(Layer.provide(ChannelPorts))

/**
 * The node's inventory, read by the actors of scans that expand only new entities, and the feed their stored results
 * keep it up to date with as they arrive.
 */
export const layerInventory = InventoryFeed.layer.pipe(Layer.provideMerge(InventoryPostgres.layer))

/**
 * The node's orchestration: ScanObserver and TaskSlots, over PgClient, RedisClient, MongoDatabase, ShardInbox and
 * ResultStore.
 */
export const layer = Layer.mergeAll(layerObservers, TaskSlotsRedis.layer).pipe(Layer.provide(Stores))
