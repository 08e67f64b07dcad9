/**
 * netlas: names under a domain from Netlas's DNS search
 * (`GET {base}/api/domains/?q=domain:*.{domain} AND NOT domain:{domain}&start=n`, key in `X-API-Key`),
 * twenty names a page, paged by offset until a short page.
 */
import { Schema } from "effect"
import { maxPagesField } from "../kinds/PagedApi.js"
import * as Paging from "../kinds/Paging.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { subdomainSource } from "../kinds/SubdomainSource.js"

/** Netlas's page size, fixed by the API. */
const pageSize = 20

export const NetlasConfig = Schema.Struct({
  /** Pages of 20 names fetched at most per domain (each is a request of the daily allowance). */
  max_pages: maxPagesField(10, 100)
})

export const NetlasDomain = Schema.Struct({
  data: Schema.Struct({
    domain: Schema.String,
    a: Schema.optionalWith(Schema.Array(Schema.String), { exact: true }),
    last_updated: Schema.optionalWith(Schema.String, { exact: true })
  })
})

export const netlas = subdomainSource({
  name: "netlas",
  description: "Finds subdomains in Netlas's DNS records search",
  flags: ["passive", "safe"],
  config: NetlasConfig,
  source: {
    id: "netlas",
    name: "Netlas",
    baseUrl: "https://app.netlas.io",
    // Netlas throttles keys to about a request a second (429 beyond) on a daily allowance.
    rateLimit: { requests: 1, perSeconds: 1 },
    requiresKey: true,
    proxy: true
  },
  auth: Auth.header("X-API-Key"),
  format: Formats.json,
  request: (domain) => ({
    path: "/api/domains/",
    query: { q: `domain:*.${domain} AND NOT domain:${domain}`, start: 0 }
  }),
  rows: (body) => {
    const items = Rows.at(body, "items")
    return Array.isArray(items) ? items : undefined
  },
  row: NetlasDomain,
  paging: Paging.offset("start", pageSize),
  maxPages: (config) => config.max_pages,
  names: (item) => [item.data.domain],
  evidence: (item) => ({ a: item.data.a ?? [], last_updated: item.data.last_updated ?? null })
})
