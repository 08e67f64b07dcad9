/**
 * The scan use cases behind the HTTP API: create scans (ScanService/Create), send them lifecycle commands and
 * updates (ScanService/Commands) and read them (ScanService/Queries). This file holds the port and its layers;
 * the checks creations and updates share are in ScanService/Validation.
 */
import type { Principal } from "@mirage/domain/api/Authentication"
import type { BadRequest, Conflict, NotFound, PreconditionFailed } from "@mirage/domain/api/Errors"
import type { PageBytesOf } from "@mirage/domain/api/JsonText"
import type {
  HistoryPage,
  HistoryParams,
  ListResultsParams,
  ListScansParams,
  ResultPage,
  ScanPage,
  ScanPlan,
  ScanStatusReport
} from "@mirage/domain/api/ScansApi"
import type { CollectionResult } from "@mirage/domain/CollectionTask"
import type { ScanId } from "@mirage/domain/Ids"
import type { CreateScanRequest, Scan, UpdateScanRequest } from "@mirage/domain/Scan"
import { Config, Context, Duration, Effect, Layer, Option, Tracer } from "effect"
import type { Stream } from "effect"
import { Replies } from "../cluster/Replies.js"
import { ShardInbox } from "../cluster/ShardInbox.js"
import { ModuleCatalog } from "../collection/ModuleCatalog.js"
import { defaultPolicy, policyFromConfig } from "../collection/ScopeGuard.js"
import type { NetworkPolicy } from "../collection/ScopeGuard.js"
import type { PersistenceError } from "../platform/Errors.js"
import { ScanDependencies } from "./Chaining.js"
import * as ChainingPostgres from "./Chaining/Postgres.js"
import { EventStore } from "./EventStore.js"
import { ScanQuotas } from "./Quotas.js"
import * as QuotasPostgres from "./Quotas/Postgres.js"
import { ResultStore } from "./ResultStore.js"
import { ScanReadModel } from "./ScanReadModel.js"
import * as Commands from "./ScanService/Commands.js"
import type { CommandOutcome, UserCommand } from "./ScanService/Commands.js"
import * as Create from "./ScanService/Create.js"
import type { CreatedScan } from "./ScanService/Create.js"
import * as Queries from "./ScanService/Queries.js"
import * as Settings from "./Settings.js"
import { TemplateStore } from "./Templates.js"
import * as TemplatesPostgres from "./Templates/Postgres.js"
import { WebhookPolicy, WebhookStore } from "./Webhooks.js"
import * as WebhooksPostgres from "./Webhooks/Postgres.js"

export { CommandOutcome } from "./ScanService/Commands.js"
export type { UserCommand } from "./ScanService/Commands.js"
export type { CreatedScan } from "./ScanService/Create.js"

export interface ScanServiceShape {
  readonly create: (
    principal: Principal,
    request: CreateScanRequest
  ) => Effect.Effect<CreatedScan, BadRequest | PersistenceError>
  /** Creates the scan under a given id (a schedule's run): "exists" when it was created already. */
  readonly createAs: (
    principal: Principal,
    request: CreateScanRequest,
    id: ScanId
  ) => Effect.Effect<CreatedScan | "exists", BadRequest | PersistenceError>
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
  /**
   * The page `results` gives, to be written as the JSON of its wire encoding in UTF-8 bytes, the results' stored bytes
   * passed through.
   */
  readonly resultsJson: (
    principal: Principal,
    id: ScanId,
    params: ListResultsParams
  ) => Effect.Effect<PageBytesOf<typeof ResultPage>, NotFound | BadRequest | PersistenceError>
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

/**
 * The settings of the service: how long commands wait for their answers, and the network policy webhook URLs are
 * checked against (production's default policy when absent: the public internet only).
 */
export interface ScanServiceOptions extends Commands.Waits {
  readonly webhookPolicy?: NetworkPolicy
}

export const ScanServiceConfig: Config.Config<Commands.Waits> = Config.all({
  commandWaitMs: Config.map(Settings.commandWait, Duration.toMillis),
  projectionWaitMs: Config.map(Settings.projectionWait, Duration.toMillis)
})

/** The settings from the environment, the webhook policy the nodes' scope guard enforces included. */
const configured = Effect.gen(function*() {
  const waits = yield* ScanServiceConfig
  return { ...waits, webhookPolicy: yield* policyFromConfig } satisfies ScanServiceOptions
})

/** The ports the use cases read. */
const portTags = [
  ModuleCatalog,
  EventStore,
  ShardInbox,
  Replies,
  ScanReadModel,
  ResultStore,
  TemplateStore,
  ScanQuotas,
  ScanDependencies,
  WebhookStore
] as const
type Ports = Context.Tag.Identifier<typeof portTags[number]>

export const make = (options: ScanServiceOptions) =>
  Effect.gen(function*() {
    // Only the ports and the webhook policy: the rest of the context the service is built in (a span, say) must not
    // reach its callers. A call runs in this context, made once, with the caller's span added (its spans nest in the
    // request's): not in a copy of the caller's whole context (≈ 40 services in the gateway) made twice per call.
    const ports = Context.add(
      Context.pick(...portTags)(yield* Effect.context<Ports>()),
      WebhookPolicy,
      options.webhookPolicy ?? defaultPolicy
    )
    const run = <A, E>(effect: Effect.Effect<A, E, Ports>): Effect.Effect<A, E> =>
      Effect.mapInputContext(effect, (caller: Context.Context<never>) =>
        Option.match(Context.getOption(caller, Tracer.ParentSpan), {
          onNone: () =>
            ports,
          onSome: (span) => Context.add(ports, Tracer.ParentSpan, span)
        }))
    return ScanService.of({
      create: (principal, request) =>
        run(Create.create(principal, request)),
      createAs: (principal, request, id) => run(Create.createAs(principal, request, id)),
      planNew: (principal, request) => run(Create.planNew(principal, request)),
      plan: (principal, id) => run(Queries.plan(principal, id)),
      update: (principal, id, request, expectedSeq) =>
        run(Commands.update(options, principal, id, request, expectedSeq)),
      history: (principal, id, params) => run(Queries.history(principal, id, params)),
      exportResults: (principal, id, params) => run(Queries.exportResults(principal, id, params)),
      get: (principal, id) => run(Queries.get(principal, id)),
      getVersioned: (principal, id) => run(Queries.getVersioned(principal, id)),
      list: (principal, params) => run(Queries.list(principal, params)),
      status: (principal, id) => run(Queries.status(principal, id)),
      results: (principal, id, params) => run(Queries.results(principal, id, params)),
      resultsJson: (principal, id, params) => run(Queries.resultsJson(principal, id, params)),
      command: (principal, id, command) => run(Commands.command(options, principal, id, command))
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
export const layer = Layer.effect(ScanService, Effect.flatMap(configured, make)).pipe(
  Layer.provide(layerStores)
)

export const layerWith = (options: ScanServiceOptions) =>
  Layer.effect(ScanService, make(options)).pipe(Layer.provide(layerStores))

/** The service over whatever stores are provided (memory twins in unit tests). */
export const layerPorts = (options: ScanServiceOptions) => Layer.effect(ScanService, make(options))
