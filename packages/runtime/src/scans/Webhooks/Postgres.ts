/** Scans' webhooks in Postgres (`scan_webhooks`), and their staged changes (`scan_webhook_changes`). */
import { Webhook } from "@mirage/domain/Scan"
import { Clock, Effect, Layer, Option, Schema } from "effect"
import { attempt, PersistenceError } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
import { stagedReader } from "../StagedChange.js"
import { WebhookStore } from "../Webhooks.js"

export const make = Effect.gen(function*() {
  const sql = yield* PgClient
  return WebhookStore.of({
    get: (scanId) =>
      attempt("read webhook", () => sql`select url, secret from scan_webhooks where scan_id = ${scanId}`).pipe(
        Effect.flatMap((rows) =>
          Effect.mapError(
            Schema.decodeUnknown(Schema.Array(Webhook))(rows),
            (cause) => new PersistenceError({ operation: "read webhook", cause })
          )
        ),
        Effect.map((rows) => Option.fromNullable(rows[0]))
      ),
    set: (scanId, webhook) =>
      attempt("set webhook", () =>
        webhook === null
          ? sql`delete from scan_webhooks where scan_id = ${scanId}`
          : sql`insert into scan_webhooks (scan_id, url, secret) values (${scanId}, ${webhook.url}, ${webhook.secret})
                on conflict (scan_id) do update set url = excluded.url, secret = excluded.secret`).pipe(Effect.asVoid),
    stage: (scanId, changeId, webhook) =>
      Effect.flatMap(
        Clock.currentTimeMillis,
        (now) =>
          attempt("stage webhook change", () =>
            sql`insert into scan_webhook_changes (change_id, scan_id, url, secret, created_at)
              values (${changeId}, ${scanId}, ${webhook?.url ?? null}, ${webhook?.secret ?? null},
                      to_timestamp(${now} / 1000.0))
              on conflict (change_id) do nothing`)
      ).pipe(Effect.asVoid),
    // The scan's read model row is locked (FOR SHARE) first: no update of the scan is stored until this commits, so a
    // later webhook change is either seen here (this one is superseded) or applied after it. Then one statement takes
    // the change (deletes it: a repeat applies nothing) and writes it if its update is stored and is the latest to
    // change the webhook.
    apply: (scanId, changeId) =>
      attempt("apply webhook change", () =>
        sql.begin(async (tx) => {
          await tx`select 1 from scans where id = ${scanId} for share`
          return tx`
            with stored as (
              select seq from scan_events
              where scan_id = ${scanId} and type = 'ScanUpdated' and payload->>'webhook_change' = ${changeId}
            ), taken as (
              delete from scan_webhook_changes
              where change_id = ${changeId} and scan_id = ${scanId} and exists (select 1 from stored)
              returning scan_id, url, secret, not exists (
                select 1 from scan_events e
                where e.scan_id = ${scanId} and e.type = 'ScanUpdated' and e.payload->>'webhook_change' is not null
                  and e.seq > (select max(seq) from stored)
              ) as latest
            ), removed as (
              delete from scan_webhooks where scan_id in (select scan_id from taken where latest and url is null)
            ), written as (
              insert into scan_webhooks (scan_id, url, secret)
              select scan_id, url, secret from taken where latest and url is not null
              on conflict (scan_id) do update set url = excluded.url, secret = excluded.secret
            )
            select count(*)::int as n from taken where latest`
        })).pipe(
          Effect.map((rows) => Number((rows[0] as { n?: number } | undefined)?.n ?? 0) > 0)
        ),
    staged: stagedReader(
      sql,
      "read staged webhook changes",
      "scan_webhook_changes",
      sql`exists (
          select 1 from scan_events e
          where e.scan_id = c.scan_id and e.type = 'ScanUpdated' and e.payload->>'webhook_change' = c.change_id::text
        )`
    ),
    discard: (changeId) =>
      attempt("discard webhook change", () => sql`delete from scan_webhook_changes where change_id = ${changeId}`)
        .pipe(Effect.asVoid)
  })
})

export const layer = Layer.effect(WebhookStore, make)
