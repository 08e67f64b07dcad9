/**
 * certspotter: names under a domain from SSLMate's Cert Spotter CT search
 * (`GET {base}/v1/issuances?domain=…&include_subdomains=true&expand=dns_names`), following its
 * `after` paging; the key is optional (`Authorization: Bearer`) and raises the quota. Ids come as
 * strings but are read as numbers too; a row without one still gives its names. Each certificate
 * (`cert_sha256`) is a CERTIFICATE too, with its validity, issuer and names.
 */
import { Option, Predicate, Schema } from "effect"
import { certificateFindings, maxCertificatesField, type SeenCertificate } from "../internal/Certificates.js"
import { maxPagesField, pagedApi } from "../kinds/PagedApi.js"
import * as Paging from "../kinds/Paging.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { AuthFailed, BadResponse, finding, RateLimited } from "../Module.js"
import type { Finding } from "../Module.js"
import { inScope } from "../Scope.js"

export const Issuance = Schema.Struct({
  /** Increasing with time; the `after` cursor of the next page. */
  id: Schema.optionalWith(Rows.Stringish, { exact: true }),
  /** The certificate's (or precertificate's) SHA-256, hex. */
  cert_sha256: Schema.optionalWith(Schema.String, { exact: true }),
  dns_names: Schema.optionalWith(Schema.Array(Schema.String), { exact: true }),
  /** With `expand=issuer` only: `{ friendly_name, name, … }`; read when present, never required. */
  issuer: Schema.optionalWith(Schema.Unknown, { exact: true }),
  not_before: Schema.optionalWith(Schema.String, { exact: true }),
  not_after: Schema.optionalWith(Schema.String, { exact: true }),
  revoked: Schema.optionalWith(Schema.Boolean, { exact: true })
})
export type Issuance = typeof Issuance.Type

/** What the API sends instead of issuances when it refuses (sometimes with status 200). */
const refusal = (body: unknown) => {
  const code = Predicate.isRecord(body) && typeof body["code"] === "string" ? body["code"] : undefined
  if (code === undefined) return Option.none()
  return Option.some(
    code === "rate_limited"
      ? new RateLimited({ reason: `certspotter refused: ${code}` })
      : code === "unauthorized"
      ? new AuthFailed({ reason: `certspotter refused: ${code}` })
      : new BadResponse({ reason: `certspotter refused: ${code}` })
  )
}

export const CertspotterConfig = Schema.Struct({
  /** Pages of issuances fetched at most per domain. */
  max_pages: maxPagesField(10),
  max_certificates: maxCertificatesField
})
export type CertspotterConfig = typeof CertspotterConfig.Type

interface Seen {
  readonly value: string
  wildcard: boolean
  readonly ids: Array<string>
}

/** The in-scope names of the issuances, once each, with the issuances naming them. */
export const extractFindings = (issuances: ReadonlyArray<Issuance>, domain: string): ReadonlyArray<Finding> => {
  const seen = new Map<string, Seen>()
  for (const issuance of issuances) {
    for (const raw of issuance.dns_names ?? []) {
      const wildcard = raw.trim().startsWith("*.")
      const parsed = finding("DOMAIN", raw.trim().replace(/^(\*\.)+/, ""), { confidence: 0 })
      if (Option.isNone(parsed) || !inScope(parsed.value.value, domain)) continue
      const current = seen.get(parsed.value.value) ?? { value: parsed.value.value, wildcard: false, ids: [] }
      current.wildcard ||= wildcard
      if (issuance.id !== undefined && !current.ids.includes(issuance.id)) current.ids.push(issuance.id)
      seen.set(current.value, current)
    }
  }
  return Array.from(seen.values())
    .sort((a, b) => a.value.localeCompare(b.value))
    .map((item): Finding => ({
      type: "DOMAIN",
      value: item.value,
      confidence: 0.8,
      source_data: { issuance_ids: item.ids.slice(0, 10) },
      metadata: { wildcard: item.wildcard, issuance_count: item.ids.length }
    }))
}

const issuerName = (issuer: unknown): string | undefined => {
  if (!Predicate.isRecord(issuer)) return undefined
  const name = issuer["friendly_name"] ?? issuer["name"]
  return typeof name === "string" ? name : undefined
}

/** Each issuance's certificate, for CERTIFICATE findings. */
export const issuedCertificates = (issuances: ReadonlyArray<Issuance>): ReadonlyArray<SeenCertificate> =>
  issuances.map((issuance) => ({
    sha256: issuance.cert_sha256,
    names: issuance.dns_names ?? [],
    not_before: issuance.not_before,
    not_after: issuance.not_after,
    issuer: issuerName(issuance.issuer),
    ...(issuance.id === undefined ? {} : { evidence: { issuance_id: issuance.id } })
  }))

export const certspotter = pagedApi({
  name: "certspotter",
  description: "Finds subdomains and certificates in Certificate Transparency logs via SSLMate's Cert Spotter API",
  version: "1.2.0",
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN", "CERTIFICATE"],
  flags: ["passive", "safe"],
  config: CertspotterConfig,
  source: {
    id: "certspotter",
    name: "SSLMate Cert Spotter",
    baseUrl: "https://api.certspotter.com",
    // The free tier allows about 100 full-domain queries an hour.
    rateLimit: { requests: 100, perSeconds: 3600, burst: 5 },
    requiresKey: false,
    proxy: true
  },
  auth: Auth.bearer,
  format: Formats.json,
  request: (target) => ({
    path: "/v1/issuances",
    query: { domain: target.value, include_subdomains: "true", expand: "dns_names" }
  }),
  refusal,
  rows: (body) => (Array.isArray(body) ? body : undefined),
  row: Issuance,
  paging: Paging.afterLast("after", "id"),
  maxPages: (config) => config.max_pages,
  findings: (issuances, target, config) => [
    ...extractFindings(issuances, target.value),
    ...certificateFindings(issuedCertificates(issuances), {
      scope: target.value,
      max: config.max_certificates,
      confidence: 0.9
    })
  ]
})
