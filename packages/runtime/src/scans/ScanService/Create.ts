/**
 * Creating a scan: a request (from a template, chained, with a webhook) checked and planned into the scan's
 * definition, then its creation event appended to a new log; the dry run stops after the plan.
 */
import type { Principal } from "@mirage/domain/api/Authentication"
import { BadRequest } from "@mirage/domain/api/Errors"
import { ScanPlan } from "@mirage/domain/api/ScansApi"
import { randomUuid } from "@mirage/domain/Ids"
import type { ScanId } from "@mirage/domain/Ids"
import { planGraph } from "@mirage/domain/Planner"
import { overrideConfiguration, ScanConfiguration, ScanDefinition } from "@mirage/domain/Scan"
import type { CreateScanRequest, Scan } from "@mirage/domain/Scan"
import type { PlannedModule, ScanEvent, ScanHeader } from "@mirage/domain/ScanEvent"
import { decide, initial, toScan } from "@mirage/domain/ScanMachine"
import type { Template } from "@mirage/domain/Template"
import { Clock, Effect, Either, Option } from "effect"
import { ShardInbox } from "../../cluster/ShardInbox.js"
import { shardOf } from "../../cluster/Shards.js"
import { ModuleCatalog } from "../../collection/ModuleCatalog.js"
import * as Chaining from "../Chaining.js"
import { ScanDependencies } from "../Chaining.js"
import { EventStore } from "../EventStore.js"
import { findBuiltin, missingModules, TemplateStore } from "../Templates.js"
import { WebhookStore } from "../Webhooks.js"
import { checkDependencies, normalizeTarget, planOfModules, resolveModules } from "./Validation.js"
import type { Problems } from "./Validation.js"

export interface CreatedScan {
  readonly scan: Scan
  /** What the planner noticed, e.g. a module that can never run for this target. */
  readonly warnings: ReadonlyArray<string>
}

/** A checked creation request: the scan's definition and plan, what the planner warns of, and its template. */
interface Resolved {
  readonly definition: ScanDefinition
  readonly plan: ReadonlyArray<PlannedModule>
  readonly warnings: ReadonlyArray<string>
  readonly template: Template | null
}

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

/** A creation request as the scan's definition and plan, or every problem it has. */
const resolveCreate = (principal: Principal, request: CreateScanRequest) =>
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
      // Resolved against today's registry: what is not installed is skipped, with a warning.
      warnings.push(...missingModules(catalog, template.modules))
      requested = template.modules.filter((m) => Option.isSome(catalog.get(m.id)))
    }
    const modules = resolveModules(catalog, requested, target.type, configuration.recursion_depth, problems)
    yield* checkDependencies(principal, request.depends_on ?? null, null, problems)
    if (problems.length > 0) return yield* BadRequest.ofFields(problems)
    const plan = planOfModules(modules)
    const definition = ScanDefinition.make({
      name: request.name,
      description: request.description ?? template?.description ?? "",
      target,
      modules: modules.map((m) => m.module),
      configuration
    })
    return {
      definition,
      plan,
      template,
      warnings: [...warnings, ...planGraph(target.type, plan, configuration.recursion_depth).warnings]
    } satisfies Resolved
  })

/** What a scan of this definition would run, with what the planner (and the request's checks) warn of. */
export const planOf = (
  definition: ScanDefinition,
  plan: ReadonlyArray<PlannedModule>,
  warnings: ReadonlyArray<string>
) => {
  const graph = planGraph(definition.target.type, plan, definition.configuration.recursion_depth)
  return ScanPlan.make({
    target: definition.target,
    modules: definition.modules,
    configuration: definition.configuration,
    plan: graph,
    warnings: Array.from(new Set([...warnings, ...graph.warnings]))
  })
}

/** The dry run of a creation: everything is checked and planned, nothing is created. */
export const planNew = (principal: Principal, request: CreateScanRequest) =>
  Effect.map(resolveCreate(principal, request), (r) => planOf(r.definition, r.plan, r.warnings)).pipe(
    Effect.withSpan("ScanService.planNew")
  )

/** The first events of a new scan, and its state after them. */
const creation = (scanId: ScanId, header: ScanHeader, resolved: Resolved) =>
  Effect.gen(function*() {
    const { definition, plan } = resolved
    const now = yield* Clock.currentTimeMillis
    const created: Array<ScanEvent> = yield* Either.match(
      decide(undefined, { _tag: "CreateScan", scan_id: scanId, header, definition, plan }, now),
      { onLeft: (rejection) => Effect.die(rejection), onRight: Effect.succeed }
    )
    const first = created[0]
    if (first === undefined || first._tag !== "ScanCreated") {
      return yield* Effect.dieMessage("CreateScan did not produce ScanCreated")
    }
    return { created, state: initial(first) }
  })

export const create = (principal: Principal, request: CreateScanRequest) =>
  Effect.gen(function*() {
    const resolved = yield* resolveCreate(principal, request)
    const { template, warnings } = resolved
    const dependsOn = request.depends_on ?? null
    const header: ScanHeader = {
      organization_id: principal.organization_id,
      user_id: principal.user_id,
      template_id: template === null ? null : template.id,
      depends_on: dependsOn
    }
    // Effect's Random, so a seeded run repeats its ids; the gateway's is the CSPRNG (platform/SecureRandom), which
    // keeps replicas and restarts from repeating a sequence and colliding on scan ids.
    const scanId = (yield* randomUuid) as ScanId
    const commandId = yield* randomUuid
    const { created, state } = yield* creation(scanId, header, resolved)
    // The webhook first: the scan's first status change must find it.
    if (request.webhook !== undefined) yield* (yield* WebhookStore).set(scanId, request.webhook)
    const inbox = yield* ShardInbox
    yield* (yield* EventStore).append([{
      scan_id: scanId,
      shard: shardOf(scanId, inbox.shards),
      expected_seq: 0,
      events: created,
      command_id: commandId,
      fence: null,
      state,
      snapshot: false
    }]).pipe(
      // A fresh random id cannot already have a log, and creation is not fenced.
      Effect.catchTags({ ConcurrencyConflict: Effect.die, StaleEpoch: Effect.die })
    )
    if (dependsOn !== null) {
      yield* (yield* ScanDependencies).set(principal.organization_id, scanId, dependsOn.scan_ids)
      // Dependencies that have all ended already: the scan goes at once.
      yield* Chaining.trigger(principal.organization_id, scanId)
    }
    yield* Effect.annotateCurrentSpan({ scan_id: scanId })
    return { scan: toScan(state), warnings } satisfies CreatedScan
  }).pipe(Effect.withSpan("ScanService.create"))
