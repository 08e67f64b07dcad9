/**
 * zoomeye: names under a domain from ZoomEye's domain search
 * (`GET {base}/domain/search?q={domain}&type=1&page=n&s=1000`, key in `API-KEY`), paged while the
 * answer's `total` is not reached. ZoomEye has moved hosts (`.org`, `.hk`, now `.ai`): the base URL
 * is configuration.
 */
import { Schema } from "effect"
import { maxPagesField } from "../kinds/PagedApi.js"
import * as Paging from "../kinds/Paging.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { subdomainSource } from "../kinds/SubdomainSource.js"

/** Names a page holds at most (`s`). */
const pageSize = 1000

export const ZoomeyeConfig = Schema.Struct({
  /** Pages of 1000 names fetched at most per domain (each spends quota). */
  max_pages: maxPagesField(5, 20)
})

export const ZoomeyeDomain = Schema.Struct({
  name: Schema.String,
  ip: Schema.optionalWith(Schema.Array(Schema.String), { exact: true })
})

export const zoomeye = subdomainSource({
  name: "zoomeye",
  description: "Finds subdomains in ZoomEye's domain search",
  flags: ["passive", "safe"],
  config: ZoomeyeConfig,
  source: {
    id: "zoomeye",
    name: "ZoomEye",
    baseUrl: "https://api.zoomeye.ai",
    // ZoomEye meters a monthly quota and refuses bursts: about a request a second.
    rateLimit: { requests: 1, perSeconds: 1 },
    requiresKey: true,
    proxy: true
  },
  auth: Auth.header("API-KEY"),
  format: Formats.json,
  // type=1: names under the domain (type=0 would be associated domains, out of scope).
  request: (domain) => ({ path: "/domain/search", query: { q: domain, type: 1, page: 1, s: pageSize } }),
  rows: (body) => {
    const list = Rows.at(body, "list")
    return Array.isArray(list) ? list : undefined
  },
  row: ZoomeyeDomain,
  paging: Paging.pageNumberWhile("page", (page) => {
    const total = Rows.at(page.body, "total")
    return typeof total === "number" && (page.index + 1) * pageSize < total
  }),
  maxPages: (config) => config.max_pages,
  names: (row) => [row.name],
  evidence: (row) => (row.ip === undefined ? undefined : { ip: row.ip })
})
