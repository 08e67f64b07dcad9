/** Scans' webhooks in Postgres (`scan_webhooks`). */
import { Webhook } from "@mirage/domain/Scan"
import { Effect, Layer, Option, Schema } from "effect"
import { PersistenceError } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
import { WebhookStore } from "../Webhooks.js"

export const make = Effect.gen(function*() {
  const sql = yield* PgClient
  const attempt = <A>(operation: string, run: () => PromiseLike<A>) =>
    Effect.tryPromise({
      try: () => Promise.resolve(run()),
      catch: (cause) => new PersistenceError({ operation, cause })
    })
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
                on conflict (scan_id) do update set url = excluded.url, secret = excluded.secret`).pipe(Effect.asVoid)
  })
})

export const layer = Layer.effect(WebhookStore, make)
