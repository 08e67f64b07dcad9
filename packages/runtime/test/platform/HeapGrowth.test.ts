/**
 * A heap growth setting reaches V8: a child process applies it and reports, through V8's own trace, the factor its
 * next full collection set the old generation's limit by. A negative setting stops the process, naming the setting.
 */
import { describe, expect, it } from "@effect/vitest"
import * as HeapGrowth from "@mirage/runtime/platform/HeapGrowth"
import { runNode } from "@mirage/testkit/Processes"
import { Config, Effect, Exit } from "effect"

// Applies the percent in argv, then a full collection with a heap to keep; V8 traces the limit it sets.
const child = `
import { Config, Effect } from "effect"
import * as HeapGrowth from "@mirage/runtime/platform/HeapGrowth"
await Effect.runPromise(HeapGrowth.apply(Config.succeed(Number(process.argv[1])), "TEST_PERCENT"))
const kept = Array.from({ length: 200_000 }, (_, i) => ({ i, text: "kept " + i }))
globalThis.gc()
console.log("kept", kept.length)
`

/** The growing factors V8 traced (`[HeapController] Limit: … (3.0)`) in a child given `percent`. */
const tracedFactors = (percent: number) =>
  Effect.map(
    runNode(["--expose-gc", "--trace-gc-verbose", "--input-type=module", "-e", child, String(percent)]),
    (run) => {
      expect(run.code, run.stderr).toBe(0)
      return [...run.stdout.matchAll(/\[HeapController\] Limit: .*\((\d+(?:\.\d+)?)\)/g)].map((m) => Number(m[1]))
    }
  )

describe("HeapGrowth", () => {
  it.live("sets the factor of every limit V8 sets after a full collection", () =>
    Effect.gen(function*() {
      for (const [percent, factor] of [[200, 3], [50, 1.5]] as const) {
        const factors = yield* tracedFactors(percent)
        expect(factors.length, `percent ${percent}`).toBeGreaterThan(0)
        // The collections after the setting took hold: the last one is the forced one.
        expect(factors.at(-1)).toBe(factor)
      }
    }), { timeout: 120_000 })

  it.effect("refuses a negative percent, naming the setting; 0 leaves V8 its own choice", () =>
    Effect.gen(function*() {
      const negative = yield* Effect.exit(HeapGrowth.apply(Config.succeed(-5), "MIRAGE_GATEWAY_HEAP_GROWTH_PERCENT"))
      expect(Exit.isFailure(negative) && String(negative.cause)).toContain("MIRAGE_GATEWAY_HEAP_GROWTH_PERCENT")
      expect(Exit.isSuccess(yield* Effect.exit(HeapGrowth.apply(Config.succeed(0), "X")))).toBe(true)
    }))
})
