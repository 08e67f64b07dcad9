/** The channel half of the Postgres AlertStore: channels (targets sealed) and where their deliveries stand. */
import { AlertChannelId, DeliveryFailure, DeliveryStats } from "@mirage/domain/AlertChannels"
import { DateTime, Effect, Option } from "effect"
import { attempt } from "../../../platform/Errors.js"
import type { Sql } from "../../../platform/PgClient.js"
import type { AlertStoreService } from "../AlertStore.js"
import type { ChannelCipherService } from "../ChannelSecrets.js"
import { channelFrom, documentOf, infoFrom } from "./StoredChannel.js"

type ChannelMethods = Pick<
  AlertStoreService,
  "channels" | "channel" | "openChannel" | "putChannel" | "patchChannel" | "deleteChannel" | "deliveryStats"
>

export const makeChannels = (sql: Sql, cipher: ChannelCipherService): ChannelMethods => {
  const documents = (rows: ReadonlyArray<{ readonly document: unknown }>) => rows.map((row) => row.document)
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
    deliveryStats: (organizationId) =>
      Effect.gen(function*() {
        const counts = yield* attempt("read alert deliveries", () =>
          sql<Array<{ channel_id: string; status: "pending" | "sent" | "failed"; count: number }>>`
            select channel_id::text as channel_id, status, count(*)::int as count from alert_deliveries
            where organization_id = ${organizationId} group by channel_id, status`)
        const failures = yield* attempt("read alert deliveries", () =>
          sql<Array<{ channel_id: string; alert_id: string; at: string; attempts: number; reason: string | null }>>`
            select distinct on (channel_id) channel_id::text as channel_id, alert_id::text as alert_id,
              to_json(done_at) #>> '{}' as at, attempts, last_error as reason
            from alert_deliveries where organization_id = ${organizationId} and status = 'failed'
            order by channel_id, done_at desc`)
        const stats = new Map<AlertChannelId, Record<"pending" | "sent" | "failed", number>>()
        for (const row of counts) {
          const id = AlertChannelId.make(row.channel_id)
          const counted = stats.get(id) ?? { pending: 0, sent: 0, failed: 0 }
          counted[row.status] = row.count
          stats.set(id, counted)
        }
        const last = new Map(failures.map((row) => [row.channel_id, row]))
        return new Map(
          [...stats].map(([id, counted]) => {
            const failure = last.get(id)
            return [
              id,
              DeliveryStats.make({
                pending: counted.pending,
                sent: counted.sent,
                failed: counted.failed,
                last_failure: failure === undefined ? null : DeliveryFailure.make({
                  alert_id: failure.alert_id,
                  at: DateTime.unsafeMake(failure.at),
                  attempts: failure.attempts,
                  reason: failure.reason ?? "unknown"
                })
              })
            ] as const
          })
        )
      })
  }
}
