/**
 * Replies over Redis pub/sub: each process subscribes, on a connection of its own, to one channel
 * `<prefix>:reply:<random id>`; a node publishes a command's outcome on the channel named in its envelope.
 */
import { Effect, Either, Layer, Schema } from "effect"
import { PersistenceError } from "../../platform/Errors.js"
import { RedisClient } from "../../platform/RedisClient.js"
import { channelId, makeWaiters, ReplyJson } from "../internal/replyWaiters.js"
import { Replies } from "../Replies.js"

const decodeReply = Schema.decodeUnknownEither(ReplyJson)
const encodeReply = Schema.encode(ReplyJson)

export const make = Effect.gen(function*() {
  const client = yield* RedisClient
  const channel = `${client.prefix}:reply:${yield* channelId}`
  const waiters = makeWaiters()
  // A subscribed connection can do nothing else, hence one of its own.
  const subscriber = yield* client.duplicate
  const onMessage = (from: string, message: string) => {
    if (from !== channel) return
    Either.map(decodeReply(message), waiters.deliver)
  }
  yield* Effect.acquireRelease(
    Effect.sync(() => subscriber.on("message", onMessage)),
    () => Effect.sync(() => subscriber.off("message", onMessage))
  )
  yield* Effect.tryPromise({
    try: () => subscriber.subscribe(channel),
    catch: (cause) => new PersistenceError({ operation: "Replies: subscribe", cause })
  })
  return Replies.of({
    channel,
    ask: waiters.ask,
    publish: (to, reply) =>
      encodeReply(reply).pipe(
        Effect.mapError((cause) => new PersistenceError({ operation: "Replies.publish: encode", cause })),
        Effect.flatMap((text) =>
          Effect.tryPromise({
            try: () => client.redis.publish(to, text),
            catch: (cause) => new PersistenceError({ operation: "Replies.publish", cause })
          })
        ),
        Effect.asVoid
      )
  })
})

/** Replies on the Redis of `RedisClient`; the subscription lives as long as the layer. */
export const layer = Layer.scoped(Replies, make)
