/**
 * The checks of what a scan request asks for, written once for creations and updates (and, for modules, for
 * templates): each check adds what is wrong to the request's list of problems, so one answer names them all.
 */
import type { Principal } from "@mirage/domain/api/Authentication"
import type { InvalidField } from "@mirage/domain/api/Errors"
import { normalizeEntity } from "@mirage/domain/Entity"
import type { Entity, EntityType } from "@mirage/domain/Entity"
import type { ModuleId, ScanId } from "@mirage/domain/Ids"
import { planGraph } from "@mirage/domain/Planner"
import { ScanModule } from "@mirage/domain/Scan"
import type { Dependencies } from "@mirage/domain/Scan"
import type { PlannedModule } from "@mirage/domain/ScanEvent"
import { Effect, Either, Option } from "effect"
import type { CatalogEntry, ModuleCatalogService } from "../../collection/ModuleCatalog.js"
import { ScanDependencies } from "../Chaining.js"
import { ScanReadModel } from "../ScanReadModel.js"

/** What is wrong with a request so far: each check appends to it. */
export type Problems = Array<InvalidField>

/** The target in canonical form; one that is not a value of its type is a problem (and comes back as given). */
export const normalizeTarget = (target: Entity, problems: Problems): Entity =>
  Either.getOrElse(
    Either.mapLeft(normalizeEntity(target), (message) => {
      problems.push({ field: "target.value", message })
    }),
    () => target
  )

/** A module as the planner takes it. */
export const planned = (entry: CatalogEntry, config: ScanModule["config"]): PlannedModule => ({
  id: entry.id,
  input_types: entry.input_types,
  output_types: entry.output_types,
  config
})

/**
 * The requested modules that are known to the catalog and listed once, each with the configuration its module
 * accepts (the module's defaults under the requested settings), beside its catalog entry.
 */
export const checkModules = (
  catalog: ModuleCatalogService,
  requested: ReadonlyArray<ScanModule>,
  problems: Problems
): Array<{ readonly module: ScanModule; readonly entry: CatalogEntry }> => {
  const seen = new Set<string>()
  const checked: Array<{ readonly module: ScanModule; readonly entry: CatalogEntry }> = []
  requested.forEach((module, i) => {
    const entry = catalog.get(module.id)
    if (Option.isNone(entry)) {
      problems.push({ field: `modules[${i}].id`, message: `unknown module ${module.id}` })
      return
    }
    if (seen.has(module.id)) {
      problems.push({ field: `modules[${i}].id`, message: `module ${module.id} is listed more than once` })
      return
    }
    seen.add(module.id)
    Either.match(catalog.validateConfig(module.id, { ...entry.value.default_config, ...module.config }), {
      onLeft: (message) => problems.push({ field: `modules[${i}].config`, message }),
      onRight: (config) =>
        checked.push({
          module: ScanModule.make({ id: module.id, enabled: module.enabled, config }),
          entry: entry.value
        })
    })
  })
  return checked
}

/** A scan's module, with its place in the plan when it is enabled. */
export interface ResolvedModule {
  readonly module: ScanModule
  readonly plan: PlannedModule | null
}

/**
 * The modules of a scan. Without a list: every catalog module the scan can reach, i.e.
 * whose input types include the target's type or a type that reachable modules produce within
 * the recursion depth (the planner's graph over the whole catalog).
 */
export const resolveModules = (
  catalog: ModuleCatalogService,
  requested: ReadonlyArray<ScanModule> | undefined,
  targetType: EntityType,
  depth: number,
  problems: Problems
): Array<ResolvedModule> => {
  if (requested === undefined) {
    const all = catalog.all()
    const reachable = new Set<ModuleId>(
      planGraph(targetType, all.map((entry) => planned(entry, entry.default_config)), depth).steps
        .map((step) => step.module_id)
    )
    const chosen = all.filter((entry) => reachable.has(entry.id))
    if (chosen.length === 0) {
      problems.push({ field: "modules", message: `no module can process a ${targetType} target` })
    }
    return chosen.map((entry) => ({
      module: ScanModule.make({ id: entry.id, enabled: true, config: entry.default_config }),
      plan: planned(entry, entry.default_config)
    }))
  }
  const resolved = checkModules(catalog, requested, problems).map(({ entry, module }) => ({
    module,
    plan: module.enabled ? planned(entry, module.config) : null
  }))
  if (problems.length === 0 && !resolved.some((r) => r.plan !== null)) {
    problems.push({ field: "modules", message: "at least one module must be enabled" })
  }
  return resolved
}

/** The plan of resolved modules: the enabled ones. */
export const planOfModules = (modules: ReadonlyArray<ResolvedModule>): Array<PlannedModule> =>
  modules.flatMap((m) => (m.plan === null ? [] : [m.plan]))

/** Dependencies must exist in the organization, and (for an existing scan) must not lead back to it. */
export const checkDependencies = (
  principal: Principal,
  dependsOn: Dependencies | null,
  self: ScanId | null,
  problems: Problems
) =>
  Effect.gen(function*() {
    if (dependsOn === null) return
    const readModel = yield* ScanReadModel
    const found = yield* Effect.forEach(
      dependsOn.scan_ids,
      (id) => Effect.map(readModel.get(principal.organization_id, id), Option.isSome)
    )
    found.forEach((exists, i) => {
      if (!exists) problems.push({ field: `depends_on.scan_ids[${i}]`, message: "no such scan" })
    })
    if (self === null) return
    if (dependsOn.scan_ids.includes(self)) {
      problems.push({ field: "depends_on.scan_ids", message: "a scan cannot depend on itself" })
    } else if (yield* (yield* ScanDependencies).reaches(dependsOn.scan_ids, self)) {
      problems.push({ field: "depends_on.scan_ids", message: "the dependencies would form a cycle" })
    }
  })
