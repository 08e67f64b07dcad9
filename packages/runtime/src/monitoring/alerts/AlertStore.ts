/**
 * The alert rules and channels of organizations, and the alerts raised: `raise` keeps an alert only the first
 * time its (derived) id is seen, so a run observed twice delivers nothing twice.
 */
import type { AlertChannel, AlertChannelId } from "@mirage/domain/AlertChannels"
import type { Alert, AlertRule, AlertRuleId } from "@mirage/domain/Alerts"
import type { OrganizationId } from "@mirage/domain/Ids"
import { Context, Option, Schema } from "effect"
import type { Effect } from "effect"
import type { PersistenceError } from "../../platform/Errors.js"

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

  readonly channels: (organizationId: OrganizationId) => Effect.Effect<ReadonlyArray<AlertChannel>, PersistenceError>
  readonly channel: (
    organizationId: OrganizationId,
    id: AlertChannelId
  ) => Effect.Effect<Option.Option<AlertChannel>, PersistenceError>
  readonly putChannel: (channel: AlertChannel) => Effect.Effect<void, PersistenceError>
  readonly deleteChannel: (
    organizationId: OrganizationId,
    id: AlertChannelId
  ) => Effect.Effect<boolean, PersistenceError>

  /** Stores the alerts not stored before and returns those (the ones to deliver). */
  readonly raise: (alerts: ReadonlyArray<Alert>) => Effect.Effect<ReadonlyArray<Alert>, PersistenceError>
  /** The organization's alerts, newest first. */
  readonly alerts: (
    query: AlertQuery
  ) => Effect.Effect<{ readonly items: ReadonlyArray<Alert>; readonly next_cursor: string | null }, PersistenceError>
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
