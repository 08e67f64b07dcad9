/**
 * nvd_cpe: the CVEs NVD lists for a technology (`GET {base}/rest/json/cves/2.0?virtualMatchString={cpe}`, the key,
 * optional, in the `apiKey` header, which raises NVD's public limit of 5 requests in 30 s to 50). A TECHNOLOGY that
 * is a CPE (`cpe:/a:nginx:nginx:1.25.3`, `cpe:2.3:…`) is asked as is; "nginx 1.25.3" becomes
 * `cpe:2.3:a:*:nginx:1.25.3`. A name without a version matches every release ever made, so it is skipped. Each
 * CVE is a VULNERABILITY with its CVSS severity and whether CISA lists it as exploited.
 */
import { Effect, Option, Schema } from "effect"
import { canonicalTarget, headerFields } from "../kinds/PagedApi.js"
import { Auth, Formats, openSession, send } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { BadResponse, defineModule, type Finding, finding } from "../Module.js"
import { nvdSource } from "./nvd_cve.js"

const optional = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { exact: true, nullable: true })

const CvssMetric = Schema.Struct({
  cvssData: Schema.Struct({
    baseScore: Schema.Number,
    baseSeverity: optional(Schema.String),
    vectorString: optional(Schema.String)
  }),
  type: optional(Schema.String)
})

export const NvdCve = Schema.Struct({
  cve: Schema.Struct({
    id: Schema.String,
    published: optional(Schema.String),
    vulnStatus: optional(Schema.String),
    cisaExploitAdd: optional(Schema.String),
    descriptions: optional(Schema.Array(Schema.Struct({ lang: Schema.String, value: Schema.String }))),
    metrics: optional(Schema.Struct({
      cvssMetricV31: optional(Schema.Array(CvssMetric)),
      cvssMetricV30: optional(Schema.Array(CvssMetric)),
      cvssMetricV2: optional(Schema.Array(CvssMetric))
    }))
  })
})
export type NvdCve = typeof NvdCve.Type

/** The CPE 2.3 match string of a technology, or none when it names no version. */
export const cpeOf = (technology: string): Option.Option<string> => {
  const text = technology.trim()
  if (/^cpe:2\.3:/i.test(text)) return text.split(":").length >= 6 ? Option.some(text.toLowerCase()) : Option.none()
  const uri = /^cpe:\/([aho]):([^:]+):([^:]+):([^:]+)/i.exec(text)
  if (uri) return Option.some(`cpe:2.3:${uri[1]}:${uri[2]}:${uri[3]}:${uri[4]}`.toLowerCase())
  const named = /^(.+?)[\s/]+v?(\d+(?:\.[\w-]+)*)$/i.exec(text)
  if (named === null) return Option.none()
  const product = named[1]!.toLowerCase().replace(/[^a-z0-9_.-]+/g, "_")
  return Option.some(`cpe:2.3:a:*:${product}:${named[2]!.toLowerCase()}`)
}

const severityOf = (cve: NvdCve["cve"]) => {
  const metric = [
    ...(cve.metrics?.cvssMetricV31 ?? []),
    ...(cve.metrics?.cvssMetricV30 ?? []),
    ...(cve.metrics
      ?.cvssMetricV2 ?? [])
  ][0]
  return metric === undefined ? {} : {
    cvss_score: metric.cvssData.baseScore,
    ...(metric.cvssData.baseSeverity ? { severity: metric.cvssData.baseSeverity.toLowerCase() } : {}),
    ...(metric.cvssData.vectorString ? { cvss_vector: metric.cvssData.vectorString } : {})
  }
}

export const nvdFindings = (rows: ReadonlyArray<NvdCve>, technology: string, cpe: string): ReadonlyArray<Finding> =>
  rows.flatMap(({ cve }) =>
    Option.toArray(finding("VULNERABILITY", cve.id, {
      // Matched by version range, not seen on the host: likely, not certain.
      confidence: 0.6,
      metadata: {
        technology,
        cpe,
        ...severityOf(cve),
        known_exploited: cve.cisaExploitAdd !== undefined,
        ...(cve.published ? { published: cve.published } : {}),
        ...(cve.vulnStatus ? { status: cve.vulnStatus } : {}),
        description: cve.descriptions?.find((d) => d.lang === "en")?.value ?? null
      }
    }))
  )

export const NvdConfig = Schema.Struct({
  /** The most CVEs asked for (NVD's page, at most 2000). */
  max_results: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 2000)), { default: () => 200, exact: true })
})

const source = nvdSource

export const nvdCpe = defineModule({
  ...headerFields({
    name: "nvd_cpe",
    title: "NVD CVEs by CPE",
    description: "Finds the CVEs NVD lists for a technology and version, matched by CPE",
    flags: ["passive", "safe"],
    config: NvdConfig,
    input_types: ["TECHNOLOGY"],
    output_types: ["VULNERABILITY"]
  }),
  source,
  setup: openSession<typeof NvdConfig.Type>("nvd_cpe", source),
  collect: (session, task) =>
    Effect.gen(function*() {
      const target = yield* canonicalTarget("nvd_cpe", task)
      const cpe = cpeOf(target.value)
      if (Option.isNone(cpe)) {
        yield* session.notes.skipped("no version to match: every release's CVEs would be listed")
        return []
      }
      const sent = yield* send(session, {
        path: "/rest/json/cves/2.0",
        query: { virtualMatchString: cpe.value, resultsPerPage: session.config.max_results }
      }, {
        format: Formats.json,
        auth: Auth.header("apiKey"),
        // NVD answers 404 (its reason in a `message` header) to a match string it cannot read: nothing known.
        empty: [404]
      })
      if (sent._tag === "Empty") return []
      const list = Rows.at(sent.body, "vulnerabilities")
      if (!Array.isArray(list)) return yield* new BadResponse({ reason: "the answer has no vulnerabilities list" })
      const rows = yield* Rows.decodeEach(list, Rows.schema(NvdCve), session.notes)
      const findings = nvdFindings(rows, target.value, cpe.value)
      yield* session.log("nvd_cpe answered", {
        cpe: cpe.value,
        total: Rows.at(sent.body, "totalResults"),
        rows: rows.length
      })
      return findings
    })
})
