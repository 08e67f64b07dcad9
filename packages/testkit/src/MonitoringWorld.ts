/**
 * A world that changes between runs of one series (root `example.com`), one day apart: the second run finds a
 * new subdomain (and a partner's name, not under the root) while port 22 closes; the third finds a new port and
 * a vulnerability, and the certificate it keeps seeing is now within 30 days of its end; the fourth sees what the
 * third saw. Each run's results are what the modules would have stored; `answer` is the same world as each module
 * sees it, for scans that run the modules.
 */
import { AlertRule, AlertRuleId } from "@mirage/domain/Alerts"
import type { AlertCondition, Severity } from "@mirage/domain/Alerts"
import { CollectionResult } from "@mirage/domain/CollectionTask"
import { resultHash } from "@mirage/domain/Entity"
import type { EntityType } from "@mirage/domain/Entity"
import { deriveUuid, ModuleId, resultIdFor, ScanId, TaskId } from "@mirage/domain/Ids"
import type { OrganizationId } from "@mirage/domain/Ids"
import { DateTime } from "effect"

export const dayMs = 86_400_000
/** When the first run completes. */
export const start = Date.parse("2026-03-02T09:00:00.000Z")
export const root = "example.com"
/** The certificate every run sees ends 32 days after the first run: 30 days left at the third. */
export const certificateEnd = start + 32 * dayMs

interface Found {
  readonly type: EntityType
  readonly value: string
  readonly module: string
  /** The entity the module found it from: the root, or another finding. */
  readonly from: string
  readonly source_data?: Record<string, unknown>
}

const certificateData = (end: number) => ({ certificate: { valid_to: new Date(end).toUTCString() } })

const base: ReadonlyArray<Found> = [
  { type: "DOMAIN", value: "www.example.com", module: "crtsh", from: root },
  { type: "DOMAIN", value: "mail.example.com", module: "crtsh", from: root },
  { type: "DOMAIN", value: "cdn.partner.net", module: "crtsh", from: root },
  { type: "IP", value: "192.0.2.10", module: "dns_resolve", from: "www.example.com" },
  { type: "OPEN_PORT", value: "192.0.2.10:443", module: "port_scan_tcp", from: "192.0.2.10" },
  {
    type: "CERTIFICATE",
    value: "5f0c4d7a9e2b3c1d8e6f7a0b9c2d4e1f3a5b7c9d",
    module: "tls_certificate",
    from: "192.0.2.10:443",
    source_data: certificateData(certificateEnd)
  }
]
const port22: Found = { type: "OPEN_PORT", value: "192.0.2.10:22", module: "port_scan_tcp", from: "192.0.2.10" }
const dev: Found = { type: "DOMAIN", value: "dev.example.com", module: "crtsh", from: root }
const partner: Found = { type: "DOMAIN", value: "shop.partner.net", module: "crtsh", from: root }
const port8443: Found = { type: "OPEN_PORT", value: "192.0.2.10:8443", module: "port_scan_tcp", from: "192.0.2.10" }
const cve: Found = { type: "VULNERABILITY", value: "CVE-2024-3094", module: "shodan_internetdb", from: "192.0.2.10" }

/**
 * The world as its modules see it in run `n`: what `module` finds from `entity` (a value), the certificate ending at
 * `end` (by default `certificateEnd`), for scans that run the modules themselves.
 */
export const answer = (n: 1 | 2 | 3 | 4, module: string, entity: string, end = certificateEnd) =>
  found(n)
    .filter((item) => item.module === module && item.from === entity)
    .map((item) => item.type === "CERTIFICATE" ? { ...item, source_data: certificateData(end) } : item)

/** The modules of the world, as a scan's plan names them: what each takes and gives. */
export const modules: ReadonlyArray<{
  readonly id: string
  readonly input_types: ReadonlyArray<EntityType>
  readonly output_types: ReadonlyArray<EntityType>
}> = [
  { id: "crtsh", input_types: ["DOMAIN"], output_types: ["DOMAIN"] },
  { id: "dns_resolve", input_types: ["DOMAIN"], output_types: ["IP"] },
  { id: "port_scan_tcp", input_types: ["IP"], output_types: ["OPEN_PORT"] },
  { id: "shodan_internetdb", input_types: ["IP"], output_types: ["VULNERABILITY"] },
  { id: "tls_certificate", input_types: ["OPEN_PORT"], output_types: ["CERTIFICATE"] }
]

/** What run `n` (1-4) finds. */
export const found = (n: 1 | 2 | 3 | 4): ReadonlyArray<Found> =>
  n === 1
    ? [...base, port22]
    : n === 2
    ? [...base, dev, partner]
    : [...base, dev, partner, port8443, cve]

/** When run `n` completes. */
export const completedAt = (n: number) => start + (n - 1) * dayMs

/** The scan id of run `n` of a series named `series`. */
export const scanIdOf = (series: string, n: number) => ScanId.make(deriveUuid("monitoring-world", series, String(n)))

/** The results run `n` stores (owner: its scan). */
export const results = (scanId: ScanId, n: 1 | 2 | 3 | 4): ReadonlyArray<CollectionResult> =>
  found(n).map((item) => {
    const hash = resultHash(item.type, item.value)
    return CollectionResult.make({
      id: resultIdFor(scanId, hash),
      task_id: TaskId.make(deriveUuid("task", scanId, item.module)),
      scan_id: scanId,
      module_id: ModuleId.make(item.module),
      data_type: item.type,
      data: item.value,
      source_data: item.source_data ?? {},
      confidence: 0.9,
      collected_at: DateTime.unsafeMake(completedAt(n) - 60_000),
      metadata: {},
      hash,
      parent: null
    })
  })

/**
 * The alert rules an organization watching this world sets up, created the day before the first run: one per kind
 * of change the world makes (a new subdomain, port or vulnerability, a certificate ending, a port closed) and a daily
 * digest of what is new.
 */
export const alertRules = (organization: OrganizationId): ReadonlyArray<AlertRule> => {
  const rule = (name: string, condition: AlertCondition, severity: Severity, digest = false) =>
    AlertRule.make({
      id: AlertRuleId.make(deriveUuid("monitoring-world-rule", organization, name)),
      organization_id: organization,
      name,
      condition,
      severity,
      digest,
      enabled: true,
      created_at: DateTime.unsafeMake(start - dayMs)
    })
  return [
    rule("new subdomain", { _tag: "new_entity", types: ["DOMAIN"], under_root: true }, "high"),
    rule("new port", { _tag: "new_entity", types: ["OPEN_PORT"], under_root: false }, "medium"),
    rule("new vulnerability", { _tag: "new_entity", types: ["VULNERABILITY"], under_root: false }, "critical"),
    rule("certificate ending", { _tag: "certificate_expiring", within_days: 30 }, "high"),
    rule("port closed", { _tag: "entity_gone", types: ["OPEN_PORT"] }, "low"),
    rule(
      "daily digest",
      { _tag: "new_entity", types: ["DOMAIN", "OPEN_PORT", "VULNERABILITY"], under_root: false },
      "info",
      true
    )
  ]
}

/** An alert as the tests compare them: its rule's name and the values of its entities. */
export const describeAlert = (
  alert: { readonly rule_name: string; readonly entities: ReadonlyArray<{ readonly value: string }> }
): string => `${alert.rule_name}: ${alert.entities.map((entity) => entity.value).join(", ")}`

/** What `alertRules` raise on each of the four runs, as `describeAlert` writes them, sorted. */
export const expectedAlerts: ReadonlyArray<ReadonlyArray<string>> = [
  [],
  [
    "daily digest: dev.example.com, shop.partner.net",
    "new subdomain: dev.example.com",
    "port closed: 192.0.2.10:22"
  ],
  [
    "certificate ending: 5f0c4d7a9e2b3c1d8e6f7a0b9c2d4e1f3a5b7c9d",
    "daily digest: 192.0.2.10:8443, CVE-2024-3094",
    "new port: 192.0.2.10:8443",
    "new vulnerability: CVE-2024-3094"
  ],
  []
]
