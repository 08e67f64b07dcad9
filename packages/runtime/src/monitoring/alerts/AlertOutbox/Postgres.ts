/** The alert outbox in Postgres (`alert_deliveries`): claims with `FOR UPDATE SKIP LOCKED`, then a lease. */
import { AlertChannelId } from "@mirage/domain/AlertChannels"
import { Alert } from "@mirage/domain/Alerts"
import { Effect, Layer, Option, Schema } from "effect"
import { attempt } from "../../../platform/Errors.js"
import { PgClient } from "../../../platform/PgClient.js"
import { iso, rowsDecoder } from "../../../platform/Rows.js"
import { AlertOutbox } from "../AlertOutbox.js"
import type { Claimed } from "../AlertOutbox.js"

/** A claimed row: where the delivery goes, the attempts made, and the alert (its stored document). */
const decodeClaimed = rowsDecoder(
  Schema.Struct({ channel_id: AlertChannelId, attempts: Schema.Number, document: Alert })
)

export const make = Effect.gen(function*() {
  const sql = yield* PgClient

  return AlertOutbox.of({
    claim: (owner, now, leaseMs, limit) =>
      limit <= 0 ? Effect.succeed([]) : Effect.gen(function*() {
        const rows = yield* attempt("claim alert deliveries", () =>
          sql`
            with due as (
              select alert_id, channel_id from alert_deliveries
              where status = 'pending' and (leased_until is null or leased_until <= ${iso(now)}::timestamptz)
              order by created_at limit ${limit}
              for update skip locked
            )
            update alert_deliveries d
            set lease_owner = ${owner}, leased_until = ${iso(now + leaseMs)}::timestamptz
            from due, alerts a
            where d.alert_id = due.alert_id and d.channel_id = due.channel_id and a.id = d.alert_id
            returning d.alert_id::text as alert_id, d.channel_id::text as channel_id, d.attempts, a.document`)
        const claimed = yield* decodeClaimed("claim alert deliveries")(rows)
        return claimed.map((row): Claimed => ({
          alert: row.document,
          alert_id: row.document.id,
          channel_id: row.channel_id,
          attempts: row.attempts
        }))
      }),
    attempt: (key, owner, now, leaseMs) =>
      attempt("count alert delivery attempt", () =>
        sql<Array<{ attempts: number }>>`
          update alert_deliveries set attempts = attempts + 1, leased_until = ${iso(now + leaseMs)}::timestamptz
          where alert_id = ${key.alert_id} and channel_id = ${key.channel_id} and status = 'pending'
            and lease_owner = ${owner}
          returning attempts`).pipe(Effect.map((rows) => Option.fromNullable(rows[0]?.attempts))),
    note: (key, owner, reason) =>
      attempt("note alert delivery failure", () =>
        sql`update alert_deliveries set last_error = ${reason}
            where alert_id = ${key.alert_id} and channel_id = ${key.channel_id} and lease_owner = ${owner}`).pipe(
          Effect.asVoid
        ),
    settle: (key, owner, now, settlement) =>
      attempt("settle alert delivery", () =>
        sql`update alert_deliveries
            set status = ${settlement.status}, done_at = ${iso(now)}::timestamptz, lease_owner = null,
              leased_until = null,
              last_error = ${settlement.status === "failed" ? settlement.reason : null}
            where alert_id = ${key.alert_id} and channel_id = ${key.channel_id} and status = 'pending'
              and lease_owner = ${owner}`).pipe(Effect.asVoid),
    release: (key, owner) =>
      attempt("release alert delivery", () =>
        sql`update alert_deliveries set lease_owner = null, leased_until = null
            where alert_id = ${key.alert_id} and channel_id = ${key.channel_id} and status = 'pending'
              and lease_owner = ${owner}`).pipe(Effect.asVoid)
  })
})

export const layer = Layer.effect(AlertOutbox, make)
