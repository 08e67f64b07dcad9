/**
 * The alert rules and channels of organizations, and the alerts raised: `raise` keeps an alert only the first
 * time its (derived) id is seen, so a run observed twice delivers nothing twice, and writes its deliveries to the
 * outbox in the same transaction. Channels are read without their secrets, except by `openChannel` (delivery).
 */
import type { AlertChannel, AlertChannelId, ChannelInfo, DeliveryStats } from "@mirage/domain/AlertChannels"
import type { Alert, AlertRule, AlertRuleId, Severity } from "@mirage/domain/Alerts"
import type { OrganizationId } from "@mirage/domain/Ids"
import { Context, Option, Schema } from "effect"
import type { Effect } from "effect"
import type { PersistenceError } from "../../platform/Errors.js"
import type { SealBroken } from "./ChannelSecrets.js"

export interface AlertQuery {
  readonly organization_id: OrganizationId
  readonly limit: number
  /** Opaque cursor from a previous page. */
  readonly cursor?: string | undefined
}

export interface AlertStoreService {
  readonly rules: (organizationId: OrganizationId) => Effect.Effect<ReadonlyArray<AlertRule>, PersistenceError>
  readonly rule: (
    organizationId: OrganizationId,
    id: AlertRuleId
  ) => Effect.Effect<Option.Option<AlertRule>, PersistenceError>
  /** Inserts or replaces the rule. */
  readonly putRule: (rule: AlertRule) => Effect.Effect<void, PersistenceError>
  /** Whether there was such a rule. */
  readonly deleteRule: (organizationId: OrganizationId, id: AlertRuleId) => Effect.Effect<boolean, PersistenceError>

  readonly channels: (organizationId: OrganizationId) => Effect.Effect<ReadonlyArray<ChannelInfo>, PersistenceError>
  readonly channel: (
    organizationId: OrganizationId,
    id: AlertChannelId
  ) => Effect.Effect<Option.Option<ChannelInfo>, PersistenceError>
  /** The channel with its secrets (opened), to deliver to. */
  readonly openChannel: (
    organizationId: OrganizationId,
    id: AlertChannelId
  ) => Effect.Effect<Option.Option<AlertChannel>, PersistenceError | SealBroken>
  /** Inserts or replaces the channel, its target whole. */
  readonly putChannel: (channel: AlertChannel) => Effect.Effect<void, PersistenceError>
  /** Changes what is not the target (which stays as stored); none when there is no such channel. */
  readonly patchChannel: (
    organizationId: OrganizationId,
    id: AlertChannelId,
    changes: ChannelChanges
  ) => Effect.Effect<Option.Option<ChannelInfo>, PersistenceError>
  /** Whether there was such a channel; its deliveries not made yet go with it. */
  readonly deleteChannel: (
    organizationId: OrganizationId,
    id: AlertChannelId
  ) => Effect.Effect<boolean, PersistenceError>
  /** Where the deliveries of each channel asked stand (channels with none are left out). */
  readonly deliveryStats: (
    organizationId: OrganizationId,
    ids: ReadonlyArray<AlertChannelId>
  ) => Effect.Effect<ReadonlyMap<AlertChannelId, DeliveryStats>, PersistenceError>

  /**
   * Stores the alerts not stored before and returns those; in the same transaction, one outbox delivery per fresh
   * alert and channel that takes it (enabled, at or above its severity), created at `at` (epoch ms).
   */
  readonly raise: (alerts: ReadonlyArray<Alert>, at: number) => Effect.Effect<ReadonlyArray<Alert>, PersistenceError>
  /** The organization's alerts, newest first. */
  readonly alerts: (
    query: AlertQuery
  ) => Effect.Effect<{ readonly items: ReadonlyArray<Alert>; readonly next_cursor: string | null }, PersistenceError>
}

export interface ChannelChanges {
  readonly name?: string | undefined
  readonly min_severity?: Severity | undefined
  readonly enabled?: boolean | undefined
}

export class AlertStore extends Context.Tag("@mirage/runtime/AlertStore")<AlertStore, AlertStoreService>() {}

/** Where a page of alerts ended: the last alert's time (as stored) and id. */
const AlertCursor = Schema.parseJson(Schema.Tuple(Schema.String, Schema.UUID))

/** The position a cursor stands for; none for a text that is not one of ours. */
export const decodeAlertCursor = (text: string): Option.Option<readonly [string, string]> =>
  Option.filter(
    Schema.decodeUnknownOption(AlertCursor)(Buffer.from(text, "base64url").toString("utf8")),
    ([at]) => !Number.isNaN(Date.parse(at))
  )

export const encodeAlertCursor = (at: string, id: string): string =>
  Buffer.from(JSON.stringify([at, id]), "utf8").toString("base64url")
