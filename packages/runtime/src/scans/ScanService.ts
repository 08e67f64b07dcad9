/**
 * The scan use cases behind the HTTP API: validate and create scans (appending their creation
 * event; from a template, chained, with a webhook), plan them, read them from the projection, and
 * send lifecycle commands to the scan's node — starts through the organization's quota — waiting
 * briefly for its answer so a client learns "applied" or "refused" instead of "sent".
 */
import type { Principal } from "@mirage/domain/api/Authentication"
import { BadRequest, Conflict, NotFound, PreconditionFailed } from "@mirage/domain/api/Errors"
import type { InvalidField } from "@mirage/domain/api/Errors"
import {
  HistoryEntry,
  HistoryPage,
  ResultPage,
  ScanPage,
  ScanPlan,
  ScanStatusReport,
  TaskCounts
} from "@mirage/domain/api/ScansApi"
import type { HistoryParams, ListResultsParams, ListScansParams } from "@mirage/domain/api/ScansApi"
import type { CollectionResult } from "@mirage/domain/CollectionTask"
import { normalizeEntity } from "@mirage/domain/Entity"
import type { EntityType } from "@mirage/domain/Entity"
import type { ModuleId, ScanId } from "@mirage/domain/Ids"
import { planGraph } from "@mirage/domain/Planner"
import {
  isTerminal,
  overrideConfiguration,
  ScanConfiguration,
  ScanDefinition,
  ScanModule,
  ScanStatus
} from "@mirage/domain/Scan"
import type { CreateScanRequest, Dependencies, Scan, UpdateScanRequest } from "@mirage/domain/Scan"
import type { PlannedModule, ScanCommand, ScanEvent, ScanHeader } from "@mirage/domain/ScanEvent"
import { decide, initial, toScan } from "@mirage/domain/ScanMachine"
import type { Template } from "@mirage/domain/Template"
import { Chunk, Clock, Config, Context, Data, DateTime, Effect, Either, Layer, Option, Schema, Stream } from "effect"
import { randomUUID } from "node:crypto"
import { Replies } from "../cluster/Replies.js"
import type { Reply } from "../cluster/Replies.js"
import { ShardInbox } from "../cluster/ShardInbox.js"
import type { Envelope } from "../cluster/ShardInbox.js"
import { shardOf } from "../cluster/Shards.js"
import { ModuleCatalog } from "../collection/ModuleCatalog.js"
import type { CatalogEntry } from "../collection/ModuleCatalog.js"
import type { PersistenceError } from "../platform/Errors.js"
import * as Chaining from "./Chaining.js"
import { ScanDependencies } from "./Chaining.js"
import * as ChainingPostgres from "./Chaining/Postgres.js"
import { EventStore } from "./EventStore.js"
import { ScanQuotas } from "./Quotas.js"
import * as QuotasPostgres from "./Quotas/Postgres.js"
import type { ResultQuery } from "./ResultStore.js"
import { decodeCursor as decodeResultCursor, ResultStore } from "./ResultStore.js"
import { decodeCursor, ScanReadModel } from "./ScanReadModel.js"
import type { ScanView } from "./ScanReadModel.js"
import { findBuiltin, missingModules, TemplateStore } from "./Templates.js"
import * as TemplatesPostgres from "./Templates/Postgres.js"
import { WebhookStore } from "./Webhooks.js"
import * as WebhooksPostgres from "./Webhooks/Postgres.js"

/** Lifecycle commands a user sends to an existing scan (updates go through `update`). */
export type UserCommand = Extract<
  ScanCommand,
  { readonly _tag: "StartScan" | "PauseScan" | "ResumeScan" | "StopScan" | "DeleteScan" }
>

/** How a command ended for its sender. */
export type CommandOutcome = Data.TaggedEnum<{
  /** The node applied it; the scan as the projection shows it afterwards, and its version (the seq of its log). */
  Applied: { readonly scan: Scan; readonly seq?: number }
  /** No node answered within the wait (or the command went out without waiting); the scan as currently known. */
  Pending: { readonly scan: Scan }
  /** A start beyond the organization's quota: the scan waits its turn. */
  Queued: { readonly scan: Scan; readonly position: number }
}>
export const CommandOutcome = Data.taggedEnum<CommandOutcome>()

export interface CreatedScan {
  readonly scan: Scan
  /** What the planner noticed, e.g. a module that can never run for this target. */
  readonly warnings: ReadonlyArray<string>
}

export interface ScanServiceShape {
  readonly create: (
    principal: Principal,
    request: CreateScanRequest
  ) => Effect.Effect<CreatedScan, BadRequest | PersistenceError>
  /** The dry run of a creation: everything is validated and planned, nothing is created. */
  readonly planNew: (
    principal: Principal,
    request: CreateScanRequest
  ) => Effect.Effect<ScanPlan, BadRequest | PersistenceError>
  readonly plan: (principal: Principal, id: ScanId) => Effect.Effect<ScanPlan, NotFound | PersistenceError>
  readonly update: (
    principal: Principal,
    id: ScanId,
    request: UpdateScanRequest,
    /** If-Match: the version (log seq) the client last read; a scan at another one refuses the update. */
    expectedSeq?: number
  ) => Effect.Effect<CommandOutcome, NotFound | Conflict | BadRequest | PreconditionFailed | PersistenceError>
  readonly history: (
    principal: Principal,
    id: ScanId,
    params: HistoryParams
  ) => Effect.Effect<HistoryPage, NotFound | BadRequest | PersistenceError>
  /** Every result matching the filters (cursor and limit ignored), read page by page as the stream is pulled. */
  readonly exportResults: (
    principal: Principal,
    id: ScanId,
    params: ListResultsParams
  ) => Effect.Effect<Stream.Stream<CollectionResult, PersistenceError>, NotFound | PersistenceError>
  readonly get: (principal: Principal, id: ScanId) => Effect.Effect<Scan, NotFound | PersistenceError>
  readonly list: (
    principal: Principal,
    params: ListScansParams
  ) => Effect.Effect<ScanPage, BadRequest | PersistenceError>
  readonly status: (principal: Principal, id: ScanId) => Effect.Effect<ScanStatusReport, NotFound | PersistenceError>
  readonly results: (
    principal: Principal,
    id: ScanId,
    params: ListResultsParams
  ) => Effect.Effect<ResultPage, NotFound | BadRequest | PersistenceError>
  readonly command: (
    principal: Principal,
    id: ScanId,
    command: UserCommand
  ) => Effect.Effect<CommandOutcome, NotFound | Conflict | PreconditionFailed | PersistenceError>
  /** A scan with its version (the seq of its log), for ETag. */
  readonly getVersioned: (
    principal: Principal,
    id: ScanId
  ) => Effect.Effect<{ readonly scan: Scan; readonly seq: number }, NotFound | PersistenceError>
}

export class ScanService extends Context.Tag("@mirage/runtime/ScanService")<ScanService, ScanServiceShape>() {}

export interface ScanServiceOptions {
  /** How long a command waits for the node's reply before answering "pending". */
  readonly commandWaitMs: number
  /** After the node applied a command, how long to wait for the projection to show it. */
  readonly projectionWaitMs: number
}

export const ScanServiceConfig: Config.Config<ScanServiceOptions> = Config.all({
  commandWaitMs: Config.integer("MIRAGE_COMMAND_WAIT_MS").pipe(
    Config.withDefault(5000),
    Config.withDescription("how long a command request waits for its node's answer before 202")
  ),
  projectionWaitMs: Config.integer("MIRAGE_PROJECTION_WAIT_MS").pipe(
    Config.withDefault(2000),
    Config.withDescription("how long an applied command waits for the read model to show it")
  )
})

const zeroCounts = TaskCounts.make({ queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 })

const invalid = (errors: ReadonlyArray<InvalidField>) =>
  new BadRequest({ detail: errors.map((e) => `${e.field}: ${e.message}`).join("; "), errors })

const notFound = (id: string) => new NotFound({ detail: `no scan ${id}` })

const planned = (entry: CatalogEntry, config: ScanModule["config"]): PlannedModule => ({
  id: entry.id,
  input_types: entry.input_types,
  output_types: entry.output_types,
  config
})

/** The W3C traceparent of the current span, so the node's spans join the request's trace. */
const traceparent = Effect.map(
  Effect.option(Effect.currentSpan),
  Option.match({
    onNone: () => null,
    onSome: (span) => `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`
  })
)

const decodeStatus = Schema.decodeUnknownOption(ScanStatus)

export const make = (options: ScanServiceOptions) =>
  Effect.gen(function*() {
    const catalog = yield* ModuleCatalog
    const events = yield* EventStore
    const inbox = yield* ShardInbox
    const replies = yield* Replies
    const readModel = yield* ScanReadModel
    const resultStore = yield* ResultStore
    const templates = yield* TemplateStore
    const quotas = yield* ScanQuotas
    const dependencies = yield* ScanDependencies
    const webhooks = yield* WebhookStore
    // What chaining needs to start a dependent scan from here (dependencies already ended at its creation).
    const chainingContext = yield* Effect.context<ScanReadModel | ResultStore | ShardInbox | ScanQuotas>()

    const visible = (principal: Principal, id: ScanId) =>
      Effect.flatMap(
        readModel.get(principal.organization_id, id),
        Option.match({ onNone: () => Effect.fail(notFound(id)), onSome: Effect.succeed })
      )

    /**
     * The modules of a scan. Without a list: every catalog module the scan can reach, i.e.
     * whose input types include the target's type or a type that reachable modules produce within
     * the recursion depth (the planner's graph over the whole catalog).
     */
    const resolveModules = (
      requested: ReadonlyArray<ScanModule> | undefined,
      targetType: EntityType,
      depth: number,
      problems: Array<InvalidField>
    ): Array<{ readonly module: ScanModule; readonly plan: PlannedModule | null }> => {
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
      const seen = new Set<string>()
      const resolved: Array<{ readonly module: ScanModule; readonly plan: PlannedModule | null }> = []
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
            resolved.push({
              module: ScanModule.make({ id: module.id, enabled: module.enabled, config }),
              plan: module.enabled ? planned(entry.value, config) : null
            })
        })
      })
      if (problems.length === 0 && !resolved.some((r) => r.plan !== null)) {
        problems.push({ field: "modules", message: "at least one module must be enabled" })
      }
      return resolved
    }

    /** The organization's template or a built-in one. */
    const findTemplate = (principal: Principal, id: string) =>
      Option.match(findBuiltin(id), {
        onSome: (template) => Effect.succeedSome(template),
        onNone: () => templates.get(principal.organization_id, id as Template["id"])
      })

    /** Dependencies must exist in the organization, and (for an existing scan) must not lead back to it. */
    const checkDependencies = (
      principal: Principal,
      dependsOn: Dependencies | null,
      self: ScanId | null,
      problems: Array<InvalidField>
    ) =>
      Effect.gen(function*() {
        if (dependsOn === null) return
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
        } else if (yield* dependencies.reaches(dependsOn.scan_ids, self)) {
          problems.push({ field: "depends_on.scan_ids", message: "the dependencies would form a cycle" })
        }
      })

    interface Resolved {
      readonly definition: ScanDefinition
      readonly plan: ReadonlyArray<PlannedModule>
      readonly warnings: ReadonlyArray<string>
      readonly template: Template | null
    }

    /** A creation request as the scan's definition and plan, or every problem it has. */
    const resolveCreate = (principal: Principal, request: CreateScanRequest) =>
      Effect.gen(function*() {
        const problems: Array<InvalidField> = []
        const warnings: Array<string> = []
        const target = Either.getOrElse(
          Either.mapLeft(normalizeEntity(request.target), (message) => {
            problems.push({ field: "target.value", message })
          }),
          () => request.target
        )
        let template: Template | null = null
        if (request.template_id !== undefined) {
          const found = yield* findTemplate(principal, request.template_id)
          if (Option.isNone(found)) {
            problems.push({ field: "template_id", message: `no template ${request.template_id}` })
          } else {
            template = found.value
            if (!template.target_types.includes(target.type)) {
              problems.push({
                field: "template_id",
                message: `template ${template.id} takes ${template.target_types.join(", ")} targets, not ${target.type}`
              })
            }
          }
        }
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
        const modules = resolveModules(requested, target.type, configuration.recursion_depth, problems)
        yield* checkDependencies(principal, request.depends_on ?? null, null, problems)
        if (problems.length > 0) return yield* invalid(problems)
        const plan = modules.flatMap((m) => (m.plan === null ? [] : [m.plan]))
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

    const planOf = (
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

    const planNew = (principal: Principal, request: CreateScanRequest) =>
      Effect.map(resolveCreate(principal, request), (r) => planOf(r.definition, r.plan, r.warnings)).pipe(
        Effect.withSpan("ScanService.planNew")
      )

    const create = (principal: Principal, request: CreateScanRequest) =>
      Effect.gen(function*() {
        const { definition, plan, template, warnings } = yield* resolveCreate(principal, request)
        const dependsOn = request.depends_on ?? null
        const header: ScanHeader = {
          organization_id: principal.organization_id,
          user_id: principal.user_id,
          template_id: template === null ? null : template.id,
          depends_on: dependsOn
        }
        // Node's CSPRNG rather than Effect's Random: the default Random has a 32-bit seed, so
        // replicas and restarts could repeat a sequence and collide on scan ids.
        const scanId = randomUUID() as ScanId
        const commandId = randomUUID()
        const now = yield* Clock.currentTimeMillis
        const created: Array<ScanEvent> = yield* Either.match(
          decide(undefined, { _tag: "CreateScan", scan_id: scanId, header, definition, plan }, now),
          { onLeft: (rejection) => Effect.die(rejection), onRight: Effect.succeed }
        )
        const first = created[0]
        if (first === undefined || first._tag !== "ScanCreated") {
          return yield* Effect.dieMessage("CreateScan did not produce ScanCreated")
        }
        const state = initial(first)
        // The webhook first: the scan's first status change must find it.
        if (request.webhook !== undefined) yield* webhooks.set(scanId, request.webhook)
        yield* events.append([{
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
          yield* dependencies.set(principal.organization_id, scanId, dependsOn.scan_ids)
          // Dependencies that have all ended already: the scan goes at once.
          yield* Chaining.trigger(principal.organization_id, scanId).pipe(Effect.provide(chainingContext))
        }
        yield* Effect.annotateCurrentSpan({ scan_id: scanId })
        return { scan: toScan(state), warnings }
      }).pipe(Effect.withSpan("ScanService.create"))

    const list = (principal: Principal, params: ListScansParams) =>
      Effect.gen(function*() {
        const cursor = params.cursor === undefined ? undefined : yield* Either.mapLeft(
          decodeCursor(params.cursor),
          () => BadRequest.field("cursor", "not a cursor of this listing")
        )
        const page = yield* readModel.list(principal.organization_id, {
          limit: params.limit,
          cursor,
          status: params.status,
          target_type: params.target_type,
          name: params.name,
          created_after: params.created_after,
          created_before: params.created_before
        })
        return ScanPage.make({ items: page.items.map((view) => view.scan), next_cursor: page.next_cursor })
      })

    const elapsedMs = (view: ScanView, now: number): number => {
      if (view.running_ms !== null) {
        return view.running_ms + (view.running_since === null ? 0 : Math.max(0, now - view.running_since))
      }
      // Without the running time in the projection: wall time since start (counts paused time).
      const { completed_at, started_at, status, updated_at } = view.scan
      if (started_at === null) return 0
      const end = completed_at ?? (status === "RUNNING" ? DateTime.unsafeMake(now) : updated_at)
      return Math.max(0, DateTime.toEpochMillis(end) - DateTime.toEpochMillis(started_at))
    }

    /** Whether some dependency of a CREATED scan has not ended yet. */
    const waitsForDependencies = (principal: Principal, scan: Scan) =>
      scan.status !== "CREATED" || scan.depends_on === null
        ? Effect.succeed(false)
        : Effect.map(
          Effect.forEach(scan.depends_on.scan_ids, (dep) => readModel.get(principal.organization_id, dep)),
          (views) => views.some((v) => Option.isSome(v) && !isTerminal(v.value.scan.status))
        )

    const rateWindowMs = 60_000

    const status = (principal: Principal, id: ScanId) =>
      Effect.gen(function*() {
        const view = yield* visible(principal, id)
        const now = yield* Clock.currentTimeMillis
        const { scan } = view
        const elapsed = elapsedMs(view, now)
        // Results per second over the last minute, or since the start when it ran less than that.
        const recent = scan.status === "RUNNING" && elapsed > rateWindowMs
          ? { results: yield* readModel.resultsSince(id, now - rateWindowMs), ms: rateWindowMs }
          : { results: scan.result_count, ms: elapsed }
        const rate = recent.ms <= 0 ? 0 : recent.results / (recent.ms / 1000)
        let eta: number | null = null
        if (scan.status === "RUNNING") {
          const { max_duration, max_results } = scan.configuration
          const bounds = [Math.max(0, max_duration - elapsed / 1000)]
          if (scan.progress > 0) bounds.push((elapsed / 1000) * (1 - scan.progress) / scan.progress)
          if (rate > 0) bounds.push(Math.max(0, max_results - scan.result_count) / rate)
          eta = Math.min(...bounds)
        }
        const position = scan.status === "CREATED" ? yield* quotas.position(principal.organization_id, id) : null
        const waiting = position !== null
          ? "quota" as const
          : (yield* waitsForDependencies(principal, scan))
          ? "dependencies" as const
          : null
        return ScanStatusReport.make({
          id: scan.id,
          status: scan.status,
          progress: scan.progress,
          result_count: scan.result_count,
          tasks: view.tasks === null ? zeroCounts : TaskCounts.make(view.tasks),
          started_at: scan.started_at,
          elapsed_seconds: elapsed / 1000,
          status_reason: scan.status_reason,
          rate_per_second: rate,
          eta_seconds: eta,
          estimated_completion_at: eta === null ? null : DateTime.unsafeMake(now + Math.round(eta * 1000)),
          waiting_for: waiting,
          queue_position: position
        })
      })

    const resultQuery = (id: ScanId, params: ListResultsParams, limit: number, cursor: string | undefined) =>
      ({
        owner: id,
        limit,
        ...(cursor === undefined ? {} : { cursor }),
        ...(params.data_type === undefined ? {} : { data_type: params.data_type }),
        ...(params.module === undefined ? {} : { module_id: params.module }),
        ...(params.min_confidence === undefined ? {} : { min_confidence: params.min_confidence })
      }) satisfies ResultQuery

    const results = (principal: Principal, id: ScanId, params: ListResultsParams) =>
      Effect.gen(function*() {
        yield* visible(principal, id)
        if (params.cursor !== undefined) {
          // A cursor that is not one of ours is the caller's mistake, not a store failure.
          yield* decodeResultCursor(params.cursor).pipe(
            Effect.mapError(() => BadRequest.field("cursor", "not a cursor of this listing"))
          )
        }
        const page = yield* resultStore.list(resultQuery(id, params, params.limit, params.cursor))
        return ResultPage.make({ items: page.items, next_cursor: page.next_cursor })
      })

    const exportPage = 500

    const exportResults = (principal: Principal, id: ScanId, params: ListResultsParams) =>
      Effect.as(
        visible(principal, id),
        Stream.paginateChunkEffect(undefined as string | undefined, (cursor) =>
          Effect.map(resultStore.list(resultQuery(id, params, exportPage, cursor)), (page) =>
            [
              Chunk.fromIterable(page.items),
              page.next_cursor === null ? Option.none() : Option.some<string | undefined>(page.next_cursor)
            ] as const))
      )

    /** The scan once the projection reflects events after `afterSeq`, or as it is when the wait ends. */
    const readYourWrites = (
      principal: Principal,
      id: ScanId,
      afterSeq: number
    ): Effect.Effect<Option.Option<ScanView>, PersistenceError> => {
      const read = readModel.get(principal.organization_id, id)
      const poll = (): Effect.Effect<Option.Option<ScanView>, PersistenceError> =>
        Effect.flatMap(read, (view) =>
          Option.isSome(view) && view.value.seq <= afterSeq
            ? Effect.zipRight(Effect.sleep("20 millis"), Effect.suspend(poll))
            : Effect.succeed(view))
      return poll().pipe(
        Effect.timeoutTo({
          duration: options.projectionWaitMs,
          onSuccess: Effect.succeed,
          onTimeout: () => read
        }),
        Effect.flatten
      )
    }

    const rejected = (view: ScanView, reply: Reply, id: ScanId) =>
      Effect.gen(function*() {
        const rejection = reply.rejection
        if (rejection?.tag === "ScanNotFound") return yield* notFound(id)
        if (rejection?.tag === "PreconditionFailed") return yield* new PreconditionFailed({ detail: rejection.message })
        if (rejection?.tag === "InvalidUpdate") {
          // Its message is "field: reason" (ScanMachine.InvalidUpdate).
          const [field = "", ...reason] = rejection.message.split(": ")
          return yield* BadRequest.field(field, reason.join(": "))
        }
        const current = Option.getOrElse(decodeStatus(rejection?.status), () => view.scan.status)
        return yield* new Conflict({
          detail: rejection?.message ?? "the scan refused the command",
          current_status: current
        })
      })

    /** Sends a command to the scan's node and waits for its answer (and for the projection to show it). */
    const send = (principal: Principal, before: ScanView, command: ScanCommand) =>
      Effect.gen(function*() {
        const id = before.scan.id
        const commandId = randomUUID()
        const envelope: Envelope = {
          target: id,
          command_id: commandId,
          command,
          reply_to: replies.channel,
          traceparent: yield* traceparent,
          sent_at: yield* Clock.currentTimeMillis
        }
        const reply = yield* replies.ask(commandId, inbox.send(envelope), options.commandWaitMs)
        if (Option.isNone(reply)) {
          const now = yield* readModel.get(principal.organization_id, id)
          return CommandOutcome.Pending({ scan: Option.getOrElse(now, () => before).scan })
        }
        if (reply.value.outcome === "rejected") return yield* rejected(before, reply.value, id)
        const after = yield* readYourWrites(principal, id, before.seq)
        return Option.match(after, {
          // Deleted by this very command: the last state known is the answer.
          onNone: () => CommandOutcome.Applied({ scan: before.scan }),
          onSome: (view) => CommandOutcome.Applied({ scan: view.scan, seq: view.seq })
        })
      })

    /** A start: refused while dependencies run, queued beyond the organization's quota, else sent. */
    const start = (principal: Principal, before: ScanView) =>
      Effect.gen(function*() {
        const { scan } = before
        if (scan.status !== "CREATED") return yield* send(principal, before, { _tag: "StartScan" })
        if (scan.depends_on !== null) {
          if (yield* waitsForDependencies(principal, scan)) {
            return yield* new Conflict({
              detail: "the scan waits for its dependencies: it starts by itself once they have all ended",
              current_status: scan.status
            })
          }
          // Its dependencies ended (the chaining observer may be on its way): chaining decides, seeds and starts.
          yield* Chaining.trigger(principal.organization_id, scan.id).pipe(Effect.provide(chainingContext))
          return CommandOutcome.Pending({ scan })
        }
        const { admission, alsoStart } = yield* quotas.admit(principal.organization_id, scan.id)
        yield* Chaining.startDue(alsoStart).pipe(Effect.provideService(ShardInbox, inbox))
        if (admission._tag === "Queued") return CommandOutcome.Queued({ scan, position: admission.position })
        return yield* send(principal, before, { _tag: "StartScan" })
      })

    const command = (principal: Principal, id: ScanId, command: UserCommand) =>
      Effect.gen(function*() {
        const before = yield* visible(principal, id)
        if (command._tag === "StartScan") return yield* start(principal, before)
        return yield* send(principal, before, command)
      }).pipe(
        // Only an update can be an invalid one.
        Effect.catchTag("BadRequest", Effect.die),
        Effect.withSpan("ScanService.command", { attributes: { scan_id: id, command: command._tag } })
      )

    /**
     * An update is a patch: the fields the request names, each validated here on its own, merged by the scan's actor
     * into the definition it owns (so concurrent updates of different fields all land, and a slow update is never
     * written back over by the next). `expectedSeq` (If-Match) makes it conditional on the scan's version.
     */
    const update = (principal: Principal, id: ScanId, request: UpdateScanRequest, expectedSeq?: number) =>
      Effect.gen(function*() {
        const before = yield* visible(principal, id)
        const current = before.scan
        if (current.status !== "CREATED" && current.status !== "PAUSED") {
          return yield* new Conflict({
            detail: `cannot update a scan that is ${current.status}`,
            current_status: current.status
          })
        }
        const problems: Array<InvalidField> = []
        const target = request.target === undefined ? undefined : Either.getOrElse(
          Either.mapLeft(normalizeEntity(request.target), (message) => {
            problems.push({ field: "target.value", message })
          }),
          () => request.target
        )
        const modules = request.modules === undefined
          ? undefined
          : resolveModules(request.modules, (target ?? current.target).type, 0, problems)
        if (request.depends_on !== undefined && current.status === "CREATED") {
          yield* checkDependencies(principal, request.depends_on, id, problems)
        }
        if (problems.length > 0) return yield* invalid(problems)
        if (request.webhook !== undefined) yield* webhooks.set(id, request.webhook)
        const outcome = yield* send(principal, before, {
          _tag: "UpdateScan",
          ...(request.name === undefined ? {} : { name: request.name }),
          ...(request.description === undefined ? {} : { description: request.description }),
          ...(target === undefined ? {} : { target }),
          ...(modules === undefined ? {} : {
            modules: modules.map((m) => m.module),
            plan: modules.flatMap((m) => (m.plan === null ? [] : [m.plan]))
          }),
          ...(request.configuration === undefined ? {} : { configuration: request.configuration }),
          ...(request.depends_on === undefined ? {} : { depends_on: request.depends_on }),
          ...(expectedSeq === undefined ? {} : { expected_seq: expectedSeq })
        })
        if (request.depends_on !== undefined && outcome._tag === "Applied") {
          yield* dependencies.set(principal.organization_id, id, request.depends_on?.scan_ids ?? [])
        }
        return outcome
      }).pipe(Effect.withSpan("ScanService.update", { attributes: { scan_id: id } }))

    const plan = (principal: Principal, id: ScanId) =>
      Effect.gen(function*() {
        yield* visible(principal, id)
        const loaded = yield* events.load(id)
        if (Option.isNone(loaded)) return yield* notFound(id)
        const { definition, plan } = loaded.value.state
        return planOf(definition, plan, [])
      })

    const HistoryCursor = Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative())

    const history = (principal: Principal, id: ScanId, params: HistoryParams) =>
      Effect.gen(function*() {
        yield* visible(principal, id)
        const after = params.cursor === undefined ? 0 : yield* Schema.decodeUnknown(HistoryCursor)(
          Buffer.from(params.cursor, "base64url").toString("utf8")
        ).pipe(Effect.mapError(() => BadRequest.field("cursor", "not a cursor of this listing")))
        const stored = yield* events.events(id, after, params.limit + 1)
        const page = stored.slice(0, params.limit)
        const last = page[page.length - 1]
        return HistoryPage.make({
          items: page.map((e) =>
            HistoryEntry.make({ seq: e.seq, type: e.event._tag, at: DateTime.unsafeMake(e.event.at), event: e.event })
          ),
          next_cursor: stored.length > params.limit && last !== undefined
            ? Buffer.from(String(last.seq), "utf8").toString("base64url")
            : null
        })
      })

    return ScanService.of({
      create,
      planNew,
      plan,
      update,
      history,
      exportResults,
      get: (principal, id) => Effect.map(visible(principal, id), (view) => view.scan),
      getVersioned: (principal, id) => Effect.map(visible(principal, id), ({ scan, seq }) => ({ scan, seq })),
      list,
      status,
      results,
      command
    })
  })

/** The Postgres stores the use cases need beyond those the gateway already has: templates, quotas, chaining, webhooks. */
export const layerStores = Layer.mergeAll(
  TemplatesPostgres.layer,
  QuotasPostgres.layer,
  ChainingPostgres.layer,
  WebhooksPostgres.layer
)

/** The service with its settings from the environment, over Postgres stores (PgClient needed). */
export const layer = Layer.effect(ScanService, Effect.flatMap(ScanServiceConfig, make)).pipe(
  Layer.provide(layerStores)
)

export const layerWith = (options: ScanServiceOptions) =>
  Layer.effect(ScanService, make(options)).pipe(Layer.provide(layerStores))

/** The service over whatever stores are provided (memory twins in unit tests). */
export const layerPorts = (options: ScanServiceOptions) => Layer.effect(ScanService, make(options))
