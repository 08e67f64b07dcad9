/**
 * urlscan_search: URLs, host names and addresses of public urlscan.io scans under a domain
 * (`GET {base}/api/v1/search/?q=domain:{domain}`, optional `API-Key` header); only what is
 * on the domain is reported, not where its pages redirect. Results are read one by one (an odd one
 * skipped and counted); more pages are asked with `search_after` (the last result's `sort`) while
 * `has_more` says so, up to `max_pages`.
 */
import { Effect, Option, Predicate, Schema } from "effect"
import { maxPagesField, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { finding, parseRetryAfter, RateLimited } from "../Module.js"
import type { Finding, HttpResponse } from "../Module.js"
import { inScope } from "../Scope.js"

/** Text, maybe sent as a number (a status, an ASN); null is the same as absent. */
const text = Schema.optionalWith(Rows.Stringish, { exact: true, nullable: true })

export const SearchResult = Schema.Struct({
  _id: text,
  task: Schema.optionalWith(Schema.Struct({ url: text, time: text }), { exact: true, nullable: true }),
  page: Schema.optionalWith(
    Schema.Struct({ url: text, ip: text, asn: text, title: text, status: text }),
    { exact: true, nullable: true }
  ),
  result: text,
  /** The result's sort key: `search_after` for the next page. */
  sort: Schema.optionalWith(Schema.Array(Rows.Stringish), { exact: true })
}).pipe(Schema.filter((result) => (result.task?.url ?? result.page?.url) !== undefined || "names no URL"))
export type SearchResult = typeof SearchResult.Type

export const UrlscanConfig = Schema.Struct({
  /** Results asked for per page (the API's `size`; free keys get at most 100 per query). */
  size: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 10_000)), { default: () => 100, exact: true }),
  /** Pages asked for at most: each is a search against the key's quota. */
  max_pages: maxPagesField(1, 50),
  /** Report the scanned URLs, not only their host names and addresses. */
  urls: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true })
})
export type UrlscanConfig = typeof UrlscanConfig.Type

const sortFindings = (findings: ReadonlyArray<Finding>) =>
  [...findings].sort((a, b) => (a.type === b.type ? a.value.localeCompare(b.value) : a.type.localeCompare(b.type)))

export const extractFindings = (
  results: ReadonlyArray<SearchResult>,
  domain: string,
  config: UrlscanConfig
): ReadonlyArray<Finding> => {
  const found = new Map<string, Finding>()
  const add = (item: Option.Option<Finding>) => {
    if (Option.isSome(item) && !found.has(`${item.value.type}:${item.value.value}`)) {
      found.set(`${item.value.type}:${item.value.value}`, item.value)
    }
  }
  for (const result of results) {
    const details = { metadata: { scan: result._id ?? null, scanned_at: result.task?.time ?? null } }
    for (const [raw, isPage] of [[result.task?.url, false], [result.page?.url, true]] as const) {
      if (raw === undefined) continue
      const url = finding("URL", raw, { confidence: 0.8, ...details })
      if (Option.isNone(url)) continue
      const host = finding("DOMAIN", new URL(url.value.value).hostname, { confidence: 0.8, ...details })
      if (Option.isNone(host) || !inScope(host.value.value, domain)) continue
      add(host)
      if (config.urls) add(url)
      // The address urlscan's browser reached, when the page itself is on the domain.
      if (isPage && result.page?.ip !== undefined) {
        add(finding("IP", result.page.ip, {
          confidence: 0.7,
          metadata: { ...details.metadata, hostname: host.value.value, asn: result.page.asn ?? null }
        }))
      }
    }
  }
  return sortFindings(Array.from(found.values()))
}

/** urlscan.io says when its window resets in its own header, not in Retry-After. */
const ownRateLimit = (response: HttpResponse) =>
  response.status !== 429 || response.headers["retry-after"] !== undefined
    ? Effect.succeed(Option.none())
    : Effect.map(parseRetryAfter(response.headers["x-rate-limit-reset-after"]), (reset) =>
      Option.some(
        new RateLimited({
          reason: "urlscan rate limited (HTTP 429)",
          ...Option.match(reset, { onNone: () => ({}), onSome: (retryAfterMs) => ({ retryAfterMs }) })
        })
      ))

export const urlscanSearch = pagedApi({
  name: "urlscan_search",
  description: "Finds URLs, subdomains and addresses of a domain in urlscan.io's public scans",
  version: "1.1.0",
  input_types: ["DOMAIN"],
  output_types: ["URL", "DOMAIN", "IP"],
  flags: ["passive", "safe"],
  config: UrlscanConfig,
  source: {
    id: "urlscan",
    name: "urlscan.io Search API",
    baseUrl: "https://urlscan.io",
    // Free keys may search 120 times a minute (1,000 a day); keyless clients get less.
    rateLimit: { requests: 60, perSeconds: 60, burst: 10 },
    requiresKey: false,
    proxy: true
  },
  auth: Auth.header("api-key"),
  format: Formats.json,
  request: (target, config) => ({ path: "/api/v1/search/", query: { q: `domain:${target.value}`, size: config.size } }),
  failure: ownRateLimit,
  rows: (body) => {
    const results = Rows.at(body, "results")
    return Array.isArray(results) ? results : undefined
  },
  row: SearchResult,
  paging: {
    next: (page) => {
      const last = page.rows.at(-1)?.sort
      return Predicate.isRecord(page.body) && page.body["has_more"] === true && last !== undefined && last.length > 0
        ? Option.some({ _tag: "Query", query: { search_after: last.join(",") } })
        : Option.none()
    }
  },
  maxPages: (config) => config.max_pages,
  findings: (results, target, config) => extractFindings(results, target.value, config)
})
