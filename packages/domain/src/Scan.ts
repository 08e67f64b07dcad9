/**
 * The Scan of the scan orchestration contract, exactly as on the wire (snake_case), with the
 * request bodies that create and update one.
 */
import { Schema } from "effect"
import { Entity, EntityType } from "./Entity.js"
import { ModuleId, OrganizationId, ScanId, TemplateId, UserId } from "./Ids.js"
import { ModuleSelection } from "./ModuleFlag.js"
import { ScanScope } from "./ScanScope.js"
import { ApiText, deepTextProblem } from "./Text.js"
import { anchored, httpUrl, isHttpUrl } from "./WirePatterns.js"

export const ScanStatus = Schema.Literal("CREATED", "RUNNING", "PAUSED", "COMPLETED", "FAILED", "CANCELLED")
export type ScanStatus = typeof ScanStatus.Type
export const terminalStatuses: ReadonlyArray<ScanStatus> = ["COMPLETED", "FAILED", "CANCELLED"]
export const isTerminal = (status: ScanStatus): boolean => terminalStatuses.includes(status)

export const Priority = Schema.Literal("LOW", "MEDIUM", "HIGH")
export type Priority = typeof Priority.Type

/** Keys that would reach an object's prototype when a configuration is spread or merged. */
const prototypeKeys: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"])

/** A module's configuration: a JSON object whose keys the module's own schema checks (prototype keys refused). */
export const ModuleConfig = Schema.Record({
  key: Schema.String.pipe(
    Schema.filter((key) => !prototypeKeys.has(key), { message: () => "a configuration key cannot be a prototype key" })
  ),
  value: Schema.Unknown
}).pipe(Schema.filter((config) => deepTextProblem(config) ?? true))
export type ModuleConfig = typeof ModuleConfig.Type

export class ScanModule extends Schema.Class<ScanModule>("ScanModule")({
  id: ModuleId,
  enabled: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  config: Schema.optionalWith(ModuleConfig, { default: () => ({}) })
}) {}

export const limits = {
  maxDurationSeconds: 7 * 24 * 3600,
  maxTaskTimeoutSeconds: 3600,
  maxResults: 1_000_000,
  maxRecursionDepth: 10,
  maxModules: 100,
  nameLength: 200,
  descriptionLength: 4000
} as const

const boundedInt = (min: number, max: number) => Schema.Int.pipe(Schema.between(min, max))

export class ScanConfiguration extends Schema.Class<ScanConfiguration>("ScanConfiguration")({
  /** Seconds of running time (paused time does not count). */
  max_duration: Schema.optionalWith(boundedInt(1, limits.maxDurationSeconds), { default: () => 3600 }),
  max_results: Schema.optionalWith(boundedInt(1, limits.maxResults), { default: () => 10_000 }),
  priority: Schema.optionalWith(Priority, { default: () => "MEDIUM" as const }),
  recursion_depth: Schema.optionalWith(boundedInt(0, limits.maxRecursionDepth), { default: () => 2 }),
  /** Seconds one task (a module on one entity, its retries included) may run before it fails as timed out. */
  task_timeout: Schema.optionalWith(boundedInt(1, limits.maxTaskTimeoutSeconds), { default: () => 60 }),
  /** What recursion may process (see ScanScope); unbounded when absent. */
  scope: Schema.optionalWith(ScanScope, { exact: true }),
  /** Set by a schedule: follow-up modules run only on entities new since the schedule's previous run. */
  new_entities_only: Schema.optionalWith(Schema.Boolean, { exact: true })
}) {}

export const defaultConfiguration = (): ScanConfiguration => ScanConfiguration.make({})

/**
 * A configuration as a request gives it: every field optional, unset ones filled in later (from the
 * template, then the defaults). Spelled out because `Schema.partial` cannot take fields with defaults.
 */
export const ScanConfigurationInput = Schema.Struct({
  max_duration: Schema.optional(boundedInt(1, limits.maxDurationSeconds)),
  max_results: Schema.optional(boundedInt(1, limits.maxResults)),
  priority: Schema.optional(Priority),
  recursion_depth: Schema.optional(boundedInt(0, limits.maxRecursionDepth)),
  task_timeout: Schema.optional(boundedInt(1, limits.maxTaskTimeoutSeconds)),
  scope: Schema.optionalWith(ScanScope, { exact: true }),
  new_entities_only: Schema.optionalWith(Schema.Boolean, { exact: true })
})
export type ScanConfigurationInput = typeof ScanConfigurationInput.Type

/** `base` with the fields `requested` names replaced: how a template, then a request, override a configuration. */
export const overrideConfiguration = (
  base: ScanConfiguration,
  requested: ScanConfigurationInput = {}
): ScanConfiguration => {
  const scope = requested.scope ?? base.scope
  const newOnly = requested.new_entities_only ?? base.new_entities_only
  return ScanConfiguration.make({
    max_duration: requested.max_duration ?? base.max_duration,
    max_results: requested.max_results ?? base.max_results,
    priority: requested.priority ?? base.priority,
    recursion_depth: requested.recursion_depth ?? base.recursion_depth,
    task_timeout: requested.task_timeout ?? base.task_timeout,
    ...(scope === undefined ? {} : { scope }),
    ...(newOnly === undefined ? {} : { new_entities_only: newOnly })
  })
}

/** What happens to a chained scan when a scan it depends on fails or is cancelled. */
export const OnDependencyFailure = Schema.Literal("fail", "continue")

export const Dependencies = Schema.Struct({
  scan_ids: Schema.Array(ScanId).pipe(Schema.minItems(1), Schema.maxItems(20)),
  /** Which result types of the dependencies become this scan's targets. */
  result_types: Schema.optionalWith(Schema.Array(EntityType), { default: () => [] }),
  on_failure: Schema.optionalWith(OnDependencyFailure, { default: () => "fail" as const })
})

export type Dependencies = typeof Dependencies.Type

/**
 * Where a scan's status changes are POSTed: each body is signed with HMAC-SHA256 under `secret`
 * (header `X-Mirage-Signature: sha256=<hex>`). The secret is write-only: never returned.
 */
export const Webhook = Schema.Struct({
  url: ApiText({ max: 2048 }).pipe(
    Schema.filter((text) => isHttpUrl(text) || "a webhook url is an http(s) URL", {
      jsonSchema: { pattern: anchored(httpUrl) }
    })
  ),
  secret: ApiText({ min: 16, max: 256 })
})
export type Webhook = typeof Webhook.Type

export const Name = ApiText({ min: 1, max: limits.nameLength })
export const Description = ApiText({ max: limits.descriptionLength })

/** The definition a user controls: what POST /scans takes and PUT /scans/{id} replaces. */
export const ScanDefinitionFields = {
  name: Name,
  description: Schema.optionalWith(Description, { default: () => "" }),
  target: Entity,
  modules: Schema.Array(ScanModule).pipe(Schema.maxItems(limits.maxModules)),
  configuration: ScanConfiguration
}

export class ScanDefinition extends Schema.Class<ScanDefinition>("ScanDefinition")(ScanDefinitionFields) {}

export class CreateScanRequest extends Schema.Class<CreateScanRequest>("CreateScanRequest")({
  name: Name,
  description: Schema.optional(Description),
  target: Entity,
  modules: Schema.optional(Schema.Array(ScanModule).pipe(Schema.maxItems(limits.maxModules))),
  /** Modules chosen by flag, besides those `modules` (or the template) names. */
  select: Schema.optional(ModuleSelection),
  configuration: Schema.optional(ScanConfigurationInput),
  template_id: Schema.optional(TemplateId),
  depends_on: Schema.optional(Dependencies),
  webhook: Schema.optional(Webhook)
}) {}

export class UpdateScanRequest extends Schema.Class<UpdateScanRequest>("UpdateScanRequest")({
  name: Schema.optional(Name),
  description: Schema.optional(Description),
  target: Schema.optional(Entity),
  modules: Schema.optional(Schema.Array(ScanModule).pipe(Schema.maxItems(limits.maxModules))),
  configuration: Schema.optional(ScanConfigurationInput),
  /** Null removes the dependencies; absent keeps them. */
  depends_on: Schema.optional(Schema.NullOr(Dependencies)),
  /** Null removes the webhook; absent keeps it. */
  webhook: Schema.optional(Schema.NullOr(Webhook))
}) {}

const Timestamp = Schema.NullOr(Schema.DateTimeUtc)

/** The seed's Scan, plus what an operator needs to read it (result count, why it ended). */
export class Scan extends Schema.Class<Scan>("Scan")({
  id: ScanId,
  name: Name,
  description: Schema.String,
  user_id: UserId,
  organization_id: OrganizationId,
  status: ScanStatus,
  progress: Schema.Number.pipe(Schema.between(0, 1)),
  target: Entity,
  modules: Schema.Array(ScanModule),
  created_at: Schema.DateTimeUtc,
  updated_at: Schema.DateTimeUtc,
  started_at: Timestamp,
  completed_at: Timestamp,
  configuration: ScanConfiguration,
  /** Results the scan's modules found: what `max_results` bounds, and what progress events and webhooks report. */
  result_count: Schema.Int,
  /**
   * Correlation findings of the scan (CORRELATION results, outside `max_results`), counted apart: the results listed
   * are `result_count` + `correlation_count` (and the modules' enrichments of entities). The last ones are settled
   * just after the scan ends.
   */
  correlation_count: Schema.Int,
  status_reason: Schema.NullOr(Schema.String),
  template_id: Schema.NullOr(TemplateId),
  /** The scans this one waits for (chaining). */
  depends_on: Schema.NullOr(Dependencies)
}) {}
