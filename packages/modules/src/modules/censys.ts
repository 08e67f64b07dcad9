/**
 * censys: names under a domain from the certificates Censys has seen
 * (`GET {base}/api/v2/certificates/search?q=names: {domain}&per_page=100`, HTTP Basic with the key
 * configured as `API_ID:API_SECRET`), following `result.links.next` as the `cursor` of the next page.
 * Each certificate (`fingerprint_sha256`) is a CERTIFICATE too, with its validity and issuer when the
 * hit carries them (`parsed.validity_period`, `parsed.issuer_dn`).
 */
import { Schema } from "effect"
import { certificateFindings, maxCertificatesField } from "../internal/Certificates.js"
import { maxPagesField, pagedApi } from "../kinds/PagedApi.js"
import * as Paging from "../kinds/Paging.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { subdomainFindings } from "../kinds/SubdomainSource.js"
import { censysSource } from "./censys_hosts.js"

export const CensysConfig = Schema.Struct({
  /** Pages of 100 certificates fetched at most per domain (each is a query of the quota). */
  max_pages: maxPagesField(5, 50),
  max_certificates: maxCertificatesField
})

export const CensysHit = Schema.Struct({
  names: Schema.Array(Schema.String),
  fingerprint_sha256: Schema.optionalWith(Schema.String, { exact: true }),
  /** The parsed certificate, of which only the validity and issuer are read, when they are strings. */
  parsed: Schema.optionalWith(Schema.Unknown, { exact: true })
})
export type CensysHit = typeof CensysHit.Type

const parsedText = (hit: CensysHit, path: string) => {
  const value = Rows.at(hit.parsed, path)
  return typeof value === "string" ? value : undefined
}

export const censys = pagedApi({
  name: "censys",
  description: "Finds subdomains and certificates in the certificates Censys has collected",
  version: "1.1.0",
  flags: ["passive", "safe"],
  config: CensysConfig,
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN", "CERTIFICATE"],
  source: censysSource,
  auth: Auth.basic,
  format: Formats.json,
  request: (target) => ({
    path: "/api/v2/certificates/search",
    query: { q: `names: ${target.value}`, per_page: 100 }
  }),
  rows: (body) => {
    const hits = Rows.at(body, "result.hits")
    return Array.isArray(hits) ? hits : undefined
  },
  row: CensysHit,
  paging: Paging.cursor("cursor", (body) => Rows.at(body, "result.links.next")),
  maxPages: (config) => config.max_pages,
  findings: (hits, target, config) => [
    ...subdomainFindings(
      hits,
      target.value,
      (hit) => hit.names,
      (hit) => (hit.fingerprint_sha256 === undefined ? undefined : { sha256: hit.fingerprint_sha256 }),
      // Names on a certificate a CA issued: more than a passive sighting.
      { confidence: 0.8 }
    ),
    ...certificateFindings(
      hits.map((hit) => ({
        sha256: hit.fingerprint_sha256,
        names: hit.names,
        not_before: parsedText(hit, "validity_period.not_before"),
        not_after: parsedText(hit, "validity_period.not_after"),
        issuer: parsedText(hit, "issuer_dn")
      })),
      { scope: target.value, max: config.max_certificates, confidence: 0.9 }
    )
  ]
})
