/** The callers waiting for replies in one process, by command id: shared by the Redis and in-memory Replies. */
import { Deferred, Effect, Exit, Random, Schema } from "effect"
import type { Option } from "effect"
import { Reply } from "../Replies.js"
import type { RepliesService } from "../Replies.js"

export const ReplyJson = Schema.parseJson(Reply)

export interface ReplyWaiters {
  /** Hands a reply to whoever waits for its command (nobody, when the caller gave up). */
  readonly deliver: (reply: Reply) => void
  readonly ask: RepliesService["ask"]
}

export const makeWaiters = (): ReplyWaiters => {
  const waiting = new Map<string, Set<Deferred.Deferred<Reply>>>()
  const forget = (commandId: string, deferred: Deferred.Deferred<Reply>) => {
    const set = waiting.get(commandId)
    set?.delete(deferred)
    if (set?.size === 0) waiting.delete(commandId)
  }
  return {
    deliver: (reply) => {
      for (const deferred of waiting.get(reply.command_id) ?? []) Deferred.unsafeDone(deferred, Exit.succeed(reply))
    },
    ask: <E, R>(commandId: string, send: Effect.Effect<unknown, E, R>, timeoutMs: number) =>
      Effect.acquireUseRelease(
        Effect.tap(Deferred.make<Reply>(), (deferred) =>
          Effect.sync(() => {
            const set = waiting.get(commandId) ?? new Set()
            set.add(deferred)
            waiting.set(commandId, set)
          })),
        (deferred): Effect.Effect<Option.Option<Reply>, E, R> =>
          Effect.zipRight(send, Effect.timeoutOption(Deferred.await(deferred), Math.max(0, timeoutMs))),
        (deferred) => Effect.sync(() => forget(commandId, deferred))
      )
  }
}

/** A process's reply channel id: 16 hex digits from Effect's Random (reproducible in a seeded simulation). */
export const channelId: Effect.Effect<string> = Effect.map(
  Effect.all([
    Random.nextIntBetween(0, 0x10000),
    Random.nextIntBetween(0, 0x10000),
    Random.nextIntBetween(0, 0x10000),
    Random.nextIntBetween(0, 0x10000)
  ]),
  (parts) => parts.map((part) => part.toString(16).padStart(4, "0")).join("")
)
