/**
 * Alert rules, channels and raised alerts in Postgres (`alert_rules`, `alert_channels`, `alerts`), and the outbox
 * rows (`alert_deliveries`) written with the alerts they deliver. Channels' targets are sealed (ChannelCipher).
 */
import { Alert, AlertRule, Severity } from "@mirage/domain/Alerts"
import { DateTime, Effect, Layer, Option, Schema } from "effect"
import { attempt, PersistenceError } from "../../../platform/Errors.js"
import { PgClient } from "../../../platform/PgClient.js"
import { documents, iso } from "../../../platform/Rows.js"
import { AlertStore, decodeAlertCursor, encodeAlertCursor } from "../AlertStore.js"
import { ChannelCipher } from "../ChannelSecrets.js"
import { makeChannels } from "./Channels.js"

export const make = Effect.gen(function*() {
  const sql = yield* PgClient
  const cipher = yield* ChannelCipher
  const decode = <A, I>(schema: Schema.Schema<A, I>, operation: string) => (value: unknown) =>
    Effect.mapError(Schema.decodeUnknown(schema)(value), (cause) => new PersistenceError({ operation, cause }))
  const channels = makeChannels(sql, cipher)

  return AlertStore.of({
    rules: (organizationId) =>
      attempt("read alert rules", () =>
        sql<Array<{ document: unknown }>>`
          select document from alert_rules where organization_id = ${organizationId} order by created_at, id`).pipe(
          Effect.map(documents),
          Effect.flatMap(decode(Schema.Array(AlertRule), "read alert rules"))
        ),
    rule: (organizationId, id) =>
      attempt("read alert rule", () =>
        sql<Array<{ document: unknown }>>`
          select document from alert_rules where organization_id = ${organizationId} and id = ${id}`).pipe(
          Effect.flatMap((rows) =>
            rows[0] === undefined
              ? Effect.succeedNone
              : Effect.asSome(decode(AlertRule, "read alert rule")(rows[0].document))
          )
        ),
    putRule: (rule) =>
      Effect.flatMap(
        Effect.orDie(Schema.encode(AlertRule)(rule)),
        (document) =>
          attempt("store alert rule", () =>
            sql`insert into alert_rules (id, organization_id, document, created_at)
                values (${rule.id}, ${rule.organization_id}, ${sql.json(document as never)}, ${
              DateTime.formatIso(rule.created_at)
            })
                on conflict (id) do update set document = excluded.document`).pipe(Effect.asVoid)
      ),
    deleteRule: (organizationId, id) =>
      attempt(
        "delete alert rule",
        () => sql`delete from alert_rules where organization_id = ${organizationId} and id = ${id} returning id`
      ).pipe(
        Effect.map((rows) => rows.length > 0)
      ),
    ...channels,
    raise: (alerts, at) =>
      alerts.length === 0 ? Effect.succeed([]) : Effect.gen(function*() {
        const encoded = yield* Effect.orDie(Schema.encode(Schema.Array(Alert))(alerts))
        const ranks = [...Severity.literals]
        const rows = yield* attempt("raise alerts", () =>
          sql.begin(async (tx) => {
            const fresh = await tx<Array<{ id: string }>>`
              insert into alerts (id, organization_id, scan_id, rule_id, document, at)
              select (d->>'id')::uuid, (d->>'organization_id')::uuid, (d->>'scan_id')::uuid, (d->>'rule_id')::uuid,
                d, (d->>'at')::timestamptz
              from jsonb_array_elements(${sql.json(encoded as never)}) as d
              on conflict (id) do nothing returning id`
            if (fresh.length === 0) return fresh
            // The outbox, in the same transaction: every channel of the organization that takes the alert.
            await tx`
              insert into alert_deliveries (alert_id, channel_id, organization_id, created_at)
              select a.id, c.id, a.organization_id, ${iso(at)}::timestamptz
              from alerts a join alert_channels c on c.organization_id = a.organization_id
              where a.id = any(${fresh.map((row) => row.id)}::uuid[])
                and coalesce((c.document->>'enabled')::boolean, true)
                and array_position(${ranks}::text[], a.document->>'severity') >=
                  array_position(${ranks}::text[], c.document->>'min_severity')
              on conflict do nothing`
            return fresh
          }))
        const fresh = new Set(rows.map((row) => row.id))
        return alerts.filter((alert) => fresh.has(alert.id))
      }),
    alerts: (query) =>
      Effect.gen(function*() {
        const cursor = query.cursor === undefined
          ? undefined
          : Option.getOrUndefined(decodeAlertCursor(query.cursor))
        if (query.cursor !== undefined && cursor === undefined) {
          return yield* new PersistenceError({ operation: "list alerts: invalid cursor", cause: query.cursor })
        }
        const rows = yield* attempt("list alerts", () =>
          sql<Array<{ document: unknown; position: string; id: string }>>`
            select document, to_json(at) #>> '{}' as position, id::text as id from alerts
            where organization_id = ${query.organization_id}
            ${cursor === undefined ? sql`` : sql`and (at, id) < (${cursor[0]}::timestamptz, ${cursor[1]}::uuid)`}
            order by at desc, id desc limit ${query.limit + 1}`)
        const items = yield* decode(Schema.Array(Alert), "list alerts")(documents(rows.slice(0, query.limit)))
        const last = rows[Math.min(rows.length, query.limit) - 1]
        return {
          items,
          next_cursor: rows.length > query.limit && last !== undefined
            ? encodeAlertCursor(last.position, last.id)
            : null
        }
      })
  })
})

export const layer = Layer.effect(AlertStore, make)
