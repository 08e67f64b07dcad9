/**
 * epss: how likely a CVE is to be exploited in the next 30 days, from FIRST's Exploit Prediction Scoring System
 * (`GET {base}/data/v1/epss?cve={id}`, no key): `{"status": "OK", "data": [{"cve", "epss", "percentile", "date"}]}`,
 * its scores written as decimal strings. The score enriches the VULNERABILITY asked; no row is no score.
 */
import { Option, Predicate, Schema } from "effect"
import { refusedWith } from "../internal/Refusal.js"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"

/** "0.002510000" or 0.00251: a probability. */
const Probability = Schema.Union(Schema.NumberFromString, Schema.Number).pipe(Schema.between(0, 1))

export const EpssRow = Schema.Struct({
  cve: Schema.String,
  epss: Probability,
  percentile: Probability,
  date: Schema.optionalWith(Schema.String, { exact: true })
})
export type EpssRow = typeof EpssRow.Type

export const epssFindings = (rows: ReadonlyArray<EpssRow>, cve: string): ReadonlyArray<Finding> =>
  rows.filter((row) => row.cve.toUpperCase() === cve).flatMap((row) =>
    Option.toArray(
      Option.map(
        finding("VULNERABILITY", row.cve, {
          confidence: 0.9,
          source_data: { ...row },
          metadata: { epss: row.epss, epss_percentile: row.percentile, ...(row.date ? { epss_date: row.date } : {}) }
        }),
        (found) => ({ ...found, enrichment: true })
      )
    )
  )

export const epss = pagedApi({
  name: "epss",
  title: "FIRST EPSS score",
  description: "Scores how likely a CVE is to be exploited soon (FIRST's EPSS probability and percentile)",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["VULNERABILITY"],
  output_types: ["VULNERABILITY"],
  source: {
    id: "epss",
    name: "FIRST EPSS API",
    baseUrl: "https://api.first.org",
    // FIRST asks for fair use; no published figure.
    rateLimit: { requests: 60, perSeconds: 60, burst: 5 },
    requiresKey: false,
    proxy: true
  },
  format: Formats.json,
  request: (target) => ({ path: "/data/v1/epss", query: { cve: target.value } }),
  refusal: (body) =>
    Predicate.isRecord(body) && body["status"] !== undefined && body["status"] !== "OK"
      ? Option.some(refusedWith("epss", `status ${String(body["status"])}`))
      : Option.none(),
  rows: (body) => {
    const data = Rows.at(body, "data")
    return Array.isArray(data) ? data : undefined
  },
  row: EpssRow,
  findings: (rows, target) => epssFindings(rows, target.value)
})
