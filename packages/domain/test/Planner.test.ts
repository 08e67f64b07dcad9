import { describe, expect, it } from "@effect/vitest"
import type { EntityType } from "@mirage/domain/Entity"
import { planGraph } from "@mirage/domain/Planner"
import { isTerminal } from "@mirage/domain/Scan"
import { queuedTasks } from "@mirage/domain/ScanMachine"
import { FastCheck } from "effect"
import { crtsh, dns, Driver, entity, mod, tasks, whois } from "./support.js"

const asn = mod("asn_lookup", ["ASN"], ["NETBLOCK", "ORGANIZATION"])
const breach = mod("breach_check", ["EMAIL"], ["BREACH"])
const plan = [dns, crtsh, whois, asn, breach]

describe("planGraph", () => {
  it("lays out the modules of a DOMAIN scan by the hop at which each first runs", () => {
    const graph = planGraph("DOMAIN", plan, 2)
    expect(graph.target_type).toBe("DOMAIN")
    expect(graph.recursion_depth).toBe(2)
    expect(graph.steps).toEqual([
      { module_id: "dns", depth: 0, consumes: ["DOMAIN"], produces: ["IP", "DOMAIN"] },
      { module_id: "crtsh", depth: 0, consumes: ["DOMAIN"], produces: ["DOMAIN"] },
      { module_id: "whois_ip", depth: 1, consumes: ["IP"], produces: ["ASN", "NETBLOCK"] },
      { module_id: "asn_lookup", depth: 2, consumes: ["ASN"], produces: ["NETBLOCK", "ORGANIZATION"] }
    ])
    expect(graph.types).toEqual([
      { type: "DOMAIN", depth: 0 },
      { type: "IP", depth: 1 },
      { type: "ASN", depth: 2 },
      { type: "NETBLOCK", depth: 2 },
      { type: "ORGANIZATION", depth: 3 }
    ])
  })

  it("a module that takes nothing the scan reaches becomes a warning", () => {
    const graph = planGraph("DOMAIN", plan, 2)
    expect(graph.warnings).toHaveLength(1)
    expect(graph.warnings[0]).toContain("breach_check")
    expect(graph.warnings[0]).toContain("EMAIL")
    expect(graph.warnings[0]).toContain("recursion depth 2")
    expect(graph.warnings[0]).toContain("DOMAIN, IP, ASN, NETBLOCK")
    expect(graph.warnings[0]).not.toContain("ORGANIZATION")
  })

  it("the recursion depth cuts the graph", () => {
    const zero = planGraph("DOMAIN", plan, 0)
    expect(zero.steps.map((s) => s.module_id)).toEqual(["dns", "crtsh"])
    expect(zero.types).toEqual([{ type: "DOMAIN", depth: 0 }, { type: "IP", depth: 1 }])
    expect(zero.warnings.map((w) => w.split(" ")[1])).toEqual(["whois_ip", "asn_lookup", "breach_check"])

    const one = planGraph("DOMAIN", plan, 1)
    expect(one.steps.map((s) => [s.module_id, s.depth])).toEqual([["dns", 0], ["crtsh", 0], ["whois_ip", 1]])
    expect(one.warnings.map((w) => w.split(" ")[1])).toEqual(["asn_lookup", "breach_check"])

    const ten = planGraph("DOMAIN", plan, 10)
    expect(ten.steps.map((s) => s.module_id)).toEqual(["dns", "crtsh", "whois_ip", "asn_lookup"])
  })

  it("a module with several inputs runs from the first it can take, consuming what is there", () => {
    const multi = mod("reverse", ["IP", "DOMAIN"], ["DOMAIN"])
    const fromIp = planGraph("IP", [multi, whois], 1)
    expect(fromIp.steps).toEqual([
      { module_id: "reverse", depth: 0, consumes: ["IP"], produces: ["DOMAIN"] },
      { module_id: "whois_ip", depth: 0, consumes: ["IP"], produces: ["ASN", "NETBLOCK"] }
    ])
  })

  it("a target no module takes gives only warnings", () => {
    const graph = planGraph("PHONE", plan, 3)
    expect(graph.steps).toEqual([])
    expect(graph.types).toEqual([{ type: "PHONE", depth: 0 }])
    expect(graph.warnings).toHaveLength(plan.length)
  })

  it("no modules, no steps, no warnings", () => {
    expect(planGraph("DOMAIN", [], 2)).toEqual({
      target_type: "DOMAIN",
      recursion_depth: 2,
      steps: [],
      types: [{ type: "DOMAIN", depth: 0 }],
      warnings: []
    })
  })
})

// The planner's graph is what the machine does: run a scan in which every task finds a new entity of
// each of its module's output types, and the modules that run, and the first hop of each, are the steps.

const types = ["DOMAIN", "IP", "ASN", "NETBLOCK", "EMAIL"] as const

const valueOf = (type: EntityType, n: number): string => {
  switch (type) {
    case "DOMAIN":
      return `h${n}.example.com`
    case "IP":
      return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`
    case "ASN":
      return `AS${64512 + n}`
    case "NETBLOCK":
      return `10.${n & 255}.0.0/16`
    default:
      return `user${n}@example.com`
  }
}

describe("planGraph agrees with the scan machine", () => {
  it("for random plans and depths", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.uniqueArray(
          FastCheck.record({
            id: FastCheck.constantFrom("m_a", "m_b", "m_c", "m_d"),
            input_types: FastCheck.subarray([...types], { minLength: 1, maxLength: 2 }),
            output_types: FastCheck.subarray([...types], { maxLength: 2 })
          }),
          { selector: (m) => m.id, maxLength: 4 }
        ),
        FastCheck.constantFrom(...types),
        FastCheck.integer({ min: 0, max: 3 }),
        (modules, targetType, depth) => {
          const plan = modules.map((m) => mod(m.id, m.input_types, m.output_types))
          const graph = planGraph(targetType, plan, depth)
          const d = new Driver({
            plan,
            target: entity(targetType, valueOf(targetType, 0)),
            config: { recursion_depth: depth, max_results: 1_000_000 }
          })
          d.start()
          let n = 1
          while (!isTerminal(d.scan.status)) {
            const task = queuedTasks(d.scan)[0]!
            const module = plan.find((m) => m.id === task.module_id)!
            d.run(task, module.output_types.map((type) => entity(type, valueOf(type, n++))), 0)
            expect(n).toBeLessThan(20_000)
          }
          const firstHop = new Map<string, number>()
          for (const task of tasks(d.scan)) {
            firstHop.set(task.module_id, Math.min(firstHop.get(task.module_id) ?? Infinity, task.depth))
          }
          expect(new Map(graph.steps.map((s) => [s.module_id, s.depth]))).toEqual(firstHop)
          expect(graph.warnings.length).toBe(plan.length - firstHop.size)
        }
      ),
      { numRuns: 200 }
    )
  })
})
