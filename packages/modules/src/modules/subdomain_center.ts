/**
 * subdomain_center: names under a domain from subdomain.center (`GET {base}/?domain={domain}`), a
 * JSON array of host names. Anonymous callers get a shuffled sample of at most 500 names and five
 * requests a minute (429 with Retry-After beyond); a key (`X-API-Key`) lifts both.
 */
import { Schema } from "effect"
import { NoConfig } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import { subdomainSource } from "../kinds/SubdomainSource.js"

export const subdomainCenter = subdomainSource({
  name: "subdomain_center",
  title: "subdomain.center",
  description: "Finds subdomains through subdomain.center's passive index",
  flags: ["passive", "safe"],
  config: NoConfig,
  source: {
    id: "subdomain_center",
    name: "subdomain.center",
    baseUrl: "https://api.subdomain.center",
    // Anonymous callers may ask five times a minute.
    rateLimit: { requests: 5, perSeconds: 60 },
    requiresKey: false,
    proxy: true
  },
  auth: Auth.header("X-API-Key"),
  format: Formats.json,
  request: (domain) => ({ path: "/", query: { domain } }),
  rows: (body) => (Array.isArray(body) ? body : undefined),
  row: Schema.String,
  names: (name) => [name]
})
