/** Scans' webhooks in Postgres (`scan_webhooks`). */
import { Webhook } from "@mirage/domain/Scan"
import { Effect, Layer, Option, Schema } from "effect"
import { attempt, PersistenceError } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
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
      attempt("stage webhook change", () =>
        sql`insert into scan_webhook_changes (change_id, scan_id, url, secret)
            values (${changeId}, ${scanId}, ${webhook?.url ?? null}, ${webhook?.secret ?? null})
            on conflict (change_id) do nothing`).pipe(Effect.asVoid),
    // One statement: the change is taken (deleted) and applied together, so a repeat applies nothing.
    apply: (scanId, changeId) =>
      attempt("apply webhook change", () =>
        sql`with taken as (
              delete from scan_webhook_changes where change_id = ${changeId} and scan_id = ${scanId}
              returning scan_id, url, secret
            ), removed as (
              delete from scan_webhooks where scan_id in (select scan_id from taken where url is null)
            ), written as (
              insert into scan_webhooks (scan_id, url, secret)
              select scan_id, url, secret from taken where url is not null
              on conflict (scan_id) do update set url = excluded.url, secret = excluded.secret
            )
            select count(*)::int as n from taken`).pipe(
          Effect.map((rows) => Number((rows[0] as { n?: number } | undefined)?.n ?? 0) > 0)
        ),
    discard: (changeId) =>
      attempt("discard webhook change", () => sql`delete from scan_webhook_changes where change_id = ${changeId}`)
        .pipe(Effect.asVoid)
  })
})

export const layer = Layer.effect(WebhookStore, make)
