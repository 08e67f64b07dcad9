/**
 * censys: names under a domain from the certificates Censys has seen
 * (`GET {base}/api/v2/certificates/search?q=names: {domain}&per_page=100`, HTTP Basic with the key
 * configured as `API_ID:API_SECRET`), following `result.links.next` as the `cursor` of the next page.
 */
import { Schema } from "effect"
import { maxPagesField } from "../kinds/PagedApi.js"
import * as Paging from "../kinds/Paging.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { subdomainSource } from "../kinds/SubdomainSource.js"
import { censysSource } from "./censys_hosts.js"

export const CensysConfig = Schema.Struct({
  /** Pages of 100 certificates fetched at most per domain (each is a query of the quota). */
  max_pages: maxPagesField(5, 50)
})

export const CensysHit = Schema.Struct({
  names: Schema.Array(Schema.String),
  fingerprint_sha256: Schema.optionalWith(Schema.String, { exact: true })
})

export const censys = subdomainSource({
  name: "censys",
  description: "Finds subdomains in the certificates Censys has collected",
  flags: ["passive", "safe"],
  config: CensysConfig,
  source: censysSource,
  auth: Auth.basic,
  format: Formats.json,
  request: (domain) => ({
    path: "/api/v2/certificates/search",
    query: { q: `names: ${domain}`, per_page: 100 }
  }),
  rows: (body) => {
    const hits = Rows.at(body, "result.hits")
    return Array.isArray(hits) ? hits : undefined
  },
  row: CensysHit,
  paging: Paging.cursor("cursor", (body) => Rows.at(body, "result.links.next")),
  maxPages: (config) => config.max_pages,
  names: (hit) => hit.names,
  evidence: (hit) => (hit.fingerprint_sha256 === undefined ? undefined : { sha256: hit.fingerprint_sha256 }),
  // Names on a certificate a CA issued: more than a passive sighting.
  confidence: 0.8
})
