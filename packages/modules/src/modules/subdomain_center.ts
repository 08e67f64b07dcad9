/**
 * subdomain_center: names under a domain from subdomain.center (`GET {base}/?domain={domain}&limit={page_size}`), a
 * JSON array of host names. Anonymous callers get a shuffled sample of at most 500 names and five requests a minute
 * (429 with Retry-After beyond), `limit` and `offset` ignored; a key (`X-API-Key`) lifts both and pages the complete,
 * sorted set: while an answer says `X-Truncated: true`, the next asks `offset={X-Next-Offset}` with the same `limit`.
 */
import { Option, Schema } from "effect"
import { maxPagesField } from "../kinds/PagedApi.js"
import type { PagePointer, Paging } from "../kinds/Paging.js"
import { Auth, Formats } from "../kinds/Request.js"
import { subdomainSource } from "../kinds/SubdomainSource.js"

export const SubdomainCenterConfig = Schema.Struct({
  /** Names a page at most (`limit`, sent on every page as the API requires); the API's own default is 200,000. */
  page_size: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 1_000_000)), {
    default: () => 100_000,
    exact: true
  }),
  /** Pages fetched at most per domain (keyed answers only page). */
  max_pages: maxPagesField(10)
})

const header = (headers: Readonly<Record<string, string>>, name: string) => (headers[name] ?? "").trim().toLowerCase()

/** The next page's offset while the answer is truncated; the anonymous tier's sample never pages. */
export const nextOffset: Paging<unknown, unknown> = {
  next: (page) => {
    const offset = header(page.headers, "x-next-offset")
    const pages = header(page.headers, "x-truncated") === "true" && header(page.headers, "x-tier") !== "anonymous"
    return pages && page.size > 0 && /^\d+$/.test(offset)
      ? Option.some<PagePointer>({ _tag: "Query", query: { offset: Number(offset) } })
      : Option.none()
  }
}

export const subdomainCenter = subdomainSource({
  name: "subdomain_center",
  title: "subdomain.center",
  description: "Finds subdomains through subdomain.center's passive index",
  version: "1.1.0",
  flags: ["passive", "safe"],
  config: SubdomainCenterConfig,
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
  request: (domain, config) => ({ path: "/", query: { domain, limit: config.page_size } }),
  rows: (body) => (Array.isArray(body) ? body : undefined),
  row: Schema.String,
  paging: nextOffset,
  maxPages: (config) => config.max_pages,
  names: (name) => [name]
})
