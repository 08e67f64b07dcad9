/** The channel half of the Postgres AlertStore: channels (targets sealed) and where their deliveries stand. */
import { AlertChannelId, DeliveryFailure, DeliveryStats } from "@mirage/domain/AlertChannels"
import { DateTime, Effect, Option } from "effect"
import { attempt } from "../../../platform/Errors.js"
import type { Sql } from "../../../platform/PgClient.js"
import { documents } from "../../../platform/Rows.js"
import type { AlertStoreService } from "../AlertStore.js"
import type { ChannelCipherService } from "../ChannelSecrets.js"
import { channelFrom, documentOf, infoFrom } from "./StoredChannel.js"

type ChannelMethods = Pick<
  AlertStoreService,
  "channels" | "channel" | "openChannel" | "putChannel" | "patchChannel" | "deleteChannel" | "deliveryStats"
>

interface DeliveryStatsRow {
  readonly channel_id: string
  readonly pending: number
  readonly sent: number
  readonly failed: number
  readonly last_failure: {
    readonly alert_id: string
    readonly at: string
    readonly attempts: number
    readonly reason: string | null
  } | null
}

export const makeChannels = (sql: Sql, cipher: ChannelCipherService): ChannelMethods => {
  const channelDocument = (organizationId: string, id: string) =>
    attempt("read alert channel", () =>
      sql<Array<{ document: unknown }>>`
        select document from alert_channels where organization_id = ${organizationId} and id = ${id}`).pipe(
        Effect.map((rows) => Option.fromNullable(rows[0]?.document))
      )

  return {
    channels: (organizationId) =>
      attempt("read alert channels", () =>
        sql<Array<{ document: unknown }>>`
          select document from alert_channels where organization_id = ${organizationId} order by created_at, id`).pipe(
          Effect.flatMap((rows) => Effect.forEach(documents(rows), infoFrom))
        ),
    channel: (organizationId, id) =>
      Effect.flatMap(
        channelDocument(organizationId, id),
        Option.match({ onNone: () => Effect.succeedNone, onSome: (document) => Effect.asSome(infoFrom(document)) })
      ),
    openChannel: (organizationId, id) =>
      Effect.flatMap(
        channelDocument(organizationId, id),
        Option.match({
          onNone: () => Effect.succeedNone,
          onSome: (document) => Effect.asSome(channelFrom(document, cipher))
        })
      ),
    putChannel: (channel) =>
      Effect.flatMap(
        documentOf(channel, cipher),
        (document) =>
          attempt("store alert channel", () =>
            sql`insert into alert_channels (id, organization_id, document)
              values (${channel.id}, ${channel.organization_id}, ${sql.json(document as never)})
              on conflict (id) do update set document = excluded.document`).pipe(Effect.asVoid)
      ),
    patchChannel: (organizationId, id, changes) =>
      Effect.gen(function*() {
        const set = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined))
        const rows = yield* attempt("change alert channel", () =>
          sql<Array<{ document: unknown }>>`
            update alert_channels set document = document || ${sql.json(set as never)}
            where organization_id = ${organizationId} and id = ${id} returning document`)
        return rows[0] === undefined ? Option.none() : Option.some(yield* infoFrom(rows[0].document))
      }),
    deleteChannel: (organizationId, id) =>
      attempt("delete alert channel", () =>
        sql.begin(async (tx) => {
          await tx`delete from alert_deliveries
                    where organization_id = ${organizationId} and channel_id = ${id} and status = 'pending'`
          return tx`delete from alert_channels where organization_id = ${organizationId} and id = ${id} returning id`
        })).pipe(Effect.map((rows) => rows.length > 0)),
    deliveryStats: (organizationId, ids) =>
      ids.length === 0 ? Effect.succeed(new Map()) : Effect.map(
        // One statement: the counts per status, and the latest given-up delivery (the partial index's first row).
        attempt("read alert deliveries", () =>
          sql<Array<DeliveryStatsRow>>`
            select d.channel_id::text as channel_id,
              count(*) filter (where d.status = 'pending')::int as pending,
              count(*) filter (where d.status = 'sent')::int as sent,
              count(*) filter (where d.status = 'failed')::int as failed,
              (select json_build_object('alert_id', f.alert_id, 'at', f.done_at, 'attempts', f.attempts,
                  'reason', f.last_error)
                from alert_deliveries f
                where f.organization_id = d.organization_id and f.channel_id = d.channel_id and f.status = 'failed'
                order by f.done_at desc limit 1) as last_failure
            from alert_deliveries d
            where d.organization_id = ${organizationId} and d.channel_id = any(${ids}::uuid[])
            group by d.organization_id, d.channel_id`),
        (rows) =>
          new Map(rows.map((row) => [
            AlertChannelId.make(row.channel_id),
            DeliveryStats.make({
              pending: row.pending,
              sent: row.sent,
              failed: row.failed,
              last_failure: row.last_failure === null ? null : DeliveryFailure.make({
                alert_id: row.last_failure.alert_id,
                at: DateTime.unsafeMake(row.last_failure.at),
                attempts: row.last_failure.attempts,
                reason: row.last_failure.reason ?? "unknown"
              })
            })
          ]))
      )
  }
}
