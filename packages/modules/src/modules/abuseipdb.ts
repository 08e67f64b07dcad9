/**
 * abuseipdb: how often and how confidently an address was reported for abuse, from AbuseIPDB's check
 * endpoint (`GET {base}/api/v2/check?ipAddress={ip}&maxAgeInDays=n&verbose`, key in the `Key` header,
 * required). `data` holds `abuseConfidenceScore` (0–100), `totalReports`, `numDistinctUsers`,
 * `lastReportedAt`, `usageType`, `isp`, `domain`, `hostnames[]`, `isTor` and `isWhitelisted`; `verbose`
 * adds the latest `reports[]` with their category numbers. Errors come as `{"errors": [{"detail", "status"}]}`
 * with the HTTP status (401 a bad key, 422 a bad address, 429 the daily quota, with `Retry-After`).
 * The address comes back with its score; its holder (ORGANIZATION), domain and reverse names (DOMAIN).
 */
import { Option, Schema } from "effect"
import { optional, present } from "../internal/Fields.js"
import { pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"

export const AbuseipdbConfig = Schema.Struct({
  /** Reports older than this many days are not counted (AbuseIPDB takes 1–365). */
  max_age_days: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 365)), { default: () => 90, exact: true }),
  /** Below this confidence score (0–100) the address is not reported at all. */
  min_score: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 100)), { default: () => 0, exact: true })
})

export const AbuseipdbCheck = Schema.Struct({
  ipAddress: Schema.String,
  abuseConfidenceScore: Schema.Number,
  totalReports: optional(Schema.Number),
  numDistinctUsers: optional(Schema.Number),
  lastReportedAt: optional(Schema.String),
  isPublic: optional(Schema.Boolean),
  isWhitelisted: optional(Schema.Boolean),
  isTor: optional(Schema.Boolean),
  countryCode: optional(Schema.String),
  usageType: optional(Schema.String),
  isp: optional(Schema.String),
  domain: optional(Schema.String),
  hostnames: optional(Schema.Array(Schema.String)),
  reports: optional(Schema.Array(Schema.Struct({ categories: optional(Schema.Array(Schema.Number)) })))
})
export type AbuseipdbCheck = typeof AbuseipdbCheck.Type

export const abuseipdbFindings = (check: AbuseipdbCheck, ip: string, minScore: number): ReadonlyArray<Finding> => {
  const reported = (check.totalReports ?? 0) > 0
  const categories = Array.from(new Set((check.reports ?? []).flatMap((report) => report.categories ?? []))).sort(
    (a, b) => a - b
  )
  const standing = present({
    abuse_confidence_score: check.abuseConfidenceScore,
    total_reports: check.totalReports,
    distinct_reporters: check.numDistinctUsers,
    last_reported_at: check.lastReportedAt,
    whitelisted: check.isWhitelisted,
    tor: check.isTor,
    usage_type: check.usageType,
    country_code: check.countryCode,
    report_categories: categories
  })
  const context = { ip, isp: check.isp, usage_type: check.usageType }
  return [
    reported && check.abuseConfidenceScore >= minScore
      ? finding("IP", ip, {
        confidence: Math.max(0.5, check.abuseConfidenceScore / 100),
        metadata: { abuseipdb: standing, ...(check.abuseConfidenceScore >= 50 ? { malicious: true } : {}) }
      })
      : Option.none(),
    check.isp === undefined ? Option.none() : finding("ORGANIZATION", check.isp, {
      confidence: 0.7,
      metadata: present({ ...context, role: "holder of the address" })
    }),
    check.domain === undefined ? Option.none() : finding("DOMAIN", check.domain, {
      confidence: 0.6,
      metadata: present({ ...context, role: "the holder's domain" })
    }),
    ...(check.hostnames ?? []).map((name) =>
      finding("DOMAIN", name, { confidence: 0.7, metadata: present({ ...context, record: "PTR" }) })
    )
  ].flatMap(Option.toArray)
}

export const abuseipdb = pagedApi({
  name: "abuseipdb",
  title: "AbuseIPDB",
  description: "Finds how often and how confidently an address was reported for abuse, its holder and names",
  flags: ["passive", "safe"],
  config: AbuseipdbConfig,
  input_types: ["IP"],
  output_types: ["IP", "ORGANIZATION", "DOMAIN"],
  source: {
    id: "abuseipdb",
    name: "AbuseIPDB",
    baseUrl: "https://api.abuseipdb.com",
    // The free plan allows 1,000 checks a day.
    rateLimit: { requests: 1, perSeconds: 1, burst: 5 },
    requiresKey: true,
    proxy: true
  },
  auth: Auth.header("Key"),
  format: Formats.json,
  request: (target, config) => ({
    path: "/api/v2/check",
    query: { ipAddress: target.value, maxAgeInDays: config.max_age_days, verbose: "" }
  }),
  // 422: an address AbuseIPDB does not take (private, reserved).
  empty: [422],
  rows: (body) => {
    const data = Rows.at(body, "data")
    return data === undefined ? undefined : [data]
  },
  row: AbuseipdbCheck,
  findings: ([check], target, config) =>
    check === undefined ? [] : abuseipdbFindings(check, target.value, config.min_score)
})
