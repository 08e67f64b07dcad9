import { describe, expect, it } from "@effect/vitest"
import { decideInto, makeDraft } from "@mirage/domain/ScanDraft"
import type { ScanCommand } from "@mirage/domain/ScanEvent"
import { decide, evolve } from "@mirage/domain/ScanMachine"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { Either, FastCheck } from "effect"
import { checkQueue, Driver, entity, mod, tasks, unknownTask, view } from "./support.js"

const types = ["DOMAIN", "IP", "EMAIL"] as const
const entities = [
  entity("DOMAIN", "example.com"),
  entity("DOMAIN", "WWW.Example.COM."),
  entity("DOMAIN", "mail.example.com"),
  entity("DOMAIN", "api.example.org"),
  entity("IP", "192.0.2.1"),
  entity("IP", "2001:DB8::1"),
  entity("EMAIL", "admin@example.com")
]

const arbPlan = FastCheck.uniqueArray(
  FastCheck.record({
    id: FastCheck.constantFrom("m_a", "m_b", "m_c", "m_d"),
    input_types: FastCheck.subarray([...types], { minLength: 1 }),
    output_types: FastCheck.subarray([...types])
  }),
  { selector: (m) => m.id, minLength: 1, maxLength: 4 }
).map((modules) => modules.map((m) => mod(m.id, m.input_types, m.output_types)))

type Intent =
  | { readonly kind: "begin" | "error"; readonly n: number; readonly any: boolean }
  | {
    readonly kind: "succeed"
    readonly n: number
    readonly any: boolean
    readonly results: number
    readonly found: Array<number>
  }
  | { readonly kind: "tick" | "pause" | "resume" | "stop" | "unknown" | "delete" | "start" }

const arbIntent: FastCheck.Arbitrary<Intent> = FastCheck.oneof(
  {
    weight: 30,
    arbitrary: FastCheck.record({
      kind: FastCheck.constant("begin" as const),
      n: FastCheck.nat(),
      any: FastCheck.boolean()
    })
  },
  {
    weight: 40,
    arbitrary: FastCheck.record({
      kind: FastCheck.constant("succeed" as const),
      n: FastCheck.nat(),
      any: FastCheck.boolean(),
      results: FastCheck.integer({ min: 0, max: 4 }),
      found: FastCheck.array(FastCheck.nat({ max: entities.length - 1 }), { maxLength: 4 })
    })
  },
  {
    weight: 8,
    arbitrary: FastCheck.record({
      kind: FastCheck.constant("error" as const),
      n: FastCheck.nat(),
      any: FastCheck.boolean()
    })
  },
  {
    weight: 3,
    arbitrary: FastCheck.constantFrom(
      { kind: "tick" as const },
      { kind: "pause" as const },
      { kind: "resume" as const },
      { kind: "unknown" as const },
      { kind: "start" as const }
    )
  },
  { weight: 1, arbitrary: FastCheck.constantFrom({ kind: "stop" as const }, { kind: "delete" as const }) }
)

/** The command an intent stands for in a state: task picks wrap around the candidates in planning order. */
const commandFor = (state: ScanState, intent: Intent): ScanCommand => {
  const all = tasks(state)
  const pick = (n: number, any: boolean, status: "QUEUED" | "RUNNING") => {
    const live = all.filter((t) => t.status === status)
    const from = any || live.length === 0 ? all : live
    return from.length === 0 ? unknownTask : from[n % from.length]!.task_id
  }
  switch (intent.kind) {
    case "begin":
      // Sometimes two tasks at once (a batch's starts), sometimes the same one twice.
      return {
        _tag: "MarkTasksStarted",
        task_ids: [pick(intent.n, intent.any, "QUEUED"), pick(intent.n * 7 + 1, intent.any, "QUEUED")]
      }
    case "succeed":
      return {
        _tag: "TaskSucceeded",
        task_id: pick(intent.n, intent.any, "RUNNING"),
        result_count: intent.results,
        entities: intent.found.map((i) => entities[i]!)
      }
    case "error":
      return { _tag: "TaskErrored", task_id: pick(intent.n, intent.any, "RUNNING"), error: "random failure" }
    case "tick":
      return { _tag: "Tick" }
    case "pause":
      return { _tag: "PauseScan" }
    case "resume":
      return { _tag: "ResumeScan" }
    case "stop":
      return { _tag: "StopScan" }
    case "delete":
      return { _tag: "DeleteScan" }
    case "unknown":
      return { _tag: "MarkTasksStarted", task_ids: [unknownTask] }
    case "start":
      return { _tag: "StartScan" }
  }
}

const arbScenario = FastCheck.record({
  plan: arbPlan,
  target: FastCheck.constantFrom(...entities),
  config: FastCheck.record({
    max_results: FastCheck.integer({ min: 1, max: 30 }),
    recursion_depth: FastCheck.integer({ min: 0, max: 3 }),
    max_duration: FastCheck.integer({ min: 1, max: 60 })
  }),
  // Commands in batches, as an actor takes its mailbox; each batch is one draft.
  batches: FastCheck.array(
    FastCheck.array(FastCheck.record({ intent: arbIntent, advance: FastCheck.integer({ min: 0, max: 5000 }) }), {
      minLength: 1,
      maxLength: 12
    }),
    { maxLength: 20 }
  )
})

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
