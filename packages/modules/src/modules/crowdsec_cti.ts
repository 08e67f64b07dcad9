/**
 * crowdsec_cti: what CrowdSec's network of sensors saw an address do, from its CTI smoke endpoint
 * (`GET {base}/v2/smoke/{ip}`, key in `x-api-key`, required): `behaviors[]` and `attack_details[]`
 * (what it was caught doing), `classifications`, `scores.overall` (0–5), `history`, its AS
 * (`as_num`, `as_name`), its range (`ip_range`), its reverse name and the `cves[]` it was seen
 * exploiting. 404 (`IP address information not found`) is an address CrowdSec never saw; 429 the
 * daily quota. The address comes back with what it did, plus its AS, range, name and CVEs.
 */
import { Option, Schema } from "effect"
import { optional, present } from "../internal/Fields.js"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import { type Finding, finding } from "../Module.js"

const Labelled = Schema.Struct({ name: Schema.String, label: optional(Schema.String) })
const Scores = Schema.Struct({
  aggressiveness: optional(Schema.Number),
  threat: optional(Schema.Number),
  trust: optional(Schema.Number),
  anomaly: optional(Schema.Number),
  total: optional(Schema.Number)
})

export const CrowdsecSmoke = Schema.Struct({
  ip: Schema.String,
  ip_range: optional(Schema.String),
  ip_range_score: optional(Schema.Number),
  as_name: optional(Schema.String),
  as_num: optional(Schema.Number),
  reverse_dns: optional(Schema.String),
  behaviors: optional(Schema.Array(Labelled)),
  attack_details: optional(Schema.Array(Labelled)),
  classifications: optional(Schema.Struct({
    classifications: optional(Schema.Array(Labelled)),
    false_positives: optional(Schema.Array(Labelled))
  })),
  history: optional(Schema.Struct({ first_seen: optional(Schema.String), last_seen: optional(Schema.String) })),
  scores: optional(Schema.Struct({ overall: optional(Scores) })),
  background_noise_score: optional(Schema.Number),
  cves: optional(Schema.Array(Schema.String))
})
export type CrowdsecSmoke = typeof CrowdsecSmoke.Type

const labels = (items: ReadonlyArray<typeof Labelled.Type> | undefined) =>
  (items ?? []).map((item) => item.label ?? item.name)

export const crowdsecFindings = (smoke: CrowdsecSmoke, ip: string): ReadonlyArray<Finding> => {
  const falsePositives = labels(smoke.classifications?.false_positives)
  const overall = smoke.scores?.overall
  const seen = present({
    behaviors: labels(smoke.behaviors),
    attacks: labels(smoke.attack_details),
    classifications: labels(smoke.classifications?.classifications),
    false_positives: falsePositives,
    scores: overall === undefined ? undefined : present({ ...overall }),
    background_noise: smoke.background_noise_score,
    first_seen: smoke.history?.first_seen,
    last_seen: smoke.history?.last_seen
  })
  const asn = smoke.as_num === undefined ? undefined : `AS${smoke.as_num}`
  const context = present({ ip, asn, as_name: smoke.as_name })
  const active = (smoke.behaviors ?? []).length + (smoke.attack_details ?? []).length > 0
  return [
    active
      ? finding("IP", ip, {
        confidence: falsePositives.length > 0 ? 0.5 : 0.85,
        metadata: { crowdsec: seen, ...(falsePositives.length === 0 ? { malicious: true } : {}) }
      })
      : Option.none(),
    asn === undefined ? Option.none() : finding("ASN", asn, { confidence: 0.85, metadata: present({ ...context }) }),
    smoke.ip_range === undefined ? Option.none() : finding("NETBLOCK", smoke.ip_range, {
      confidence: 0.8,
      metadata: present({ ...context, range_score: smoke.ip_range_score })
    }),
    smoke.reverse_dns === undefined ? Option.none() : finding("DOMAIN", smoke.reverse_dns, {
      confidence: 0.7,
      metadata: { ip, record: "PTR" }
    }),
    ...(smoke.cves ?? []).map((cve) =>
      finding("VULNERABILITY", cve, {
        confidence: 0.6,
        metadata: { ip, role: "seen exploited from this address", verified: false }
      })
    )
  ].flatMap(Option.toArray)
}

export const crowdsecCti = pagedApi({
  name: "crowdsec_cti",
  title: "CrowdSec CTI",
  description: "Finds what CrowdSec's sensors saw an address do (behaviours, attacks, CVEs), its AS and range",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["IP"],
  output_types: ["IP", "ASN", "NETBLOCK", "DOMAIN", "VULNERABILITY"],
  source: {
    id: "crowdsec",
    name: "CrowdSec CTI API",
    baseUrl: "https://cti.api.crowdsec.net",
    // The free community key allows 50 lookups a day.
    rateLimit: { requests: 1, perSeconds: 2, burst: 3 },
    requiresKey: true,
    proxy: true
  },
  auth: Auth.header("x-api-key"),
  format: Formats.json,
  request: (target) => ({ path: `/v2/smoke/${target.value}` }),
  empty: [404],
  rows: (body) => [body],
  row: CrowdsecSmoke,
  findings: ([smoke], target) => (smoke === undefined ? [] : crowdsecFindings(smoke, target.value))
})
