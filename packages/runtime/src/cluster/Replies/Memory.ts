/**
 * Replies in memory, the twin of Replies/Redis: a hub stands for Redis pub/sub, so the "processes" of one simulation
 * (each with its own layer on the same hub) answer each other.
 */
import { Effect, Either, Layer, Schema } from "effect"
import { PersistenceError } from "../../platform/Errors.js"
import { channelId, makeWaiters, ReplyJson } from "../internal/replyWaiters.js"
import type { Reply } from "../Replies.js"
import { Replies } from "../Replies.js"

/** The channels of a simulation's processes. */
export interface RepliesHub {
  readonly channels: Map<string, (reply: Reply) => void>
  /** While true every publish fails, as when Redis is unreachable. */
  outage: boolean
}

export const makeMemoryHub = (): RepliesHub => ({ channels: new Map(), outage: false })

// Replies cross the hub as JSON, as they cross Redis: what does not encode fails here too.
const roundTrip = (reply: Reply) =>
  Either.flatMap(Schema.encodeEither(ReplyJson)(reply), Schema.decodeUnknownEither(ReplyJson))

export const make = (hub: RepliesHub) =>
  Effect.gen(function*() {
    const channel = `memory:reply:${yield* channelId}`
    const waiters = makeWaiters()
    yield* Effect.acquireRelease(
      Effect.sync(() => hub.channels.set(channel, waiters.deliver)),
      () => Effect.sync(() => hub.channels.delete(channel))
    )
    return Replies.of({
      channel,
      ask: waiters.ask,
      publish: (to, reply) =>
        Effect.suspend(() => {
          if (hub.outage) {
            return Effect.fail(new PersistenceError({ operation: "Replies.publish", cause: "hub unavailable" }))
          }
          return Either.match(roundTrip(reply), {
            onLeft: (cause) => Effect.fail(new PersistenceError({ operation: "Replies.publish: encode", cause })),
            // Like PUBLISH to a channel nobody listens on, a reply to an unknown channel is lost.
            onRight: (decoded) => Effect.sync(() => hub.channels.get(to)?.(decoded))
          })
        })
    })
  })

/** This process's replies on the simulation's hub. */
export const layer = (hub: RepliesHub) => Layer.scoped(Replies, make(hub))
