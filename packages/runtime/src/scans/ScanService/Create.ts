/**
 * Creating a scan: a request (from a template, chained, with a webhook) checked and planned into the scan's
 * definition, then its creation event appended to a new log; the dry run stops after the plan.
 */
import type { Principal } from "@mirage/domain/api/Authentication"
import { ScanPlan } from "@mirage/domain/api/ScansApi"
import { randomUuid } from "@mirage/domain/Ids"
import type { ScanId } from "@mirage/domain/Ids"
import { planGraph } from "@mirage/domain/Planner"
import { ScanDefinition } from "@mirage/domain/Scan"
import type { CreateScanRequest, Scan } from "@mirage/domain/Scan"
import type { PlannedModule, ScanEvent, ScanHeader } from "@mirage/domain/ScanEvent"
import { decide, initial, toScan } from "@mirage/domain/ScanMachine"
import type { Template } from "@mirage/domain/Template"
import { Clock, Effect, Either } from "effect"
import { ShardInbox } from "../../cluster/ShardInbox.js"
import { shardOf } from "../../cluster/Shards.js"
import * as Tracing from "../../platform/Tracing.js"
import * as Chaining from "../Chaining.js"
import { ScanDependencies } from "../Chaining.js"
import { EventStore } from "../EventStore.js"
import { WebhookStore } from "../Webhooks.js"
import { checkCreate, planOfModules } from "./Validation.js"

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

/** A creation request as the scan's definition and plan, or every problem it has. */
const resolveCreate = (principal: Principal, request: CreateScanRequest) =>
  Effect.gen(function*() {
    const { configuration, modules, target, template, warnings } = yield* checkCreate(principal, request)
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
  Effect.flatMap(
    createAs(principal, request, null),
    (created) => created === "exists" ? Effect.dieMessage("a fresh scan id already has a log") : Effect.succeed(created)
  )

/**
 * Creates the scan under `id` when given (a schedule's run, whose id follows from the schedule and the due time):
 * "exists" when that scan was created already, so a repeated creation is one scan.
 */
export const createAs = (principal: Principal, request: CreateScanRequest, id: ScanId | null) =>
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
    const scanId = id ?? (yield* randomUuid) as ScanId
    const commandId = yield* randomUuid
    const { created, state } = yield* creation(scanId, header, resolved)
    // The webhook first: the scan's first status change must find it.
    if (request.webhook !== undefined) yield* (yield* WebhookStore).set(scanId, request.webhook)
    // The edges are written from the stored scan, and staged first so the node's sweep writes them if this cannot.
    const dependencies = yield* ScanDependencies
    if (dependsOn !== null) yield* dependencies.stage(scanId, commandId)
    const inbox = yield* ShardInbox
    const appended = yield* (yield* EventStore).append([{
      scan_id: scanId,
      shard: shardOf(scanId, inbox.shards),
      expected_seq: 0,
      events: created,
      command_id: commandId,
      fence: null,
      state,
      snapshot: false
    }]).pipe(
      Effect.as(true),
      // A given id may have its log already (the same run created before); creation is not fenced.
      Effect.catchTags({ ConcurrencyConflict: () => Effect.succeed(false), StaleEpoch: Effect.die })
    )
    if (!appended) {
      if (dependsOn !== null) yield* dependencies.discard(commandId)
      return "exists" as const
    }
    // Dependencies that have all ended already: the scan goes at once. The scan is stored: a failure here is not the
    // creation's, and the node's sweep writes the staged edges (and starts the scan) later.
    if (dependsOn !== null) {
      yield* Chaining.writeEdges(scanId).pipe(
        Effect.catchAll((error) =>
          Effect.logWarning("dependency edges left to the sweep", error).pipe(Effect.annotateLogs({ scan_id: scanId }))
        )
      )
    }
    yield* Tracing.annotate({ scan_id: scanId })
    return { scan: toScan(state), warnings } satisfies CreatedScan
  }).pipe(Effect.withSpan("ScanService.create"))
