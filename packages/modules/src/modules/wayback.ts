/**
 * wayback: URLs the Internet Archive captured under a domain, and the host names in them,
 * from the Wayback Machine's CDX API
 * (`GET {base}/cdx/search/cdx?url=*.{domain}/*&output=json&fl=original&collapse=urlkey`).
 */
import { Effect, Option, Schema } from "effect"
import { BadResponse, defineModule, expectOk, finding, httpSession, targetValue } from "../Module.js"
import type { Finding } from "../Module.js"

/** CDX JSON: a header row naming the fields, then one row per capture; `[]` when none. */
export const CdxRows = Schema.Array(Schema.Array(Schema.String))

export const WaybackConfig = Schema.Struct({
  /** Captures asked for at most (after collapsing). */
  limit: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 100_000)), { default: () => 10_000, exact: true }),
  /** Report the URLs themselves, not only their host names. */
  urls: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true })
})
export type WaybackConfig = typeof WaybackConfig.Type

const inScope = (name: string, domain: string) => name === domain || name.endsWith(`.${domain}`)

/** The in-scope URLs and host names of the rows, once each. */
export const extractFindings = (
  originals: ReadonlyArray<string>,
  domain: string,
  config: WaybackConfig
): ReadonlyArray<Finding> => {
  const urls = new Map<string, Finding>()
  const hosts = new Map<string, number>()
  for (const original of originals) {
    const url = finding("URL", original, { confidence: 0.6, metadata: { archived: true } })
    if (Option.isNone(url)) continue
    const host = finding("DOMAIN", new URL(url.value.value).hostname, { confidence: 0 })
    if (Option.isNone(host) || !inScope(host.value.value, domain)) continue
    hosts.set(host.value.value, (hosts.get(host.value.value) ?? 0) + 1)
    if (config.urls && !urls.has(url.value.value)) urls.set(url.value.value, url.value)
  }
  const domains = Array.from(hosts.entries()).map(([value, count]): Finding => ({
    type: "DOMAIN",
    value,
    // A name that was archived existed once; it may be long gone.
    confidence: 0.6,
    source_data: {},
    metadata: { archived_urls: count }
  }))
  return [...domains, ...urls.values()].sort((a, b) =>
    a.type === b.type ? a.value.localeCompare(b.value) : a.type.localeCompare(b.type)
  )
}

export const wayback = defineModule({
  name: "wayback",
  description: "Finds archived URLs and subdomains of a domain in the Wayback Machine's CDX index",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["DOMAIN"],
  output_types: ["URL", "DOMAIN"],
  flags: ["passive", "safe"],
  configSchema: WaybackConfig,
  default_config: { limit: 10_000, urls: true },
  source: {
    id: "wayback",
    name: "Internet Archive Wayback Machine CDX API",
    baseUrl: "https://web.archive.org",
    // The archive throttles clients above roughly 15 CDX queries a minute.
    rateLimit: { requests: 15, perSeconds: 60 },
    requiresKey: false,
    proxy: true
  },
  setup: httpSession<typeof WaybackConfig.Type>("wayback", "wayback"),
  collect: (session, task) =>
    Effect.gen(function*() {
      const domain = yield* targetValue("wayback", task, "DOMAIN")
      const response = yield* session.http.get(`${session.base}/cdx/search/cdx`, {
        query: {
          url: `*.${domain}/*`,
          output: "json",
          fl: "original",
          collapse: "urlkey",
          limit: session.config.limit
        },
        headers: { accept: "application/json" }
      }).pipe(Effect.flatMap(expectOk))
      const rows = yield* response.json(CdxRows)
      const [header, ...captures] = rows
      const column = header === undefined ? 0 : header.indexOf("original")
      if (column < 0) {
        return yield* new BadResponse({ reason: "CDX answer has no \"original\" column", status: response.status })
      }
      const originals = captures.flatMap((row) => (row[column] === undefined ? [] : [row[column]]))
      const findings = extractFindings(originals, domain, session.config)
      yield* session.log("wayback answered", { domain, captures: captures.length, findings: findings.length })
      return findings
    })
})
