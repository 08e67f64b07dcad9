/**
 * Requests from many fibers answered in batches (group commit): each of `workers` fibers takes what has queued while
 * the previous batch ran, at least one request and up to `limit` by `weight`, and hands it to `run`, which answers
 * every request of the batch. A batch that `run` fails or dies on is answered with that cause, and the worker goes on.
 * The journal's appends, the result writer's inserts and the event store's loads go out this way.
 */
import { Deferred, Effect, Queue } from "effect"
import type { Scope } from "effect"

/** A request waiting for its batch, and where its answer goes. */
export interface Waiting<A, R, E> {
  readonly input: A
  readonly done: Deferred.Deferred<R, E>
}

export const make = <A, R, E>(options: {
  readonly workers: number
  /** How much a batch takes at most, counted by `weight` (1 a request when not given). */
  readonly limit: number
  readonly weight?: (input: A) => number
  /** Answers every request of the batch; a failure of the whole batch answers every request with it. */
  readonly run: (batch: ReadonlyArray<Waiting<A, R, E>>) => Effect.Effect<void, E>
}): Effect.Effect<(input: A) => Effect.Effect<R, E>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const queue = yield* Queue.unbounded<Waiting<A, R, E>>()
    const { limit, weight } = options
    const take: Effect.Effect<Array<Waiting<A, R, E>>> = weight === undefined
      ? Effect.flatMap(Queue.take(queue), (first) =>
        Effect.map(Queue.takeUpTo(queue, limit - 1), (rest) => [first, ...rest]))
      : Effect.gen(function*() {
        const batch = [yield* Queue.take(queue)]
        let size = weight(batch[0]!.input)
        while (size < limit) {
          const next = yield* Queue.poll(queue)
          if (next._tag === "None") {
            break
          }
          batch.push(next.value)
          size += weight(next.value.input)
        }
        return batch
      })
    const worker = Effect.forever(
      Effect.flatMap(take, (batch) =>
        options.run(batch).pipe(
          Effect.catchAllCause((cause) =>
            Effect.forEach(batch, (waiting) =>
              Deferred.failCause(waiting.done, cause), { discard: true })
          )
        ))
    )
    for (let i = 0; i < options.workers; i++) yield* Effect.forkScoped(worker)
    return (input: A) =>
      Effect.flatMap(
        Deferred.make<R, E>(),
        (done) => Queue.offer(queue, { input, done }).pipe(Effect.zipRight(Deferred.await(done)))
      )
  })
