/** Running an effect over many items with a few fibers. */
import { Effect } from "effect"

/**
 * `run` over every item, at most `workers` at a time, results in item order. Each worker takes the
 * next item when it is done with one, so there are `workers` fibers however many items there are:
 * `Effect.forEach` with `concurrency` forks a fiber per item, which on tens of thousands of items is
 * much of what the work allocates (and so of the collector's pauses).
 */
export const forEachByWorkers = <A, B, E, R>(
  items: ReadonlyArray<A>,
  workers: number,
  run: (item: A) => Effect.Effect<B, E, R>
): Effect.Effect<ReadonlyArray<B>, E, R> =>
  Effect.suspend(() => {
    const results: Array<B> = []
    let next = 0
    const worker = Effect.whileLoop({
      while: () => next < items.length,
      body: () => {
        const index = next++
        return Effect.map(run(items[index]!), (result) => {
          results[index] = result
        })
      },
      step: () => {}
    })
    const count = Math.max(1, Math.min(workers, items.length))
    return Effect.as(
      Effect.all(Array.from({ length: count }, () => worker), { concurrency: "unbounded", discard: true }),
      results
    )
  })
