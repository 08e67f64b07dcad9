/**
 * The gateway process applies its heap growth setting as it starts: a negative one stops it at once, before it
 * connects to any store, with a message naming the setting (the setting's effect on V8 is `HeapGrowth.test.ts`'s).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../../", import.meta.url))

describe("the gateway's heap growth setting", () => {
  it.live("stops the process at start when negative, naming it", () =>
    Effect.gen(function*() {
      const run = yield* Effect.async<{ readonly code: number; readonly output: string }>((resume) => {
        execFile(
          process.execPath,
          ["--import", "tsx", "apps/gateway/src/main.ts"],
          {
            cwd: root,
            timeout: 60_000,
            // Stores nowhere to be reached: the process must stop before it needs one.
            env: {
              ...process.env,
              MIRAGE_GATEWAY_HEAP_GROWTH_PERCENT: "-5",
              DATABASE_URL: "postgres://127.0.0.1:1/none",
              REDIS_URL: "redis://127.0.0.1:1",
              MONGODB_URL: "mongodb://127.0.0.1:1/none",
              PORT: "0"
            }
          },
          (error, stdout, stderr) =>
            resume(Effect.succeed({
              code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
              output: stdout + stderr
            }))
        )
      })
      expect(run.code).not.toBe(0)
      expect(run.output).toContain("MIRAGE_GATEWAY_HEAP_GROWTH_PERCENT must be 0 or more, not -5")
    }), { timeout: 90_000 })
})
