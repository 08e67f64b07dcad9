/**
 * The shard inboxes: one Redis stream per shard with one consumer group, carrying command
 * envelopes to whichever node owns the shard. Delivery is at least once: entries stay pending
 * until acknowledged, and a new owner claims the pending entries of the old one.
 */
import { ScanCommand } from "@mirage/domain/ScanEvent"
import { Context, Schema } from "effect"
import type { Effect } from "effect"
import type { PersistenceError } from "../platform/Errors.js"

/** One command on its way to an actor, with where to answer and the trace it belongs to. */
export const Envelope = Schema.Struct({
  /** The actor: a scan id, or a standalone job's task id. */
  target: Schema.String,
  command_id: Schema.String,
  command: ScanCommand,
  /** Redis channel on which the sender waits for the outcome, if it waits. */
  reply_to: Schema.NullOr(Schema.String),
  /** W3C trace context of the sender's span. */
  traceparent: Schema.NullOr(Schema.String),
  sent_at: Schema.Number
})
export type Envelope = typeof Envelope.Type

/** An inbox entry moved to its shard's dead letters: the entry as sent, why, and after how many deliveries. */
export interface DeadLetter {
  readonly shard: number
  /** The entry's id in the shard's inbox. */
  readonly id: string
  readonly raw: string
  readonly reason: string
  readonly deliveries: number
  /** When it was moved, in ms since the epoch. */
  readonly at: number
}

export interface Delivery {
  readonly shard: number
  /** The stream entry id, used to acknowledge. */
  readonly id: string
  /** How many times the entry was delivered (1 on the first). */
  readonly deliveries: number
  /** Undefined when the entry could not be decoded: it goes to the dead letters. */
  readonly envelope: Envelope | undefined
  readonly raw: string
}

export interface ShardInboxService {
  readonly shards: number
  /** Appends the envelope to its target's shard stream. */
  readonly send: (envelope: Envelope) => Effect.Effect<string, PersistenceError>
  /** New entries of the given shards for this consumer, waiting at most `blockMs` when there are none. */
  readonly read: (
    consumer: string,
    shards: ReadonlyArray<number>,
    options: { readonly count: number; readonly blockMs: number }
  ) => Effect.Effect<ReadonlyArray<Delivery>, PersistenceError>
  /** Entries of the shard delivered to others and unacknowledged for `minIdleMs`: taken over by `consumer`. */
  readonly claim: (
    shard: number,
    consumer: string,
    minIdleMs: number
  ) => Effect.Effect<ReadonlyArray<Delivery>, PersistenceError>
  /**
   * Entries of the shard pending on any consumer but `consumer`, taken over by it whatever their idle time. Only a
   * shard's owner should hold its entries: one pending elsewhere was read by a node that no longer owns the shard
   * (a blocking read issued just before a handoff takes entries sent just after it) and would otherwise wait
   * `claim`'s idle time.
   */
  readonly claimOrphans: (shard: number, consumer: string) => Effect.Effect<ReadonlyArray<Delivery>, PersistenceError>
  readonly ack: (shard: number, ids: ReadonlyArray<string>) => Effect.Effect<void, PersistenceError>
  /** Moves an entry that keeps failing to the dead-letter stream, and acknowledges it. */
  readonly deadLetter: (delivery: Delivery, reason: string) => Effect.Effect<void, PersistenceError>
  /** The shard's dead letters, newest first, at most `limit`: what operators look at when commands keep failing. */
  readonly deadLetters: (shard: number, limit: number) => Effect.Effect<ReadonlyArray<DeadLetter>, PersistenceError>
  /** Entries in the shard's stream not yet acknowledged, and the group's lag. */
  readonly pending: (
    shard: number
  ) => Effect.Effect<{ readonly pending: number; readonly lag: number }, PersistenceError>
}

export class ShardInbox extends Context.Tag("@mirage/runtime/ShardInbox")<ShardInbox, ShardInboxService>() {}
