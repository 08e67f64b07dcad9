/**
 * A feed of schema-encoded values over one Redis stream per topic (field `data`, the value's JSON), capped at about
 * `maxLength` entries and, when `ttlSeconds` is given, expiring that long after its last entry. Followers read with
 * blocking XREAD on a connection of their own, from the position taken when they started.
 */
import { Chunk, Effect, Option, Schema, Stream } from "effect"
import type { Redis } from "ioredis"
import { PersistenceError } from "./Errors.js"

/** How long one XREAD waits before asking again. */
const blockMs = 5000

type Entries = ReadonlyArray<[id: string, fields: ReadonlyArray<string>]>

export interface RedisStreamFeed<A> {
  readonly publish: (key: string, value: A) => Effect.Effect<void, PersistenceError>
  /** The latest entry (if any, decoded when asked) and a stream of every entry published after it. */
  readonly follow: (
    key: string
  ) => Effect.Effect<
    {
      readonly latest: Effect.Effect<ReadonlyArray<A>, PersistenceError>
      readonly after: Stream.Stream<A, PersistenceError>
    },
    PersistenceError
  >
}

export const make = <A, I>(
  redis: Redis,
  schema: Schema.Schema<A, I>,
  options: { readonly what: string; readonly maxLength: number; readonly ttlSeconds?: number }
): RedisStreamFeed<A> => {
  const json = Schema.parseJson(schema)
  const encode = Schema.encode(json)
  const decode = Schema.decodeUnknown(json)
  const values = (entries: Entries) =>
    Effect.forEach(entries, ([, fields]) => {
      const at = fields.indexOf("data")
      return decode(at < 0 ? undefined : fields[at + 1]).pipe(
        Effect.mapError((cause) => new PersistenceError({ operation: `decode ${options.what}`, cause }))
      )
    })
  const read = <B>(run: () => Promise<B>) =>
    Effect.tryPromise({
      try: run,
      catch: (cause) => new PersistenceError({ operation: `read ${options.what}`, cause })
    })

  return {
    publish: (key, value) =>
      Effect.gen(function*() {
        const body = yield* Effect.mapError(encode(value), (cause) =>
          new PersistenceError({ operation: `encode ${options.what}`, cause }))
        const add = redis.multi().xadd(key, "MAXLEN", "~", options.maxLength, "*", "data", body)
        yield* Effect.tryPromise({
          try: () =>
            (options.ttlSeconds === undefined ? add : add.expire(key, options.ttlSeconds)).exec(),
          catch: (cause) => new PersistenceError({ operation: `publish ${options.what}`, cause })
        })
      }),
    follow: (key) =>
      Effect.gen(function*() {
        // The position is taken now: whatever is published from here on is in the stream.
        const latest: Entries = yield* read(() => redis.xrevrange(key, "+", "-", "COUNT", 1))
        // With no entry yet, from the beginning: nothing published after this point is missed.
        const start = latest[0]?.[0] ?? "0"
        const after = Stream.unwrapScoped(Effect.map(
          // Blocking reads need their own connection; dropped (not QUIT) so a pending XREAD ends at once.
          Effect.acquireRelease(
            Effect.sync(() => redis.duplicate()),
            (connection) => Effect.sync(() => connection.disconnect())
          ),
          (reader) =>
            Stream.paginateChunkEffect(start, (cursor) =>
              read(() =>
                reader.xread("COUNT", 100, "BLOCK", blockMs, "STREAMS", key, cursor)
              ).pipe(
                Effect.flatMap((answer) => {
                  const entries: Entries = answer?.[0]?.[1] ?? []
                  const next = entries.at(-1)?.[0] ?? cursor
                  return Effect.map(values(entries), (decoded) =>
                    [Chunk.fromIterable(decoded), Option.some(next)] as const)
                })
              ))
        ))
        return { latest: values(latest), after }
      })
  }
}
