/** forEachByWorkers: every item, in order, never more than the workers at a time. */
import { describe, expect, it } from "@effect/vitest"
import { forEachByWorkers } from "@mirage/modules/internal/Workers"
import { Effect } from "effect"

describe("forEachByWorkers", () => {
  it.effect("runs every item, at most `workers` at once, results in item order", () =>
    Effect.gen(function*() {
      let running = 0
      let most = 0
      const results = yield* forEachByWorkers(Array.from({ length: 100 }, (_, i) => i), 3, (i) =>
        Effect.gen(function*() {
          running++
          most = Math.max(most, running)
          // Later items finish sooner: the order of results must not follow the order of completion.
          for (let turn = 0; turn < (100 - i) % 7; turn++) yield* Effect.yieldNow()
          running--
          return i * 2
        }))
      expect(results).toEqual(Array.from({ length: 100 }, (_, i) => i * 2))
      expect(most).toBe(3)
    }))

  it.effect("no items is no results; a failing item fails the whole", () =>
    Effect.gen(function*() {
      expect(yield* forEachByWorkers([], 4, Effect.succeed)).toEqual([])
      const error = yield* Effect.flip(
        forEachByWorkers([1, 2, 3], 2, (i) => (i === 2 ? Effect.fail("two") : Effect.succeed(i)))
      )
      expect(error).toBe("two")
    }))
})
