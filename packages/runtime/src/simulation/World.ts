/**
 * The synthetic world a simulation scans: a seeded, layered graph (every finding of an entity on level L is on level
 * L + 1, so an entity's distance from a target is the same along every path) with per-task durations and failures
 * that depend only on (module, entity). Hence the results a completed scan must hold are computable: its closure.
 */
import type { EntityType } from "@mirage/domain/Entity"
import { entityKey } from "@mirage/domain/Entity"
import type { ModuleId } from "@mirage/domain/Ids"
import type { PlannedModule } from "@mirage/domain/ScanEvent"
import { Effect } from "effect"
import { TaskExecutor, TaskFailure } from "../collection/TaskExecutor.js"
import type { Finding, TaskExecutorService } from "../collection/TaskExecutor.js"
import * as Prng from "./Prng.js"

export const plan: ReadonlyArray<PlannedModule> = [
  { id: "sim_subdomains" as ModuleId, input_types: ["DOMAIN"], output_types: ["DOMAIN"], config: {} },
  { id: "sim_resolve" as ModuleId, input_types: ["DOMAIN"], output_types: ["IP"], config: {} },
  { id: "sim_reverse" as ModuleId, input_types: ["IP"], output_types: ["DOMAIN"], config: {} },
  { id: "sim_emails" as ModuleId, input_types: ["DOMAIN"], output_types: ["EMAIL"], config: {} }
]

export interface WorldOptions {
  readonly levels: number
  readonly domains: number
  readonly ips: number
  readonly emails: number
  readonly failRate: number
  readonly minTaskMs: number
  readonly maxTaskMs: number
}

export const defaultWorld: WorldOptions = {
  levels: 5,
  domains: 5,
  ips: 3,
  emails: 2,
  failRate: 0.06,
  minTaskMs: 300,
  maxTaskMs: 4000
}

export interface SimEntity {
  readonly type: EntityType
  /** Canonical value. */
  readonly value: string
}

export interface Outcome {
  readonly fails: boolean
  readonly durationMs: number
  readonly findings: ReadonlyArray<Finding>
}

export interface World {
  readonly targets: ReadonlyArray<SimEntity>
  readonly outcome: (module: string, entity: SimEntity) => Outcome
  /** Entity keys a scan of `target` stores when it completes at quiescence within `depth` hops. */
  readonly closure: (target: SimEntity, depth: number) => ReadonlySet<string>
}

const pools = (options: WorldOptions) => {
  const byLevel = new Map<string, number>()
  const pool = (type: EntityType, level: number): Array<SimEntity> => {
    const count = type === "DOMAIN" ? options.domains : type === "IP" ? options.ips : options.emails
    const out: Array<SimEntity> = []
    for (let i = 0; i < count; i++) {
      const value = type === "DOMAIN"
        ? `d${i}.l${level}.sim.test`
        : type === "IP"
        ? `10.${level}.0.${i + 1}`
        : `u${i}.l${level}@sim.test`
      byLevel.set(entityKey({ type, value }), level)
      out.push({ type, value })
    }
    return out
  }
  const levels: Array<Record<"DOMAIN" | "IP" | "EMAIL", Array<SimEntity>>> = []
  for (let level = 0; level <= options.levels; level++) {
    levels.push({ DOMAIN: pool("DOMAIN", level), IP: pool("IP", level), EMAIL: pool("EMAIL", level) })
  }
  return { levels, byLevel }
}

/** A spelling the normalizer maps back to the canonical value: exercises dedup across spellings. */
const respell = (entity: SimEntity, prng: Prng.Prng): string =>
  entity.type === "DOMAIN" && prng.chance(0.2) ? `${entity.value.toUpperCase()}.` : entity.value

export const make = (seed: number, options: WorldOptions = defaultWorld): World => {
  const { byLevel, levels } = pools(options)
  const cache = new Map<string, Outcome>()
  const outcome = (module: string, entity: SimEntity): Outcome => {
    const key = `${module} ${entityKey(entity)}`
    const known = cache.get(key)
    if (known !== undefined) return known
    const prng = Prng.make(Prng.hash(seed, key))
    const level = byLevel.get(entityKey(entity))
    const output = plan.find((m) => m.id === module)?.output_types[0]
    const next = level === undefined || output === undefined ? undefined : levels[level + 1]
    const candidates = next === undefined || output === undefined ? [] : next[output as "DOMAIN" | "IP" | "EMAIL"]
    const findings: Array<Finding> = []
    const count = candidates.length === 0 ? 0 : prng.int(3)
    for (let i = 0; i < count; i++) {
      const found = prng.pick(candidates)
      findings.push({ type: found.type, value: respell(found, prng), confidence: 0.8, source_data: {}, metadata: {} })
    }
    const result: Outcome = {
      fails: prng.chance(options.failRate),
      durationMs: prng.between(options.minTaskMs, options.maxTaskMs),
      findings
    }
    cache.set(key, result)
    return result
  }
  const canonical = (finding: Finding): SimEntity => ({
    type: finding.type,
    value: finding.type === "DOMAIN" ? finding.value.toLowerCase().replace(/\.$/, "") : finding.value
  })
  const closure = (target: SimEntity, depth: number): ReadonlySet<string> => {
    const results = new Set<string>()
    const distance = new Map<string, number>([[entityKey(target), 0]])
    const queue: Array<SimEntity> = [target]
    while (queue.length > 0) {
      const entity = queue.shift()!
      const d = distance.get(entityKey(entity))!
      if (d > depth) continue
      for (const module of plan) {
        if (!module.input_types.includes(entity.type)) continue
        const o = outcome(module.id, entity)
        if (o.fails) continue
        for (const finding of o.findings) {
          const found = canonical(finding)
          const key = entityKey(found)
          if (key !== entityKey(target)) results.add(key)
          if (!distance.has(key)) {
            distance.set(key, d + 1)
            queue.push(found)
          }
        }
      }
    }
    return results
  }
  return { targets: levels[0]!.DOMAIN, outcome, closure }
}

/**
 * The task executor twin: a task takes its simulated time, then waits at `gate` (a stalled node finishes nothing),
 * then fails or returns its findings.
 */
export const executor = (world: World, gate: Effect.Effect<void>): TaskExecutorService =>
  TaskExecutor.of({
    run: (task) =>
      Effect.gen(function*() {
        const o = world.outcome(task.module_id, { type: task.entity.type, value: task.entity.value })
        yield* Effect.sleep(o.durationMs)
        yield* gate
        if (o.fails) return yield* new TaskFailure({ kind: "failed", reason: "simulated source failure" })
        return o.findings
      })
  })
