/**
 * virustotal_domain: subdomains VirusTotal has seen under a domain, from the API v3
 * relationship listing (`GET {base}/api/v3/domains/{domain}/subdomains?limit=40`, key in
 * `x-apikey`), following `meta.cursor` for up to `max_pages` pages.
 */
import { Effect, Option, Redacted, Schema } from "effect"
import { apiKey, defineModule, endpoint, expectOk, finding, RateLimited, targetValue } from "../Module.js"
import type { Finding } from "../Module.js"

export const SubdomainsPage = Schema.Struct({
  data: Schema.Array(Schema.Struct({
    id: Schema.String,
    type: Schema.String,
    attributes: Schema.optionalWith(
      Schema.Struct({
        last_dns_records: Schema.optionalWith(
          Schema.Array(Schema.Struct({
            type: Schema.String,
            value: Schema.String,
            ttl: Schema.optionalWith(Schema.Number, { exact: true })
          })),
          { exact: true }
        )
      }),
      { exact: true }
    )
  })),
  meta: Schema.optionalWith(
    Schema.Struct({
      count: Schema.optionalWith(Schema.Number, { exact: true }),
      cursor: Schema.optionalWith(Schema.String, { exact: true })
    }),
    { exact: true }
  ),
  links: Schema.optionalWith(Schema.Struct({ next: Schema.optionalWith(Schema.String, { exact: true }) }), {
    exact: true
  })
})
export type SubdomainsPage = typeof SubdomainsPage.Type

export const VirustotalConfig = Schema.Struct({
  /** Pages of 40 subdomains fetched at most per domain (each counts against the quota). */
  max_pages: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 50)), { default: () => 5, exact: true })
})
export type VirustotalConfig = typeof VirustotalConfig.Type

/** The public API's quota is per minute; VirusTotal sends no Retry-After with its 429. */
const quotaWindowMs = 60_000

const inScope = (name: string, domain: string) => name === domain || name.endsWith(`.${domain}`)

export const extractFindings = (
  items: SubdomainsPage["data"],
  domain: string
): ReadonlyArray<Finding> => {
  const found = new Map<string, Finding>()
  for (const item of items) {
    if (item.type !== "domain") continue
    const records = item.attributes?.last_dns_records ?? []
    const name = finding("DOMAIN", item.id, {
      confidence: 0.75,
      source_data: { last_dns_records: records },
      metadata: { parent: domain }
    })
    if (Option.isSome(name) && inScope(name.value.value, domain) && name.value.value !== domain) {
      found.set(name.value.value, name.value)
    }
  }
  return Array.from(found.values()).sort((a, b) => a.value.localeCompare(b.value))
}

export const virustotalDomain = defineModule({
  name: "virustotal_domain",
  description: "Finds subdomains of a domain in VirusTotal's passive DNS and URL data",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN"],
  flags: ["passive", "safe"],
  configSchema: VirustotalConfig,
  default_config: { max_pages: 5 },
  source: {
    id: "virustotal",
    name: "VirusTotal API v3",
    baseUrl: "https://www.virustotal.com",
    // The public API allows 4 requests a minute (and 500 a day).
    rateLimit: { requests: 4, perSeconds: 60 },
    requiresKey: true,
    proxy: true
  },
  setup: (config, ctx) =>
    Effect.gen(function*() {
      const base = yield* endpoint(ctx, "virustotal_domain", "virustotal")
      const key = yield* apiKey(ctx, "virustotal")
      return { config, base, key, http: ctx.http, log: ctx.log }
    }),
  collect: (session, task) =>
    Effect.gen(function*() {
      const domain = yield* targetValue("virustotal_domain", task, "DOMAIN")
      const items: Array<SubdomainsPage["data"][number]> = []
      let cursor: string | undefined
      let pages = 0
      do {
        pages++
        const response = yield* session.http.get(`${session.base}/api/v3/domains/${domain}/subdomains`, {
          query: { limit: 40, ...(cursor === undefined ? {} : { cursor }) },
          headers: { "x-apikey": Redacted.value(session.key), accept: "application/json" }
        })
        // VirusTotal has never seen the domain.
        if (response.status === 404) break
        const ok = yield* expectOk(response).pipe(
          Effect.catchTag("RateLimited", (error) =>
            Effect.fail(
              error.retryAfterMs === undefined
                ? new RateLimited({ reason: "virustotal quota exceeded (HTTP 429)", retryAfterMs: quotaWindowMs })
                : error
            ))
        )
        const page = yield* ok.json(SubdomainsPage)
        items.push(...page.data)
        // The cursor, not `links.next`: the key must only go to the configured endpoint.
        cursor = page.meta?.cursor
      } while (cursor !== undefined && cursor !== "" && pages < session.config.max_pages)
      const findings = extractFindings(items, domain)
      yield* session.log("virustotal_domain answered", { domain, pages, findings: findings.length })
      return findings
    })
})
