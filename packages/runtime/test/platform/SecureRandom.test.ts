/** The CSPRNG-backed Random: Effect's Random contract (ranges, shuffles), fed by the system rather than a seed. */
import { describe, expect, it } from "@effect/vitest"
import { randomUuid } from "@mirage/domain/Ids"
import { provide, random } from "@mirage/runtime/platform/SecureRandom"
import { Chunk, Effect, Fiber, Random } from "effect"

describe("SecureRandom", () => {
  it.effect("keeps every draw in its range", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 2000; i++) {
        const unit = yield* random.next
        expect(unit).toBeGreaterThanOrEqual(0)
        expect(unit).toBeLessThan(1)
        const int = yield* random.nextIntBetween(-3, 4)
        expect(Number.isInteger(int) && int >= -3 && int < 4).toBe(true)
        const ranged = yield* random.nextRange(10, 12)
        expect(ranged >= 10 && ranged < 12).toBe(true)
        const big = yield* random.nextInt
        expect(Number.isSafeInteger(big) && big >= 0).toBe(true)
      }
    }))

  it.effect("reaches every value of a small range", () =>
    Effect.gen(function*() {
      const seen = new Set<number>()
      for (let i = 0; i < 1000; i++) seen.add(yield* random.nextIntBetween(0, 8))
      expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    }))

  it.effect("shuffles into a permutation", () =>
    Effect.gen(function*() {
      const items = Array.from({ length: 50 }, (_, i) => i)
      const shuffled = Chunk.toReadonlyArray(yield* random.shuffle(items))
      expect([...shuffled].sort((a, b) => a - b)).toEqual(items)
      expect(shuffled).not.toEqual(items)
    }))

  it.effect("is the Random of what it runs, forked fibers included", () =>
    Effect.gen(function*() {
      const drawInFork = Effect.flatMap(Effect.fork(Random.next), Fiber.join)
      expect(yield* Effect.withRandom(drawInFork, Random.fixed([0.5]))).toBe(0.5)
      const draws = yield* Effect.all(Array.from({ length: 5 }, () => provide(drawInFork))).pipe(
        Effect.withRandom(Random.fixed([0.5]))
      )
      expect(new Set(draws).size).toBe(5)
      expect(draws).not.toContain(0.5)
    }))

  it.effect("draws UUIDs that two processes with the same default seed would not share", () =>
    Effect.gen(function*() {
      // Two processes whose default Random happened to get the same seed.
      const process = <A>(run: Effect.Effect<A>) => Effect.withRandom(run, Random.make(1))
      expect(yield* process(randomUuid)).toBe(yield* process(randomUuid))
      expect(yield* process(provide(randomUuid))).not.toBe(yield* process(provide(randomUuid)))
    }))
})
