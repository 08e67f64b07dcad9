/**
 * wayback: URLs the Internet Archive captured under a domain, and the host names in them, from the
 * Wayback Machine's CDX API (`GET {base}/cdx/search/cdx?url=*.{domain}/*&output=json&fl=original
 * &collapse=urlkey`), asking only for pages that answered 200 and were not images, fonts, styles or
 * media. The http and https captures of one URL are one finding (the https one), and Cloudflare's
 * `/cdn-cgi/` paths are left out. Rows are read one by one: an odd row is skipped and counted.
 */
import { Option, Schema } from "effect"
import { pagedApi } from "../kinds/PagedApi.js"
import { Formats } from "../kinds/Request.js"
import { finding } from "../Module.js"
import type { Finding } from "../Module.js"
import { inScope } from "../Scope.js"

export const WaybackConfig = Schema.Struct({
  /** Captures asked for at most (after collapsing). */
  limit: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 100_000)), { default: () => 10_000, exact: true }),
  /** Report the URLs themselves, not only their host names. */
  urls: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true })
})
export type WaybackConfig = typeof WaybackConfig.Type

/** CDX filters: captures that answered 200, and no images, fonts, styles or media (they name no new pages). */
export const cdxFilters: ReadonlyArray<string> = [
  "statuscode:200",
  "!mimetype:(image/.*|font/.*|application/(x-)?font-.*|application/vnd\\.ms-fontobject|text/css|video/.*|audio/.*)"
]

/** Cloudflare's own paths (email protection, challenges) on every site it fronts: not the site's pages. */
const cloudflarePath = /(^|\/)cdn-cgi\//

/**
 * The `original` cell of each capture row; undefined when the answer is not CDX JSON (a list whose
 * first row names the columns) or names no `original` column.
 */
export const originals = (body: unknown): ReadonlyArray<unknown> | undefined => {
  if (!Array.isArray(body)) return undefined
  const [header, ...captures] = body
  if (header === undefined) return []
  const column = Array.isArray(header) ? header.indexOf("original") : -1
  if (column < 0) return undefined
  return captures.map((row) => (Array.isArray(row) ? row[column] : undefined))
}

/** The in-scope URLs (an http/https pair once, as https) and host names of the captures, once each. */
export const extractFindings = (
  originals: ReadonlyArray<string>,
  domain: string,
  config: WaybackConfig
): ReadonlyArray<Finding> => {
  // By the URL without its scheme: `http://a/x` and `https://a/x` are one page.
  const urls = new Map<string, Finding>()
  for (const original of originals) {
    const url = finding("URL", original, { confidence: 0.6, metadata: { archived: true } })
    if (Option.isNone(url)) continue
    const parsed = new URL(url.value.value)
    if (cloudflarePath.test(parsed.pathname)) continue
    const host = finding("DOMAIN", parsed.hostname, { confidence: 0 })
    if (Option.isNone(host) || !inScope(host.value.value, domain)) continue
    const key = url.value.value.replace(/^https?:/, "")
    const twin = urls.get(key)
    if (twin === undefined || (parsed.protocol === "https:" && twin.value.startsWith("http:"))) {
      urls.set(key, url.value)
    }
  }
  const hosts = new Map<string, number>()
  for (const url of urls.values()) {
    const host = new URL(url.value).hostname
    hosts.set(host, (hosts.get(host) ?? 0) + 1)
  }
  const domains = Array.from(hosts, ([value, count]): Finding => ({
    type: "DOMAIN",
    value,
    // A name that was archived existed once; it may be long gone.
    confidence: 0.6,
    source_data: {},
    metadata: { archived_urls: count }
  }))
  return [...domains, ...(config.urls ? urls.values() : [])].sort((a, b) =>
    a.type === b.type ? a.value.localeCompare(b.value) : a.type.localeCompare(b.type)
  )
}

export const wayback = pagedApi({
  name: "wayback",
  description: "Finds archived URLs and subdomains of a domain in the Wayback Machine's CDX index",
  version: "1.1.0",
  input_types: ["DOMAIN"],
  output_types: ["URL", "DOMAIN"],
  flags: ["passive", "safe"],
  config: WaybackConfig,
  source: {
    id: "wayback",
    name: "Internet Archive Wayback Machine CDX API",
    baseUrl: "https://web.archive.org",
    // The archive throttles clients above roughly 15 CDX queries a minute.
    rateLimit: { requests: 15, perSeconds: 60 },
    requiresKey: false,
    proxy: true
  },
  format: Formats.json,
  request: (target, config) => ({
    path: "/cdx/search/cdx",
    query: {
      url: `*.${target.value}/*`,
      output: "json",
      fl: "original",
      collapse: "urlkey",
      filter: cdxFilters,
      limit: config.limit
    }
  }),
  rows: originals,
  row: Schema.String,
  findings: (rows, target, config) => extractFindings(rows, target.value, config)
})
