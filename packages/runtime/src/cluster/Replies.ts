/**
 * The answers to commands: a node publishes each command's outcome on the sender's channel,
 * so the gateway can answer a request synchronously (200 or 409) instead of "accepted, maybe".
 */
import { Context, Schema } from "effect"
import type { Effect, Option } from "effect"
import type { PersistenceError } from "../platform/Errors.js"

export const Reply = Schema.Struct({
  command_id: Schema.String,
  outcome: Schema.Literal("accepted", "rejected"),
  /** Tag and message of the rejection, e.g. IllegalTransition with the scan's status. */
  rejection: Schema.NullOr(
    Schema.Struct({ tag: Schema.String, message: Schema.String, status: Schema.NullOr(Schema.String) })
  )
})
export type Reply = typeof Reply.Type

export interface RepliesService {
  /** This process's reply channel, to put in envelopes. */
  readonly channel: string
  /**
   * Runs `send` (which puts a command carrying `channel` as reply_to on its way) and waits at most
   * `timeoutMs` for the command's reply; interest is registered first, so a fast reply is not missed.
   */
  readonly ask: <E, R>(
    commandId: string,
    send: Effect.Effect<unknown, E, R>,
    timeoutMs: number
  ) => Effect.Effect<Option.Option<Reply>, E, R>
  readonly publish: (channel: string, reply: Reply) => Effect.Effect<void, PersistenceError>
}

export class Replies extends Context.Tag("@mirage/runtime/Replies")<Replies, RepliesService>() {}
