/** AlertFeed over Redis: one capped stream per organization, `<prefix>:{org-<id>}:alerts` (field `data`). */
import { Alert } from "@mirage/domain/Alerts"
import type { OrganizationId } from "@mirage/domain/Ids"
import { Chunk, Effect, Layer, Option, Schema, Stream } from "effect"
import { PersistenceError } from "../../../platform/Errors.js"
import { RedisClient } from "../../../platform/RedisClient.js"
import { AlertFeed } from "../AlertFeed.js"

export const maxLength = 10_000
const blockMs = 5000

const encode = Schema.encode(Schema.parseJson(Alert))
const decode = Schema.decodeUnknown(Schema.parseJson(Alert))

type Entries = ReadonlyArray<[id: string, fields: ReadonlyArray<string>]>

const alerts = (entries: Entries) =>
  Effect.forEach(entries, ([, fields]) => {
    const at = fields.indexOf("data")
    return decode(at < 0 ? undefined : fields[at + 1]).pipe(
      Effect.mapError((cause) => new PersistenceError({ operation: "decode alert", cause }))
    )
  })

export const make = Effect.gen(function*() {
  const redis = yield* RedisClient
  const keyOf = (id: OrganizationId) => redis.key(`org-${id}`, "alerts")
  return AlertFeed.of({
    publish: (alert) =>
      Effect.gen(function*() {
        const body = yield* Effect.mapError(encode(alert), (cause) =>
          new PersistenceError({ operation: "encode alert", cause }))
        yield* Effect.tryPromise({
          try: () =>
            redis.redis.xadd(keyOf(alert.organization_id), "MAXLEN", "~", maxLength, "*", "data", body),
          catch: (cause) => new PersistenceError({ operation: "publish alert", cause })
        })
      }),
    follow: (organizationId) =>
      Effect.gen(function*() {
        const key = keyOf(organizationId)
        const latest: Entries = yield* Effect.tryPromise({
          try: () => redis.redis.xrevrange(key, "+", "-", "COUNT", 1),
          catch: (cause) => new PersistenceError({ operation: "read alerts", cause })
        })
        const start = latest[0]?.[0] ?? "0"
        return Stream.unwrapScoped(Effect.map(
          Effect.acquireRelease(
            Effect.sync(() => redis.redis.duplicate()),
            (connection) => Effect.sync(() => connection.disconnect())
          ),
          (reader) =>
            Stream.paginateChunkEffect(start, (cursor) =>
              Effect.tryPromise({
                try: () => reader.xread("COUNT", 100, "BLOCK", blockMs, "STREAMS", key, cursor),
                catch: (cause) => new PersistenceError({ operation: "read alerts", cause })
              }).pipe(
                Effect.flatMap((answer) => {
                  const entries: Entries = answer?.[0]?.[1] ?? []
                  const next = entries.at(-1)?.[0] ?? cursor
                  return Effect.map(alerts(entries), (decoded) =>
                    [Chunk.fromIterable(decoded), Option.some(next)] as const)
                })
              ))
        ))
      })
  })
})

export const layer = Layer.effect(AlertFeed, make)
