/**
 * binaryedge: names under a domain from BinaryEdge's domain index
 * (`GET {base}/v2/query/domains/subdomain/{domain}?page=n`, key in `X-Key`), which answers
 * `{"query", "page", "pagesize", "total", "events": [names]}`: paged by page number while
 * `page · pagesize < total`, up to `max_pages`. BinaryEdge closed its public API on 31 March 2025;
 * the module speaks its v2 API for an endpoint that still does (`MIRAGE_MODULE_ENDPOINTS`).
 */
import { Schema } from "effect"
import { maxPagesField } from "../kinds/PagedApi.js"
import * as Paging from "../kinds/Paging.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { subdomainSource } from "../kinds/SubdomainSource.js"

export const BinaryedgeConfig = Schema.Struct({
  /** Pages of (usually) 100 names fetched at most per domain; each is a request of the plan's quota. */
  max_pages: maxPagesField(10, 100)
})

const count = (body: unknown, field: string): number => {
  const value = Rows.at(body, field)
  return typeof value === "number" ? value : Number(value)
}

/** More pages while the ones read so far (`page · pagesize`) fall short of `total`. */
export const hasMore = (body: unknown): boolean => {
  const [page, size, total] = [count(body, "page"), count(body, "pagesize"), count(body, "total")]
  return [page, size, total].every(Number.isFinite) && size > 0 && page * size < total
}

export const binaryedge = subdomainSource({
  name: "binaryedge",
  title: "BinaryEdge",
  description: "Finds subdomains in BinaryEdge's index of domains " +
    "(service closed or blocked as of 2026; see SOURCES.md)",
  flags: ["passive", "safe"],
  config: BinaryedgeConfig,
  source: {
    id: "binaryedge",
    name: "BinaryEdge",
    baseUrl: "https://api.binaryedge.io",
    // No per-second limit was published; plans were counted in monthly requests. One a second.
    rateLimit: { requests: 1, perSeconds: 1 },
    requiresKey: true,
    proxy: true
  },
  auth: Auth.header("X-Key"),
  format: Formats.json,
  request: (domain) => ({ path: `/v2/query/domains/subdomain/${domain}`, query: { page: 1 } }),
  rows: (body) => {
    const events = Rows.at(body, "events")
    return Array.isArray(events) ? events : undefined
  },
  row: Schema.String,
  paging: Paging.pageNumberWhile("page", (page) => hasMore(page.body)),
  maxPages: (config) => config.max_pages,
  names: (name) => [name]
})
