/** Raised alerts as a live feed per organization, for `GET /alerts/events` (Server-Sent Events) on any gateway. */
import type { Alert } from "@mirage/domain/Alerts"
import type { OrganizationId } from "@mirage/domain/Ids"
import { Context } from "effect"
import type { Effect, Stream } from "effect"
import type { PersistenceError } from "../../platform/Errors.js"

export interface AlertFeedService {
  readonly publish: (alert: Alert) => Effect.Effect<void, PersistenceError>
  /** Every alert of the organization published from the moment it runs; endless. */
  readonly follow: (
    organizationId: OrganizationId
  ) => Effect.Effect<Stream.Stream<Alert, PersistenceError>, PersistenceError>
}

export class AlertFeed extends Context.Tag("@mirage/runtime/AlertFeed")<AlertFeed, AlertFeedService>() {}
