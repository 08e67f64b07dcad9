/** The node's heap growth setting: a percent, 0 for V8's own behaviour; anything else stops the node at start. */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit } from "effect"
import { limitGrowth } from "../src/Heap.js"

const withGrowth = (value: string) =>
  limitGrowth.pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["MIRAGE_HEAP_GROWTH_PERCENT", value]]))),
    Effect.exit
  )

describe("Heap", () => {
  it.effect("takes a percent, or 0 for V8's own growth", () =>
    Effect.gen(function*() {
      expect(Exit.isSuccess(yield* withGrowth("30"))).toBe(true)
      expect(Exit.isSuccess(yield* withGrowth("0"))).toBe(true)
    }))

  it.effect("refuses a negative or non-integer setting, naming it", () =>
    Effect.gen(function*() {
      const negative = yield* withGrowth("-5")
      expect(Exit.isFailure(negative) && String(negative.cause)).toContain("MIRAGE_HEAP_GROWTH_PERCENT")
      const text = yield* withGrowth("lots")
      expect(Exit.isFailure(text) && String(text.cause)).toContain("MIRAGE_HEAP_GROWTH_PERCENT")
    }))
})
