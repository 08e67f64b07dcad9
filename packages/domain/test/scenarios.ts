/** Random lives of a scan for property tests: a plan, a target, limits, and commands in batches as an actor takes them. */
import type { ScanCommand } from "@mirage/domain/ScanEvent"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { FastCheck } from "effect"
import { entity, mod, tasks, unknownTask } from "./support.js"

const types = ["DOMAIN", "IP", "EMAIL"] as const
export const entities = [
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
export const commandFor = (state: ScanState, intent: Intent): ScanCommand => {
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

export const arbScenario = FastCheck.record({
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
