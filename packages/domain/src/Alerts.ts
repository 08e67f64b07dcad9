/**
 * Alert rules of an organization and the alerts a completed run raises under them: a pure function of the
 * run's inventory change, with ids derived from what each alert is about so that the same run (or the same
 * certificate nearing its end) never raises the same alert twice.
 */
import { DateTime, Schema } from "effect"
import { EntityType } from "./Entity.js"
import { deriveUuid, OrganizationId, ScanId } from "./Ids.js"
import type { AssetRecord } from "./Inventory.js"
import { ApiText } from "./Text.js"

export const Severity = Schema.Literal("info", "low", "medium", "high", "critical")
export type Severity = typeof Severity.Type
export const severityRank = (severity: Severity): number => Severity.literals.indexOf(severity)

export const AlertRuleId = Schema.UUID.pipe(Schema.brand("AlertRuleId"))
export type AlertRuleId = typeof AlertRuleId.Type
export const AlertId = Schema.UUID.pipe(Schema.brand("AlertId"))
export type AlertId = typeof AlertId.Type

const Types = Schema.Array(EntityType).pipe(Schema.minItems(1), Schema.maxItems(EntityType.literals.length))

/** An entity of these types appears (optionally: only a DOMAIN under the run's root domain). */
export const NewEntityCondition = Schema.TaggedStruct("new_entity", {
  types: Types,
  under_root: Schema.optionalWith(Schema.Boolean, { default: () => false })
})
/** An entity of these types the previous run saw is no longer seen. */
export const GoneEntityCondition = Schema.TaggedStruct("entity_gone", { types: Types })
/** A certificate-bearing entity the run sees ends its validity within `within_days` of the run. */
export const CertificateExpiringCondition = Schema.TaggedStruct("certificate_expiring", {
  within_days: Schema.Int.pipe(Schema.between(1, 365))
})
export const AlertCondition = Schema.Union(NewEntityCondition, GoneEntityCondition, CertificateExpiringCondition)
export type AlertCondition = typeof AlertCondition.Type

const RuleFields = {
  name: ApiText({ min: 1, max: 200 }),
  condition: AlertCondition,
  severity: Schema.optionalWith(Severity, { default: () => "medium" as const }),
  /** One message per run with every alert of the rule, instead of one message per alert. */
  digest: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  enabled: Schema.optionalWith(Schema.Boolean, { default: () => true })
}

export class CreateAlertRuleRequest extends Schema.Class<CreateAlertRuleRequest>("CreateAlertRuleRequest")(
  RuleFields
) {}

export class UpdateAlertRuleRequest extends Schema.Class<UpdateAlertRuleRequest>("UpdateAlertRuleRequest")({
  name: Schema.optional(RuleFields.name),
  condition: Schema.optional(AlertCondition),
  severity: Schema.optional(Severity),
  digest: Schema.optional(Schema.Boolean),
  enabled: Schema.optional(Schema.Boolean)
}) {}

export class AlertRule extends Schema.Class<AlertRule>("AlertRule")({
  id: AlertRuleId,
  organization_id: OrganizationId,
  name: RuleFields.name,
  condition: AlertCondition,
  severity: Severity,
  digest: Schema.Boolean,
  enabled: Schema.Boolean,
  created_at: Schema.DateTimeUtc
}) {}

export const AlertKind = Schema.Literal("new_entity", "entity_gone", "certificate_expiring")

export class AlertEntity extends Schema.Class<AlertEntity>("AlertEntity")({
  type: EntityType,
  value: Schema.String,
  expires_at: Schema.NullOr(Schema.DateTimeUtc)
}) {}

/** One alert: a rule's finding about one run (a digest carries all of the rule's entities for the run). */
export class Alert extends Schema.Class<Alert>("Alert")({
  id: AlertId,
  organization_id: OrganizationId,
  rule_id: AlertRuleId,
  rule_name: Schema.String,
  kind: AlertKind,
  severity: Severity,
  scan_id: ScanId,
  target: Schema.String,
  digest: Schema.Boolean,
  entities: Schema.Array(AlertEntity),
  at: Schema.DateTimeUtc
}) {}

/** What a run changed in its series' inventory, as the alert rules read it. */
export interface RunChange {
  readonly organization_id: OrganizationId
  readonly scan_id: ScanId
  /** The series' root target's value (e.g. the root domain). */
  readonly target: string
  readonly at: number
  /** The run's series inventory after the run. */
  readonly assets: ReadonlyArray<AssetRecord>
  /** Keys (`TYPE:value`) the run before this one saw; null for a series' first run. */
  readonly previous: ReadonlySet<string> | null
}

const dayMs = 86_400_000

const underRoot = (value: string, root: string) => value === root || value.endsWith(`.${root}`)

/** The entities a rule matches in a run's change. */
export const matches = (rule: AlertRule, change: RunChange): ReadonlyArray<AssetRecord> => {
  const condition = rule.condition
  switch (condition._tag) {
    case "new_entity":
      // The first run of a series is its baseline: nothing in it is "new since last time".
      if (change.previous === null) return []
      return change.assets.filter((asset) =>
        asset.last_scan === change.scan_id && asset.status === "new" && condition.types.includes(asset.type) &&
        (!condition.under_root || (asset.type === "DOMAIN" && underRoot(asset.value, change.target)))
      )
    case "entity_gone":
      return change.assets.filter((asset) =>
        asset.status === "gone" && condition.types.includes(asset.type) &&
        change.previous?.has(`${asset.type}:${asset.value}`) === true
      )
    case "certificate_expiring":
      return change.assets.filter((asset) =>
        asset.last_scan === change.scan_id && asset.expires_at !== null &&
        asset.expires_at - change.at <= condition.within_days * dayMs
      )
  }
}

/**
 * The alerts of a run: per matching entity, or one per rule when the rule digests. Ids: a certificate's alert is
 * keyed by the certificate's end of validity (raised once, not at every run); the others by the run. A digest's id
 * is that of the set of what it reports.
 */
export const evaluate = (rules: ReadonlyArray<AlertRule>, change: RunChange): ReadonlyArray<Alert> =>
  rules.filter((rule) => rule.enabled).flatMap((rule) => {
    const found = [...matches(rule, change)].sort((a, b) =>
      a.type === b.type ? (a.value < b.value ? -1 : a.value > b.value ? 1 : 0) : a.type < b.type ? -1 : 1
    )
    if (found.length === 0) return []
    const kind = rule.condition._tag
    const keyOf = (asset: AssetRecord) =>
      kind === "certificate_expiring"
        ? `${asset.type}:${asset.value}:${asset.expires_at}`
        : `${change.scan_id}:${asset.type}:${asset.value}`
    const make = (assets: ReadonlyArray<AssetRecord>, id: string) =>
      Alert.make({
        id: AlertId.make(id),
        organization_id: change.organization_id,
        rule_id: rule.id,
        rule_name: rule.name,
        kind,
        severity: rule.severity,
        scan_id: change.scan_id,
        target: change.target,
        digest: rule.digest,
        entities: assets.map((asset) =>
          AlertEntity.make({
            type: asset.type,
            value: asset.value,
            expires_at: asset.expires_at === null ? null : DateTime.unsafeMake(asset.expires_at)
          })
        ),
        at: DateTime.unsafeMake(change.at)
      })
    return rule.digest
      ? [make(found, deriveUuid("alert-digest", rule.id, ...found.map(keyOf)))]
      : found.map((asset) => make([asset], deriveUuid("alert", rule.id, keyOf(asset))))
  })
