/**
 * whoisxml_subdomains: names under a domain from WhoisXML API's Subdomains Lookup
 * (`GET {base}/api/v1?apiKey=…&domainName={domain}&outputFormat=JSON`): `result.records`, each with
 * when it was first and last seen (seconds since the epoch). One request, no paging.
 */
import { Schema } from "effect"
import { NoConfig } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { subdomainSource } from "../kinds/SubdomainSource.js"

export const WhoisxmlRecord = Schema.Struct({
  domain: Schema.String,
  firstSeen: Schema.optionalWith(Schema.NullOr(Schema.Number), { exact: true }),
  lastSeen: Schema.optionalWith(Schema.NullOr(Schema.Number), { exact: true })
})

/** WhoisXML API's Subdomains Lookup; its other products share the account's key and limits on hosts of their own. */
export const whoisxmlSource = {
  id: "whoisxml",
  name: "WhoisXML API",
  baseUrl: "https://subdomains.whoisxmlapi.com",
  // WhoisXML allows bursts of tens of requests a second; each spends a credit, so stay modest.
  rateLimit: { requests: 5, perSeconds: 1 },
  requiresKey: true,
  proxy: true
} as const

export const whoisxmlSubdomains = subdomainSource({
  name: "whoisxml_subdomains",
  title: "WhoisXML API Subdomains Lookup",
  description: "Finds subdomains with WhoisXML API's Subdomains Lookup",
  flags: ["passive", "safe"],
  config: NoConfig,
  source: whoisxmlSource,
  auth: Auth.query("apiKey"),
  format: Formats.json,
  request: (domain) => ({ path: "/api/v1", query: { domainName: domain, outputFormat: "JSON" } }),
  rows: (body) => {
    const records = Rows.at(body, "result.records")
    return Array.isArray(records) ? records : undefined
  },
  row: WhoisxmlRecord,
  names: (record) => [record.domain],
  evidence: (record) => ({ first_seen: record.firstSeen ?? null, last_seen: record.lastSeen ?? null })
})
