/**
 * anubisdb: names under a domain from Anubis-DB (`GET {base}/anubis/subdomains/{domain}`), a bare
 * JSON array of host names. Its old hosts (jldc.me, jonlu.ca) now sit behind a bot challenge, so the
 * base is anubisdb.com; a 404 is "nothing known". The list is noisy (out-of-scope and PTR-style
 * names): the kind keeps only names under the domain.
 */
import { Schema } from "effect"
import { NoConfig } from "../kinds/PagedApi.js"
import { Formats } from "../kinds/Request.js"
import { subdomainSource } from "../kinds/SubdomainSource.js"

export const anubisdb = subdomainSource({
  name: "anubisdb",
  title: "Anubis-DB",
  description: "Finds subdomains in Anubis-DB's collection of names seen in certificates and scans",
  flags: ["passive", "safe"],
  config: NoConfig,
  source: {
    id: "anubisdb",
    name: "Anubis-DB",
    baseUrl: "https://anubisdb.com",
    // Undocumented; a gentle pace for a free community service.
    rateLimit: { requests: 1, perSeconds: 2, burst: 2 },
    requiresKey: false,
    proxy: true
  },
  format: Formats.json,
  request: (domain) => ({ path: `/anubis/subdomains/${domain}` }),
  empty: [404],
  rows: (body) => (Array.isArray(body) ? body : body === null ? [] : undefined),
  row: Schema.String,
  names: (name) => [name],
  confidence: 0.6
})
