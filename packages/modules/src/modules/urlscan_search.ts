/**
 * urlscan_search: URLs, host names and addresses of public urlscan.io scans under a domain
 * (`GET {base}/api/v1/search/?q=domain:{domain}`, optional `API-Key` header); only what is
 * on the domain is reported, not where its pages redirect.
 */
import { Effect, Option, Redacted, Schema } from "effect"
import { defineModule, expectOk, finding, httpSession, parseRetryAfter, RateLimited, targetValue } from "../Module.js"
import type { Finding } from "../Module.js"

export const SearchResult = Schema.Struct({
  _id: Schema.optionalWith(Schema.String, { exact: true }),
  task: Schema.Struct({
    url: Schema.String,
    time: Schema.optionalWith(Schema.String, { exact: true })
  }),
  page: Schema.optionalWith(
    Schema.Struct({
      url: Schema.optionalWith(Schema.String, { exact: true }),
      ip: Schema.optionalWith(Schema.String, { exact: true }),
      asn: Schema.optionalWith(Schema.String, { exact: true }),
      title: Schema.optionalWith(Schema.String, { exact: true }),
      status: Schema.optionalWith(Schema.String, { exact: true })
    }),
    { exact: true }
  ),
  result: Schema.optionalWith(Schema.String, { exact: true })
})
export type SearchResult = typeof SearchResult.Type

export const SearchAnswer = Schema.Struct({
  results: Schema.Array(SearchResult),
  total: Schema.optionalWith(Schema.Number, { exact: true }),
  has_more: Schema.optionalWith(Schema.Boolean, { exact: true })
})

export const UrlscanConfig = Schema.Struct({
  /** Results asked for (the API's `size`; free keys get at most 100 per query). */
  size: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 10_000)), { default: () => 100, exact: true }),
  /** Report the scanned URLs, not only their host names and addresses. */
  urls: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true })
})
export type UrlscanConfig = typeof UrlscanConfig.Type

const inScope = (name: string, domain: string) => name === domain || name.endsWith(`.${domain}`)

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
    const details = { metadata: { scan: result._id ?? null, scanned_at: result.task.time ?? null } }
    for (const [raw, isPage] of [[result.task.url, false], [result.page?.url, true]] as const) {
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

export const urlscanSearch = defineModule({
  name: "urlscan_search",
  description: "Finds URLs, subdomains and addresses of a domain in urlscan.io's public scans",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["DOMAIN"],
  output_types: ["URL", "DOMAIN", "IP"],
  flags: ["passive", "safe"],
  configSchema: UrlscanConfig,
  default_config: { size: 100, urls: true },
  source: {
    id: "urlscan",
    name: "urlscan.io Search API",
    baseUrl: "https://urlscan.io",
    // Free keys may search 120 times a minute (1,000 a day); keyless clients get less.
    rateLimit: { requests: 60, perSeconds: 60, burst: 10 },
    requiresKey: false,
    proxy: true
  },
  setup: httpSession<typeof UrlscanConfig.Type>("urlscan_search", "urlscan"),
  collect: (session, task) =>
    Effect.gen(function*() {
      const domain = yield* targetValue("urlscan_search", task, "DOMAIN")
      const headers = Option.match(session.key, {
        onNone: (): Record<string, string> => ({ accept: "application/json" }),
        onSome: (key) => ({ accept: "application/json", "api-key": Redacted.value(key) })
      })
      const response = yield* session.http.get(`${session.base}/api/v1/search/`, {
        query: { q: `domain:${domain}`, size: session.config.size },
        headers
      })
      if (response.status === 429 && response.headers["retry-after"] === undefined) {
        // urlscan.io says when its window resets in its own header.
        const reset = yield* parseRetryAfter(response.headers["x-rate-limit-reset-after"])
        return yield* new RateLimited({
          reason: "urlscan rate limited (HTTP 429)",
          ...Option.match(reset, { onNone: () => ({}), onSome: (retryAfterMs) => ({ retryAfterMs }) })
        })
      }
      const answer = yield* expectOk(response).pipe(Effect.flatMap((ok) => ok.json(SearchAnswer)))
      const findings = extractFindings(answer.results, domain, session.config)
      yield* session.log("urlscan_search answered", {
        domain,
        results: answer.results.length,
        findings: findings.length
      })
      return findings
    })
})
