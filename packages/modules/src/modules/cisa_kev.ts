/**
 * cisa_kev: whether a CVE is in CISA's Known Exploited Vulnerabilities catalog
 * (`GET {base}/sites/default/files/feeds/known_exploited_vulnerabilities.json`, keyless). The catalog
 * is one document, `vulnerabilities[]` each with `cveID`, `vendorProject`, `product`,
 * `vulnerabilityName`, `dateAdded`, `shortDescription`, `requiredAction`, `dueDate`,
 * `knownRansomwareCampaignUse` ("Known" or "Unknown") and `cwes[]`; read once per node for the
 * source's cache TTL and shared by its tasks. A listed CVE comes back marked known exploited, with
 * CISA's entry; the affected product as a TECHNOLOGY.
 */
import { Option, Schema } from "effect"
import { optional, present } from "../internal/Fields.js"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"

export const KevEntry = Schema.Struct({
  cveID: Schema.String,
  vendorProject: optional(Schema.String),
  product: optional(Schema.String),
  vulnerabilityName: optional(Schema.String),
  dateAdded: optional(Schema.String),
  shortDescription: optional(Schema.String),
  requiredAction: optional(Schema.String),
  dueDate: optional(Schema.String),
  knownRansomwareCampaignUse: optional(Schema.String),
  cwes: optional(Schema.Array(Schema.String))
})
export type KevEntry = typeof KevEntry.Type

export const kevFindings = (entry: KevEntry): ReadonlyArray<Finding> => {
  const kev = present({
    name: entry.vulnerabilityName,
    vendor: entry.vendorProject,
    product: entry.product,
    added: entry.dateAdded,
    due: entry.dueDate,
    required_action: entry.requiredAction,
    description: entry.shortDescription?.slice(0, 1000),
    ransomware: entry.knownRansomwareCampaignUse === undefined
      ? undefined
      : entry.knownRansomwareCampaignUse === "Known",
    cwes: entry.cwes
  })
  const product = [entry.vendorProject, entry.product].filter((part) => part !== undefined && part !== "").join(" ")
  return [
    // The CVE asked is the task's own entity: CISA's entry is its enrichment, kept although the scan has seen it.
    Option.map(
      finding("VULNERABILITY", entry.cveID, { confidence: 1, metadata: { known_exploited: true, kev } }),
      (found) => ({ ...found, enrichment: true })
    ),
    product === "" ? Option.none() : finding("TECHNOLOGY", product, {
      confidence: 0.6,
      metadata: { cve: entry.cveID, role: "product of a known exploited vulnerability" }
    })
  ].flatMap(Option.toArray)
}

export const cisaKev = pagedApi({
  name: "cisa_kev",
  title: "CISA KEV catalog",
  description: "Marks a CVE known exploited when CISA's catalog lists it, with its due date and ransomware use",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["VULNERABILITY"],
  output_types: ["VULNERABILITY", "TECHNOLOGY"],
  source: {
    id: "cisa_kev",
    name: "CISA Known Exploited Vulnerabilities catalog",
    baseUrl: "https://www.cisa.gov",
    // One document, updated a few times a week: asked rarely, then answered from the cache.
    rateLimit: { requests: 1, perSeconds: 5, burst: 2 },
    requiresKey: false,
    proxy: true
  },
  wholeList: true,
  format: Formats.json,
  request: () => ({ path: "/sites/default/files/feeds/known_exploited_vulnerabilities.json" }),
  rows: (body) => {
    const entries = Rows.at(body, "vulnerabilities")
    return Array.isArray(entries) ? entries : undefined
  },
  row: KevEntry,
  findings: (entries, target) =>
    entries.filter((entry) => entry.cveID.trim().toUpperCase() === target.value).flatMap(kevFindings)
})
