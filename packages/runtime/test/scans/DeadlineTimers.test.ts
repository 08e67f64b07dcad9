import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { makeDeadlineTimers } from "../../src/scans/DeadlineTimers.js"

describe("DeadlineTimers", () => {
  it.scoped("fires each owner's latest deadline once, in time order, on the Clock", () =>
    Effect.gen(function*() {
      const timers = yield* makeDeadlineTimers
      const fired: Array<string> = []
      const owners = Array.from({ length: 200 }, (_, i) => ({ i }))
      // Set in a scrambled order; every third is moved later, every fifth cleared.
      for (let k = 0; k < owners.length; k++) {
        const i = (k * 7) % owners.length
        timers.set(owners[i]!, 1000 + i * 10, () => fired.push(`a${i}`))
      }
      for (let i = 0; i < owners.length; i += 3) timers.set(owners[i]!, 5000 + i, () => fired.push(`b${i}`))
      for (let i = 0; i < owners.length; i += 5) timers.clear(owners[i]!)
      yield* Effect.yieldNow()
      expect(fired).toEqual([])
      yield* TestClock.adjust(1500)
      const early = owners.map((_, i) => i).filter((i) => i % 3 !== 0 && i % 5 !== 0 && 1000 + i * 10 <= 1500)
      expect(fired).toEqual(early.map((i) => `a${i}`))
      yield* TestClock.adjust(10_000)
      const late = owners.map((_, i) => i).filter((i) => i % 3 === 0 && i % 5 !== 0)
      const rest = owners.map((_, i) => i).filter((i) => i % 3 !== 0 && i % 5 !== 0 && 1000 + i * 10 > 1500)
      expect(fired).toEqual([...early.map((i) => `a${i}`), ...rest.map((i) => `a${i}`), ...late.map((i) => `b${i}`)])
      expect(timers.size()).toBe(0)
    }))

  it.scoped("an earlier deadline set while the timer sleeps wakes it", () =>
    Effect.gen(function*() {
      const timers = yield* makeDeadlineTimers
      const fired: Array<number> = []
      timers.set({}, 60_000, () => fired.push(60))
      yield* Effect.yieldNow()
      timers.set({}, 1_000, () => fired.push(1))
      yield* Effect.yieldNow()
      yield* TestClock.adjust(1_000)
      expect(fired).toEqual([1])
      yield* TestClock.adjust(59_000)
      expect(fired).toEqual([1, 60])
    }))
})
