/**
 * ProgressFeed over Redis: one stream per scan, `<prefix>:{scan-<id>}:events` (field `data`, the
 * event's JSON), capped and expiring; followers read it with blocking XREAD on their own connection.
 */
import type { ScanId } from "@mirage/domain/Ids"
import { ScanProgressEvent } from "@mirage/domain/ScanProgress"
import { Chunk, Effect, Layer, Option, Schema, Stream } from "effect"
import { PersistenceError } from "../../platform/Errors.js"
import { RedisClient } from "../../platform/RedisClient.js"
import { ProgressFeed } from "../ProgressFeed.js"

/** Entries kept per scan (approximately): followers start from the latest one. */
export const maxLength = 1000
/** A scan's stream expires this long after its last event. */
export const ttlSeconds = 24 * 60 * 60
/** How long one XREAD waits before asking again. */
const blockMs = 5000

const encode = Schema.encode(Schema.parseJson(ScanProgressEvent))
const decode = Schema.decodeUnknown(Schema.parseJson(ScanProgressEvent))

type Entries = ReadonlyArray<[id: string, fields: ReadonlyArray<string>]>

const events = (entries: Entries) =>
  Effect.forEach(entries, ([, fields]) => {
    const at = fields.indexOf("data")
    return decode(at < 0 ? undefined : fields[at + 1]).pipe(
      Effect.mapError((cause) => new PersistenceError({ operation: "decode progress event", cause }))
    )
  })

export const make = Effect.gen(function*() {
  const redis = yield* RedisClient
  const keyOf = (id: ScanId) => redis.key(`scan-${id}`, "events")
  return ProgressFeed.of({
    publish: (event) =>
      Effect.gen(function*() {
        const body = yield* Effect.mapError(encode(event), (cause) =>
          new PersistenceError({ operation: "encode progress event", cause }))
        const key = keyOf(event.scan_id)
        yield* Effect.tryPromise({
          try: () =>
            redis.redis.multi().xadd(key, "MAXLEN", "~", maxLength, "*", "data", body).expire(key, ttlSeconds).exec(),
          catch: (cause) =>
            new PersistenceError({ operation: "publish progress event", cause })
        })
      }),
    follow: (id) =>
      Effect.gen(function*() {
        const key = keyOf(id)
        // The position is taken now: whatever is published from here on is in the stream.
        const latest: Entries = yield* Effect.tryPromise({
          try: () => redis.redis.xrevrange(key, "+", "-", "COUNT", 1),
          catch: (cause) => new PersistenceError({ operation: "read progress events", cause })
        })
        const first = yield* events(latest)
        // With no entry yet, from the beginning: nothing published after this point is missed.
        const start = latest[0]?.[0] ?? "0"
        const tail = Stream.unwrapScoped(Effect.map(
          // Blocking reads need their own connection; dropped (not QUIT) so a pending XREAD ends at once.
          Effect.acquireRelease(
            Effect.sync(() => redis.redis.duplicate()),
            (connection) => Effect.sync(() => connection.disconnect())
          ),
          (reader) =>
            Stream.paginateChunkEffect(start, (cursor) =>
              Effect.tryPromise({
                try: () => reader.xread("COUNT", 100, "BLOCK", blockMs, "STREAMS", key, cursor),
                catch: (cause) => new PersistenceError({ operation: "read progress events", cause })
              }).pipe(
                Effect.flatMap((answer) => {
                  const entries: Entries = answer?.[0]?.[1] ?? []
                  const next = entries.at(-1)?.[0] ?? cursor
                  return Effect.map(
                    events(entries),
                    (decoded) => [Chunk.fromIterable(decoded), Option.some(next)] as const
                  )
                })
              ))
        ))
        return Stream.concat(Stream.fromIterable(first), tail)
      })
  })
})

export const layer = Layer.effect(ProgressFeed, make)
