/** The request cache in Redis: one string per entry (JSON of the answer) with PX as its TTL. */
import { Effect, Layer, Option, Schema } from "effect"
import { attempt, PersistenceError } from "../../platform/Errors.js"
import { RedisClient } from "../../platform/RedisClient.js"
import { CachedResponse, make, RequestCache } from "../RequestCache.js"

const Stored = Schema.parseJson(CachedResponse)
const decode = Schema.decodeUnknown(Stored)
const encode = Schema.encode(Stored)

export const layer = Layer.effect(
  RequestCache,
  Effect.gen(function*() {
    const { key, redis } = yield* RedisClient
    // One hash tag per entry: entries spread over the cluster's slots.
    const entry = (source: string, digest: string) => key(`cache:${source}:${digest}`)
    return yield* make({
      read: (source, digest) =>
        attempt("RequestCache.read", () => redis.get(entry(source, digest))).pipe(
          Effect.flatMap((text) =>
            text === null
              ? Effect.succeedNone
              : decode(text).pipe(
                Effect.map(Option.some),
                // An entry we cannot read is a miss; the next store overwrites it.
                Effect.orElseSucceed(() => Option.none())
              )
          )
        ),
      write: (source, digest, response, ttlMs) =>
        encode(response).pipe(
          Effect.mapError((cause) => new PersistenceError({ operation: "RequestCache.write: encode", cause })),
          Effect.flatMap((text) =>
            attempt("RequestCache.write", () =>
              redis.set(entry(source, digest), text, "PX", Math.max(1, Math.ceil(ttlMs))))
          ),
          Effect.asVoid
        )
    })
  })
)
