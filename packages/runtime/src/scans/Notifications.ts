/**
 * Status notifications: every status change of a scan (and its deletion) is appended to the Redis
 * stream `<prefix>:{notifications}:scan-status` for the Notification Service, and handed to the
 * node's webhook dispatcher when the scan has a webhook.
 */
import { OrganizationId, ScanId } from "@mirage/domain/Ids"
import { ScanStatus } from "@mirage/domain/Scan"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { DateTime, Effect, Schema } from "effect"
import { PersistenceError } from "../platform/Errors.js"
import { RedisClient } from "../platform/RedisClient.js"
import type { ScanObserverService } from "./ScanObserver.js"
import type { Delivery } from "./Webhooks.js"

/** One status change as published (stream field `data`) and POSTed to webhooks. */
export const StatusChange = Schema.Struct({
  type: Schema.Literal("scan.status_changed", "scan.deleted"),
  scan_id: ScanId,
  organization_id: OrganizationId,
  status: ScanStatus,
  previous_status: ScanStatus,
  reason: Schema.NullOr(Schema.String),
  progress: Schema.Number,
  result_count: Schema.Int,
  /** Seq of the scan's log after the change: consumers order and deduplicate by it. */
  seq: Schema.Int,
  at: Schema.DateTimeUtc
})
export type StatusChange = typeof StatusChange.Type

const encode = Schema.encode(Schema.parseJson(StatusChange))

/** The change between two states, if their status (or existence) differs. */
export const statusChange = (before: ScanState, after: ScanState): StatusChange | undefined => {
  const deleted = !before.deleted && after.deleted
  if (!deleted && before.status === after.status) return undefined
  return {
    type: deleted ? "scan.deleted" : "scan.status_changed",
    scan_id: after.id,
    organization_id: after.header.organization_id,
    status: after.status,
    previous_status: before.status,
    reason: after.reason,
    progress: after.progress,
    result_count: after.result_count,
    seq: after.seq,
    at: DateTime.unsafeMake(after.updated_at)
  }
}

/** Longest the stream grows (approximately): consumers are expected to keep up. */
export const streamMaxLength = 100_000

export const streamKey = (redis: { readonly key: (tag: string, ...parts: ReadonlyArray<string>) => string }) =>
  redis.key("notifications", "scan-status")

/** The observer: publishes each change and enqueues its webhook delivery (which never waits). */
export const observer = (enqueue: (delivery: Delivery) => Effect.Effect<void>) =>
  Effect.gen(function*() {
    const redis = yield* RedisClient
    const key = streamKey(redis)
    return {
      persisted: ({ after, before }) => {
        const change = statusChange(before, after)
        if (change === undefined) return Effect.void
        return Effect.gen(function*() {
          const body = yield* Effect.mapError(encode(change), (cause) =>
            new PersistenceError({ operation: "encode status change", cause }))
          yield* Effect.tryPromise({
            try: () =>
              redis.redis.xadd(
                key,
                "MAXLEN",
                "~",
                streamMaxLength,
                "*",
                "scan_id",
                change.scan_id,
                "status",
                change.status,
                "data",
                body
              ),
            catch: (cause) =>
              new PersistenceError({ operation: "publish status change", cause })
          })
          yield* enqueue({ scan_id: change.scan_id, body, at: after.updated_at })
        }).pipe(Effect.catchAll((error) => Effect.logWarning("status notification failed", error)))
      }
    } satisfies ScanObserverService
  })
