/**
 * Retries that cost nothing until they are needed. `Effect.retry` builds its schedule's driver, and puts the
 * schedule's iteration into the context of every attempt, the first included: a copy of the fiber's services and two
 * of its fiber refs, about 5 µs, where a scan's actor persists every batch through two retries. Here the first attempt
 * runs alone, and only its failure starts the schedule, which then drives the attempts that follow as `Effect.retry`
 * does: the same delays, the same number of attempts, the last error when the schedule ends.
 */
import { Effect, Schedule } from "effect"

export const afterFailure = <E, Out, R2>(
  schedule: Schedule.Schedule<Out, NoInfer<E>, R2>,
  options?: {
    /** Which failures are retried (all by default); another one fails at once. */
    readonly while?: (error: E) => boolean
  }
) =>
<A, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | R2> => {
  const retryable = options?.while ?? (() => true)
  return Effect.catchAll(self, (first) =>
    retryable(first)
      ? Effect.flatMap(Schedule.driver(schedule), (driver) => {
        // `next` waits for the schedule's delay, and fails once the schedule is done.
        const again = (error: E): Effect.Effect<A, E, R | R2> =>
          Effect.matchEffect(driver.next(error), {
            onFailure: () => Effect.fail(error),
            onSuccess: () => Effect.catchAll(self, (next) => retryable(next) ? again(next) : Effect.fail(next))
          })
        return again(first)
      })
      : Effect.fail(first))
}
