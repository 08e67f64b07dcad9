/** Failures of the runtime's adapters and of ownership, shared by every store. */
import { Data, Effect } from "effect"

/** A store did not do what was asked; `cause` is the driver's error. */
export class PersistenceError extends Data.TaggedError("PersistenceError")<{
  readonly operation: string
  readonly cause: unknown
}> {
  override get message() {
    return `${this.operation} failed: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}

/** A store call as an effect: a rejection becomes a PersistenceError naming the operation. */
export const attempt = <A>(operation: string, run: () => PromiseLike<A>): Effect.Effect<A, PersistenceError> =>
  Effect.tryPromise({
    try: () => Promise.resolve(run()),
    catch: (cause) => new PersistenceError({ operation, cause })
  })

/** An append under an epoch the shard no longer has: this node lost the shard. */
export class StaleEpoch extends Data.TaggedError("StaleEpoch")<{
  readonly shard: number
  readonly epoch: number
}> {}

/** Someone else appended to the scan's log since the caller last read it. */
export class ConcurrencyConflict extends Data.TaggedError("ConcurrencyConflict")<{
  readonly scan_id: string
  readonly expected_seq: number
}> {}
