/**
 * The outbox of alert deliveries, one per (alert, channel), written with the alert (see `AlertStore.raise`). A
 * delivery worker claims due rows under a lease, counts each attempt before making it, and settles the row: sent,
 * or failed with its reason. A worker that dies leaves its rows leased until the lease ends; then any worker takes
 * them, with the attempts already counted.
 */
import type { AlertChannelId } from "@mirage/domain/AlertChannels"
import type { Alert, AlertId } from "@mirage/domain/Alerts"
import { Context } from "effect"
import type { Effect, Option } from "effect"
import type { PersistenceError } from "../../platform/Errors.js"

export interface DeliveryKey {
  readonly alert_id: AlertId
  readonly channel_id: AlertChannelId
}

/** A claimed delivery: the alert, where it goes, and the attempts made before. */
export interface Claimed extends DeliveryKey {
  readonly alert: Alert
  readonly attempts: number
}

export type Settlement =
  | { readonly status: "sent" }
  | { readonly status: "failed"; readonly reason: string }

export interface AlertOutboxService {
  /** Leases up to `limit` pending deliveries that nobody holds (or whose lease ended) to `owner`, oldest first. */
  readonly claim: (
    owner: string,
    now: number,
    leaseMs: number,
    limit: number
  ) => Effect.Effect<ReadonlyArray<Claimed>, PersistenceError>
  /** Counts an attempt and renews the lease: the attempts made with this one, or none if `owner` lost the row. */
  readonly attempt: (
    key: DeliveryKey,
    owner: string,
    now: number,
    leaseMs: number
  ) => Effect.Effect<Option.Option<number>, PersistenceError>
  /** Keeps why the last attempt failed (the row stays pending). */
  readonly note: (key: DeliveryKey, owner: string, reason: string) => Effect.Effect<void, PersistenceError>
  /** Ends the delivery, if `owner` still holds it. */
  readonly settle: (
    key: DeliveryKey,
    owner: string,
    now: number,
    settlement: Settlement
  ) => Effect.Effect<void, PersistenceError>
  /** Gives the rows back at once (a worker stopping), for another worker to take without waiting for the lease. */
  readonly release: (key: DeliveryKey, owner: string) => Effect.Effect<void, PersistenceError>
}

export class AlertOutbox extends Context.Tag("@mirage/runtime/AlertOutbox")<AlertOutbox, AlertOutboxService>() {}
