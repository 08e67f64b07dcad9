/**
 * Execution planning seen from above: which modules a scan can ever run for its target within
 * its recursion depth, and how entity types flow between them. The dry run returns this graph;
 * modules that can never run become warnings at creation.
 */
import { Schema } from "effect"
import { EntityType } from "./Entity.js"
import { ModuleId } from "./Ids.js"
import type { PlannedModule } from "./ScanEvent.js"

export interface PlanStep {
  readonly module_id: ModuleId
  /** The first hop at which the module can run (0 is the target itself). */
  readonly depth: number
  readonly consumes: ReadonlyArray<EntityType>
  readonly produces: ReadonlyArray<EntityType>
}

export interface PlanGraph {
  readonly target_type: EntityType
  readonly recursion_depth: number
  readonly steps: ReadonlyArray<PlanStep>
  /** Entity types the scan may produce, with the first hop at which each appears. */
  readonly types: ReadonlyArray<{ readonly type: EntityType; readonly depth: number }>
  readonly warnings: ReadonlyArray<string>
}

export const planGraph = (
  targetType: EntityType,
  modules: ReadonlyArray<PlannedModule>,
  recursionDepth: number
): PlanGraph => {
  const reached = new Map<EntityType, number>([[targetType, 0]])
  const steps: Array<PlanStep> = []
  const scheduled = new Set<string>()
  for (let depth = 0; depth <= recursionDepth; depth++) {
    const available = new Set(Array.from(reached).filter(([, d]) => d <= depth).map(([type]) => type))
    for (const module of modules) {
      if (scheduled.has(module.id)) continue
      const consumes = module.input_types.filter((type) => available.has(type))
      if (consumes.length === 0) continue
      scheduled.add(module.id)
      steps.push({ module_id: module.id, depth, consumes, produces: module.output_types })
    }
    for (const step of steps) {
      for (const type of step.produces) if (!reached.has(type)) reached.set(type, depth + 1)
    }
  }
  const reachable = Array.from(reached.keys()).filter((type) => reached.get(type)! <= recursionDepth)
  const warnings = modules
    .filter((module) => !scheduled.has(module.id))
    .map((module) =>
      `module ${module.id} will never run: it takes ${module.input_types.join(", ")} but a scan of a ${targetType} ` +
      `with recursion depth ${recursionDepth} only processes ${reachable.join(", ")}`
    )
  return {
    target_type: targetType,
    recursion_depth: recursionDepth,
    steps,
    types: Array.from(reached, ([type, depth]) => ({ type, depth })),
    warnings
  }
}

/** The plan graph on the wire (the dry run's answer). */
export const PlanGraphSchema = Schema.Struct({
  target_type: EntityType,
  recursion_depth: Schema.Int,
  steps: Schema.Array(Schema.Struct({
    module_id: ModuleId,
    depth: Schema.Int,
    consumes: Schema.Array(EntityType),
    produces: Schema.Array(EntityType)
  })),
  types: Schema.Array(Schema.Struct({ type: EntityType, depth: Schema.Int })),
  warnings: Schema.Array(Schema.String)
}).annotations({ identifier: "PlanGraph", description: "Which modules run at which hop, and the types they exchange" })
