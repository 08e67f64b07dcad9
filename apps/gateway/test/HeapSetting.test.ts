/**
 * The gateway process applies its heap growth setting as it starts: a negative one stops it at once, before it
 * connects to any store, with a message naming the setting (the setting's effect on V8 is `HeapGrowth.test.ts`'s).
 */
import { describe, expect, it } from "@effect/vitest"
import { runNode } from "@mirage/testkit/Processes"
import { Effect } from "effect"

describe("the gateway's heap growth setting", () => {
  it.live("stops the process at start when negative, naming it", () =>
    Effect.gen(function*() {
      // Stores nowhere to be reached: the process must stop before it needs one.
      const run = yield* runNode(["apps/gateway/src/main.ts"], {
        MIRAGE_GATEWAY_HEAP_GROWTH_PERCENT: "-5",
        DATABASE_URL: "postgres://127.0.0.1:1/none",
        REDIS_URL: "redis://127.0.0.1:1",
        MONGODB_URL: "mongodb://127.0.0.1:1/none",
        PORT: "0"
      })
      expect(run.code).not.toBe(0)
      expect(run.stdout + run.stderr).toContain("MIRAGE_GATEWAY_HEAP_GROWTH_PERCENT must be 0 or more, not -5")
    }), { timeout: 90_000 })
})
