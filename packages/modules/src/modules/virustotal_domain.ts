/**
 * virustotal_domain: subdomains VirusTotal has seen under a domain, from the API v3
 * relationship listing (`GET {base}/api/v3/domains/{domain}/subdomains?limit=40`, key in
 * `x-apikey`), following `meta.cursor` for up to `max_pages` pages. Items are read one by one: an odd
 * one is skipped and counted, a page failing after others keeps what they found.
 */
import { Effect, Option, Schema } from "effect"
import { maxPagesField, pagedApi } from "../kinds/PagedApi.js"
import * as Paging from "../kinds/Paging.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { finding, RateLimited } from "../Module.js"
import type { DataSource, Finding, HttpResponse } from "../Module.js"
import { inScope } from "../Scope.js"

/** One DNS record VirusTotal last saw for the name; kept as evidence, so read leniently. */
const DnsRecord = Schema.Struct({
  type: Rows.Stringish,
  value: Rows.Stringish,
  ttl: Schema.optionalWith(Schema.Number, { exact: true })
})

/** One item of the relationship listing: a domain object, its id the name. */
/** VirusTotal's API v3: one source (one key, one rate limit) for every module that asks it. */
export const virustotalSource = {
  id: "virustotal",
  name: "VirusTotal API v3",
  baseUrl: "https://www.virustotal.com",
  // The public API allows 4 requests a minute (and 500 a day).
  rateLimit: { requests: 4, perSeconds: 60 },
  requiresKey: true,
  proxy: true
} satisfies DataSource

export const SubdomainItem = Schema.Struct({
  id: Schema.String,
  type: Schema.optionalWith(Schema.String, { exact: true }),
  attributes: Schema.optionalWith(
    Schema.Struct({ last_dns_records: Schema.optionalWith(Schema.Unknown, { exact: true }) }),
    { exact: true, nullable: true }
  )
})
export type SubdomainItem = typeof SubdomainItem.Type

export const VirustotalConfig = Schema.Struct({
  /** Pages of 40 subdomains fetched at most per domain (each counts against the quota). */
  max_pages: maxPagesField(5, 50)
})
export type VirustotalConfig = typeof VirustotalConfig.Type

/** The public API's quota is per minute; VirusTotal sends no Retry-After with its 429. */
const quotaWindowMs = 60_000

export const extractFindings = (items: ReadonlyArray<SubdomainItem>, domain: string): ReadonlyArray<Finding> => {
  const found = new Map<string, Finding>()
  for (const item of items) {
    if (item.type !== undefined && item.type !== "domain") continue
    // The records are evidence only: those of an odd shape are left out, not the name.
    const records = Rows.list(item.attributes?.last_dns_records, DnsRecord, "last_dns_records").rows
    const name = finding("DOMAIN", item.id, {
      confidence: 0.75,
      source_data: { last_dns_records: records },
      metadata: { parent: domain }
    })
    if (Option.isSome(name) && inScope(name.value.value, domain) && name.value.value !== domain) {
      found.set(name.value.value, name.value)
    }
  }
  return Array.from(found.values()).sort((a, b) => a.value.localeCompare(b.value))
}

const quotaExceeded = (response: HttpResponse) =>
  Effect.succeed(
    response.status === 429 && response.headers["retry-after"] === undefined
      ? Option.some(new RateLimited({ reason: "virustotal quota exceeded (HTTP 429)", retryAfterMs: quotaWindowMs }))
      : Option.none()
  )

export const virustotalDomain = pagedApi({
  name: "virustotal_domain",
  description: "Finds subdomains of a domain in VirusTotal's passive DNS and URL data",
  version: "1.1.0",
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN"],
  flags: ["passive", "safe"],
  config: VirustotalConfig,
  source: virustotalSource,
  auth: Auth.header("x-apikey"),
  format: Formats.json,
  request: (target) => ({ path: `/api/v3/domains/${target.value}/subdomains`, query: { limit: 40 } }),
  // VirusTotal has never seen the domain.
  empty: [404],
  failure: quotaExceeded,
  rows: (body) => {
    const data = Rows.at(body, "data")
    return Array.isArray(data) ? data : undefined
  },
  row: SubdomainItem,
  // The cursor, not `links.next`: the key must only go to the configured endpoint.
  paging: Paging.cursor("cursor", (body) => Rows.at(body, "meta.cursor")),
  maxPages: (config) => config.max_pages,
  findings: (items, target) => extractFindings(items, target.value)
})
