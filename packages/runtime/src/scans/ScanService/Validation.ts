/**
 * The checks of what a scan request asks for: POST /scans (`checkCreate`) and PUT /scans/{id} (`checkUpdate`) share
 * their target, module and dependency checks, and templates their module checks. Each check adds what is wrong to the
 * request's list of problems, so one answer names them all.
 */
import type { Principal } from "@mirage/domain/api/Authentication"
import { BadRequest } from "@mirage/domain/api/Errors"
import type { InvalidField } from "@mirage/domain/api/Errors"
import { normalizeEntity } from "@mirage/domain/Entity"
import type { Entity, EntityType } from "@mirage/domain/Entity"
import type { ModuleId, ScanId } from "@mirage/domain/Ids"
import { selectByFlags, selectorOf } from "@mirage/domain/ModuleFlag"
import type { ModuleSelection } from "@mirage/domain/ModuleFlag"
import { planGraph } from "@mirage/domain/Planner"
import { limits, overrideConfiguration, ScanConfiguration, ScanModule } from "@mirage/domain/Scan"
import type { CreateScanRequest, Dependencies, Scan, UpdateScanRequest, Webhook } from "@mirage/domain/Scan"
import type { PlannedModule } from "@mirage/domain/ScanEvent"
import type { Template } from "@mirage/domain/Template"
import { Effect, Either, Option } from "effect"
import { ModuleCatalog } from "../../collection/ModuleCatalog.js"
import type { CatalogEntry, ModuleCatalogService } from "../../collection/ModuleCatalog.js"
import { ScanDependencies } from "../Chaining.js"
import { ScanReadModel } from "../ScanReadModel.js"
import { findBuiltin, keylessModules, missingModules, TemplateStore } from "../Templates.js"
import { WebhookPolicy, webhookUrlProblem } from "../Webhooks.js"

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

/**
 * The modules a request names, then those its flag selection picks that it does not name, in the catalog's order: what
 * is then checked as if it had named them all. A selection that picks nothing, or too many, is a problem of `select`.
 */
export const withSelected = (
  catalog: ModuleCatalogService,
  named: ReadonlyArray<ScanModule> | undefined,
  selection: ModuleSelection | undefined,
  problems: Problems
): ReadonlyArray<ScanModule> | undefined => {
  if (selection === undefined) return named
  const listed = named ?? []
  const picked = selectByFlags(
    catalog.all().map((entry) => ({ id: entry.id, flags: entry.flags ?? [] })),
    selectorOf(selection)
  ).filter((entry) => !listed.some((module) => module.id === entry.id))
  if (picked.length === 0 && listed.length === 0) {
    problems.push({ field: "select", message: `no installed module has the flags ${selection.flags.join(", ")}` })
  }
  const total = listed.length + picked.length
  if (total > limits.maxModules) {
    problems.push({ field: "select", message: `it adds up to ${total} modules, more than ${limits.maxModules}` })
  }
  return [...listed, ...picked.map((entry) => ScanModule.make({ id: entry.id }))]
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

/** A webhook whose address the network policy refuses (an address literal; a name is checked at delivery). */
export const checkWebhook = (webhook: Webhook | null | undefined, problems: Problems) =>
  Effect.gen(function*() {
    if (webhook === null || webhook === undefined) return
    const problem = webhookUrlProblem(yield* WebhookPolicy, webhook.url)
    if (problem !== undefined) problems.push({ field: "webhook.url", message: problem })
  })

/** The organization's template or a built-in one. */
const findTemplate = (principal: Principal, id: string) =>
  Option.match(findBuiltin(id), {
    onSome: (template) => Effect.succeedSome(template),
    onNone: () =>
      Effect.flatMap(TemplateStore, (templates) => templates.get(principal.organization_id, id as Template["id"]))
  })

/** The template a request names, when there is one and it takes targets of the request's type. */
const templateFor = (principal: Principal, request: CreateScanRequest, target: Scan["target"], problems: Problems) =>
  Effect.gen(function*() {
    if (request.template_id === undefined) return null
    const found = yield* findTemplate(principal, request.template_id)
    if (Option.isNone(found)) {
      problems.push({ field: "template_id", message: `no template ${request.template_id}` })
      return null
    }
    const template = found.value
    if (!template.target_types.includes(target.type)) {
      problems.push({
        field: "template_id",
        message: `template ${template.id} takes ${template.target_types.join(", ")} targets, not ${target.type}`
      })
    }
    return template
  })

/** A creation request's target, template, configuration and modules, or every problem it has. */
export const checkCreate = (principal: Principal, request: CreateScanRequest) =>
  Effect.gen(function*() {
    const catalog = yield* ModuleCatalog
    const problems: Problems = []
    const warnings: Array<string> = []
    const target = normalizeTarget(request.target, problems)
    const template = yield* templateFor(principal, request, target, problems)
    const configuration = overrideConfiguration(
      template?.configuration ?? ScanConfiguration.make({}),
      request.configuration
    )
    let requested = request.modules
    if (requested === undefined && template !== null) {
      // Resolved against today's registry: what is not installed, or needs a key none is configured for, is
      // skipped, with a warning.
      warnings.push(...missingModules(catalog, template.modules), ...keylessModules(catalog, template.modules))
      requested = template.modules.filter((m) =>
        Option.exists(catalog.get(m.id), (entry) => entry.key_missing !== true)
      )
    }
    requested = withSelected(catalog, requested, request.select, problems)
    const modules = resolveModules(catalog, requested, target.type, configuration.recursion_depth, problems)
    yield* checkDependencies(principal, request.depends_on ?? null, null, problems)
    yield* checkWebhook(request.webhook, problems)
    if (problems.length > 0) return yield* BadRequest.ofFields(problems)
    return { target, template, configuration, modules, warnings }
  })

/** The fields an update changes, each checked on its own (the target and modules against each other). */
export const checkUpdate = (principal: Principal, current: Scan, request: UpdateScanRequest) =>
  Effect.gen(function*() {
    const catalog = yield* ModuleCatalog
    const problems: Problems = []
    const target = request.target === undefined ? undefined : normalizeTarget(request.target, problems)
    const modules = request.modules === undefined
      ? undefined
      : resolveModules(catalog, request.modules, (target ?? current.target).type, 0, problems)
    if (request.depends_on !== undefined && current.status === "CREATED") {
      yield* checkDependencies(principal, request.depends_on, current.id, problems)
    }
    yield* checkWebhook(request.webhook, problems)
    if (problems.length > 0) return yield* BadRequest.ofFields(problems)
    return { target, modules }
  })
