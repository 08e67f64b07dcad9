/** A scan's progress per module: task counts and results, and why the module's latest failed task failed. */
import { describe, expect, it } from "@effect/vitest"
import type { ScanEvent } from "@mirage/domain/ScanEvent"
import { decide, evolve } from "@mirage/domain/ScanMachine"
import { advanceTally, moduleProgress, tallyModules, tallyProgress } from "@mirage/domain/ScanProgress"
import type { ModuleTally } from "@mirage/domain/ScanProgress"
import { Either, FastCheck } from "effect"
import { arbScenario, commandFor } from "./scenarios.js"
import { domain, Driver } from "./support.js"

describe("module progress", () => {
  it("counts each module's tasks and carries the error of its last-planned failed task", () => {
    const d = new Driver({})
    d.start()
    const dns = d.task("dns", "example.com")
    d.begin(dns)
    d.succeed(dns, [domain("a.example.com"), domain("b.example.com")])
    const first = d.task("crtsh", "example.com")
    d.begin(first)
    d.fail(first, "HTTP 503 from crt.sh")
    const later = d.task("crtsh", "b.example.com")
    d.begin(later)
    d.fail(later, "HTTP 429 from crt.sh")

    const byId = Object.fromEntries(moduleProgress(d.scan).map((m) => [m.module_id, m]))
    expect(byId["dns"]).toMatchObject({ completed: 1, failed: 0, result_count: 2, last_error: null })
    expect(byId["crtsh"]).toMatchObject({ failed: 2, last_error: "HTTP 429 from crt.sh" })
  })

  it("a tally carried from batch to batch is the count of every task, batch after batch", () => {
    let carried = 0
    FastCheck.assert(
      FastCheck.property(arbScenario, ({ batches, config, plan, target }) => {
        const d = new Driver({ plan, config, target })
        let state = d.scan
        let now = d.now
        let tally: ModuleTally | undefined = tallyModules(state)
        for (const batch of [[{ intent: { kind: "start" as const }, advance: 0 }], ...batches]) {
          const before = state
          const events: Array<ScanEvent> = []
          for (const { advance, intent } of batch) {
            now += advance
            const decided = decide(state, commandFor(state, intent), now)
            if (Either.isRight(decided)) {
              events.push(...decided.right)
              state = decided.right.reduce(evolve, state)
            }
          }
          const previous: ModuleTally | undefined = tally
          tally = advanceTally(tally, before, state, events)
          if (tally.modules === previous?.modules) carried++
          expect(tallyProgress(tally)).toEqual(moduleProgress(state))
          // Now and then a tally of another state: it must count again rather than add to the wrong base.
          if (batch.length === 5) tally = { seq: -1, modules: tally.modules }
        }
      }),
      { numRuns: 300 }
    )
    // Most batches of a running scan take the carried tally, not a count of every task.
    expect(carried).toBeGreaterThan(300)
  })
})
