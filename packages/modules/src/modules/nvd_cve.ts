/**
 * nvd_cve: a CVE's details from the NVD (`GET {base}/rest/json/cves/2.0?cveId={id}`, key in the
 * `apiKey` header, optional: it raises the limit from 5 to 50 requests in 30 seconds). The answer's
 * `vulnerabilities[].cve` holds the description, `metrics` (CVSS v4.0, v3.1, v3.0 and v2, the
 * `Primary` one preferred: base score and severity), `weaknesses` (CWE ids), `references`, and the
 * CISA fields when the CVE is known exploited (`cisaExploitAdd`, `cisaActionDue`,
 * `cisaRequiredAction`). The vulnerability comes back with that as its metadata (its severity
 * and whether it is known exploited), and its references as URLs when asked.
 */
import { Option, Schema } from "effect"
import { optional, present } from "../internal/Fields.js"
import { pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"

/** The NVD CVE API, shared by the modules that ask it about CVEs and about products. */
export const nvdSource = {
  id: "nvd",
  name: "NVD CVE API 2.0",
  baseUrl: "https://services.nvd.nist.gov",
  // 5 requests in a rolling 30 s window without a key (50 with one); the NVD asks for a pause between requests.
  rateLimit: { requests: 5, perSeconds: 30, burst: 1 },
  requiresKey: false,
  proxy: true
} as const

export const NvdConfig = Schema.Struct({
  /** Report the CVE's references (advisories, patches, exploits) as URL findings too. */
  references: Schema.optionalWith(Schema.Boolean, { default: () => false, exact: true })
})

const Metric = Schema.Struct({
  source: optional(Schema.String),
  type: optional(Schema.String),
  cvssData: Schema.Struct({
    version: optional(Schema.String),
    vectorString: optional(Schema.String),
    baseScore: Schema.Number,
    baseSeverity: optional(Schema.String)
  }),
  /** CVSS v2 puts the severity beside cvssData. */
  baseSeverity: optional(Schema.String)
})
type Metric = typeof Metric.Type

export const NvdCve = Schema.Struct({
  id: Schema.String,
  published: optional(Schema.String),
  lastModified: optional(Schema.String),
  vulnStatus: optional(Schema.String),
  cisaExploitAdd: optional(Schema.String),
  cisaActionDue: optional(Schema.String),
  cisaRequiredAction: optional(Schema.String),
  cisaVulnerabilityName: optional(Schema.String),
  descriptions: optional(Schema.Array(Schema.Struct({ lang: Schema.String, value: Schema.String }))),
  metrics: optional(Schema.Record({ key: Schema.String, value: Schema.Array(Schema.Unknown) })),
  weaknesses: optional(Schema.Array(Schema.Struct({
    description: optional(Schema.Array(Schema.Struct({ lang: optional(Schema.String), value: Schema.String })))
  }))),
  references: optional(Schema.Array(Schema.Struct({ url: Schema.String, tags: optional(Schema.Array(Schema.String)) })))
})
export type NvdCve = typeof NvdCve.Type

/** Newest CVSS first; within one version the NVD's own (Primary) score. */
const metricOrder = ["cvssMetricV40", "cvssMetricV31", "cvssMetricV30", "cvssMetricV2"]

export const severityOf = (cve: NvdCve): Option.Option<Metric> => {
  for (const version of metricOrder) {
    const metrics = Rows.decodeAll(cve.metrics?.[version] ?? [], Rows.schema(Metric)).rows
    const chosen = metrics.find((metric) => metric.type === "Primary") ?? metrics[0]
    if (chosen !== undefined) return Option.some(chosen)
  }
  return Option.none()
}

export const nvdFindings = (cve: NvdCve, withReferences: boolean): ReadonlyArray<Finding> => {
  const metric = Option.getOrUndefined(severityOf(cve))
  const severity = metric?.cvssData.baseSeverity ?? metric?.baseSeverity
  const exploited = cve.cisaExploitAdd !== undefined
  const details = present({
    description: cve.descriptions?.find((d) => d.lang === "en")?.value.slice(0, 1000),
    cvss: metric?.cvssData.baseScore,
    cvss_version: metric?.cvssData.version,
    cvss_vector: metric?.cvssData.vectorString,
    severity: severity?.toUpperCase(),
    cwes: Array.from(
      new Set((cve.weaknesses ?? []).flatMap((w) => (w.description ?? []).map((d) => d.value)))
    ).filter((cwe) => /^CWE-\d+$/.test(cwe)),
    published: cve.published,
    last_modified: cve.lastModified,
    status: cve.vulnStatus,
    known_exploited: exploited,
    cisa: exploited
      ? present({
        added: cve.cisaExploitAdd,
        due: cve.cisaActionDue,
        required_action: cve.cisaRequiredAction,
        name: cve.cisaVulnerabilityName
      })
      : undefined
  })
  return [
    finding("VULNERABILITY", cve.id, { confidence: 1, metadata: details }),
    ...(withReferences ? cve.references ?? [] : []).map((reference) =>
      finding("URL", reference.url, {
        confidence: 0.9,
        metadata: present({ cve: cve.id, role: "reference of the CVE", tags: reference.tags })
      })
    )
  ].flatMap(Option.toArray)
}

export const nvdCve = pagedApi({
  name: "nvd_cve",
  title: "NVD CVE details",
  description: "Adds a CVE's CVSS severity, weaknesses, dates and CISA known-exploited status from the NVD",
  flags: ["passive", "safe"],
  config: NvdConfig,
  input_types: ["VULNERABILITY"],
  output_types: ["VULNERABILITY", "URL"],
  source: nvdSource,
  auth: Auth.header("apiKey"),
  format: Formats.json,
  request: (target) => ({ path: "/rest/json/cves/2.0", query: { cveId: target.value } }),
  // 404: an id the NVD does not hold (rejected or reserved).
  empty: [404],
  rows: (body) => {
    const items = Rows.at(body, "vulnerabilities")
    return Array.isArray(items) ? items.map((item) => Rows.at(item, "cve")) : undefined
  },
  row: NvdCve,
  findings: (cves, target, config) =>
    cves.filter((cve) => cve.id.toUpperCase() === target.value).flatMap((cve) =>
      // The CVE asked is the task's own entity: its details are its enrichment, kept although the scan has seen it.
      nvdFindings(cve, config.references).map((found) =>
        found.type === "VULNERABILITY" && found.value === target.value ? { ...found, enrichment: true } : found
      )
    )
})
