import { describe, expect, it } from "@effect/vitest"
import { decideInto, makeDraft } from "@mirage/domain/ScanDraft"
import type { ScanCommand } from "@mirage/domain/ScanEvent"
import { decide, evolve } from "@mirage/domain/ScanMachine"
import { Either, FastCheck } from "effect"
import { arbScenario, commandFor } from "./scenarios.js"
import { checkQueue, Driver, entity, mod, tasks, view } from "./support.js"

describe("ScanDraft", () => {
  it("decideInto gives the events and states of decide and evolve, batch after batch", () => {
    FastCheck.assert(
      FastCheck.property(arbScenario, ({ batches, config, plan, target }) => {
        const d = new Driver({ plan, config, target })
        // The start through a draft too: its plan (none, when no module takes the target) and its completion.
        const created = d.scan
        const starting = makeDraft(created)
        expect(decideInto(starting, { _tag: "StartScan" }, d.now)).toEqual(
          decide(created, { _tag: "StartScan" }, d.now)
        )
        d.send({ _tag: "StartScan" })
        expect(view(starting.freeze())).toEqual(view(d.scan))
        expect(view(created)).toEqual(view(new Driver({ plan, config, target }).scan))
        let reference = d.scan
        let kept = d.scan
        let now = d.now
        for (const batch of batches) {
          const base = kept
          const baseView = view(base)
          const draft = makeDraft(kept)
          for (const { advance, intent } of batch) {
            now += advance
            const command = commandFor(reference, intent)
            const expected = decide(reference, command, now)
            const actual = decideInto(draft, command, now)
            expect(actual).toEqual(expected)
            if (Either.isRight(expected)) reference = expected.right.reduce(evolve, reference)
            expect(view(draft.current)).toEqual(view(reference))
            checkQueue(draft.current)
          }
          kept = draft.freeze()
          expect(view(kept)).toEqual(view(reference))
          // The state the batch started from is untouched: a draft never changes what it started from.
          expect(view(base)).toEqual(baseView)
        }
      }),
      { numRuns: 400 }
    )
  })

  it("an entity first seen beyond the recursion depth and found again within it is lowered as evolve lowers it", () => {
    // No module takes an IP: an address found within the depth is seen there, not planned.
    const plan = [mod("m_a", ["DOMAIN"], ["DOMAIN", "IP"]), mod("m_b", ["DOMAIN"], ["IP"])]
    const d = new Driver({ plan, config: { recursion_depth: 1 }, target: entity("DOMAIN", "example.com") })
    d.send({ _tag: "StartScan" })
    const draft = makeDraft(d.scan)
    const taskOf = (module: string, value: string) =>
      tasks(d.scan).find((t) => t.module_id === module && t.entity.value === value)!.task_id
    // Both the draft and decide/evolve take each command; their events and states must agree at every step.
    const both = (command: ScanCommand) => {
      const expected = decide(d.scan, command, d.now)
      expect(decideInto(draft, command, d.now)).toEqual(expected)
      d.apply(Either.getOrThrow(expected))
      expect(view(draft.current)).toEqual(view(d.scan))
    }
    const found = (task: ReturnType<typeof taskOf>, type: "DOMAIN" | "IP", value: string) =>
      both({ _tag: "TaskSucceeded", task_id: task, result_count: 1, entities: [entity(type, value)] })
    both({ _tag: "MarkTasksStarted", task_ids: [taskOf("m_a", "example.com")] })
    both({ _tag: "MarkTasksStarted", task_ids: [taskOf("m_b", "example.com")] })
    found(taskOf("m_a", "example.com"), "DOMAIN", "a.example.com")
    both({ _tag: "MarkTasksStarted", task_ids: [taskOf("m_a", "a.example.com")] })
    // Found at depth 2, beyond the limit; then by a depth-0 task, at depth 1: seen there now.
    found(taskOf("m_a", "a.example.com"), "IP", "192.0.2.1")
    found(taskOf("m_b", "example.com"), "IP", "192.0.2.1")
    expect(Array.from(d.scan.seen).find(([key]) => key.includes("192.0.2.1"))?.[1]).toBe(1)
  })

  it("a frozen state does not change when the draft goes on", () => {
    const d = new Driver({ plan: [mod("m_a", ["DOMAIN"], ["DOMAIN"])], target: entity("DOMAIN", "example.com") })
    d.send({ _tag: "StartScan" })
    const draft = makeDraft(d.scan)
    const [task] = tasks(d.scan)
    Either.getOrThrow(decideInto(draft, { _tag: "MarkTasksStarted", task_ids: [task!.task_id] }, d.now))
    const frozen = draft.freeze()
    const frozenView = view(frozen)
    Either.getOrThrow(
      decideInto(draft, {
        _tag: "TaskSucceeded",
        task_id: task!.task_id,
        result_count: 1,
        entities: [entity("DOMAIN", "a.example.com")]
      }, d.now)
    )
    expect(view(frozen)).toEqual(frozenView)
    expect(tasks(draft.current).map((t) => t.status)).toEqual(["COMPLETED", "QUEUED"])
  })
})
