/**
 * leakix: names under a domain from LeakIX (`GET {base}/api/subdomains/{domain}`, JSON only when
 * asked for). A key (`api-key` header) is optional and raises the limits; 204 and `null` are none.
 */
import { Schema } from "effect"
import { NoConfig } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import { subdomainSource } from "../kinds/SubdomainSource.js"

export const LeakixSubdomain = Schema.Struct({
  subdomain: Schema.String,
  distinct_ips: Schema.optionalWith(Schema.Number, { exact: true }),
  last_seen: Schema.optionalWith(Schema.String, { exact: true })
})

export const leakix = subdomainSource({
  name: "leakix",
  description: "Finds subdomains in LeakIX's scan data",
  flags: ["passive", "safe"],
  config: NoConfig,
  source: {
    id: "leakix",
    name: "LeakIX",
    baseUrl: "https://leakix.net",
    // Anonymous and free keys are held to about a request a second (429 beyond).
    rateLimit: { requests: 1, perSeconds: 1 },
    requiresKey: false,
    proxy: true
  },
  auth: Auth.header("api-key"),
  format: Formats.json,
  request: (domain) => ({ path: `/api/subdomains/${domain}` }),
  empty: [204],
  rows: (body) => (body === null ? [] : Array.isArray(body) ? body : undefined),
  row: LeakixSubdomain,
  names: (row) => [row.subdomain],
  evidence: (row) => ({ distinct_ips: row.distinct_ips ?? null, last_seen: row.last_seen ?? null })
})
