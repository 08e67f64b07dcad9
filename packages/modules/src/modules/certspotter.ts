/**
 * certspotter: names under a domain from SSLMate's Cert Spotter CT search
 * (`GET {base}/v1/issuances?domain=…&include_subdomains=true&expand=dns_names`), following its
 * `after` paging; the key is optional (`Authorization: Bearer`) and raises the quota.
 */
import { Effect, Option, Redacted, Schema } from "effect"
import {
  AuthFailed,
  BadResponse,
  defineModule,
  expectOk,
  finding,
  httpSession,
  RateLimited,
  targetValue
} from "../Module.js"
import type { Finding } from "../Module.js"

export const Issuance = Schema.Struct({
  /** Increasing with time; the `after` cursor of the next page. */
  id: Schema.String,
  dns_names: Schema.optionalWith(Schema.Array(Schema.String), { exact: true }),
  not_before: Schema.optionalWith(Schema.String, { exact: true }),
  not_after: Schema.optionalWith(Schema.String, { exact: true }),
  revoked: Schema.optionalWith(Schema.Boolean, { exact: true })
})
export type Issuance = typeof Issuance.Type

/** What the API sends instead of issuances when it refuses (sometimes with status 200). */
const ApiError = Schema.Struct({ code: Schema.String, message: Schema.String })

const Answer = Schema.Union(Schema.Array(Issuance), ApiError)

const refusal = (error: typeof ApiError.Type) =>
  error.code === "rate_limited"
    ? new RateLimited({ reason: `certspotter refused: ${error.code}` })
    : error.code === "unauthorized"
    ? new AuthFailed({ reason: `certspotter refused: ${error.code}` })
    : new BadResponse({ reason: `certspotter refused: ${error.code}` })

export const CertspotterConfig = Schema.Struct({
  /** Pages of issuances fetched at most per domain. */
  max_pages: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 100)), { default: () => 10, exact: true })
})
export type CertspotterConfig = typeof CertspotterConfig.Type

const inScope = (name: string, domain: string) => name === domain || name.endsWith(`.${domain}`)

interface Seen {
  readonly value: string
  wildcard: boolean
  readonly ids: Array<string>
}

/** The in-scope names of the issuances, once each, with the issuances naming them. */
export const extractFindings = (issuances: ReadonlyArray<Issuance>, domain: string): ReadonlyArray<Finding> => {
  const seen = new Map<string, Seen>()
  for (const issuance of issuances) {
    for (const raw of issuance.dns_names ?? []) {
      const wildcard = raw.trim().startsWith("*.")
      const parsed = finding("DOMAIN", raw.trim().replace(/^(\*\.)+/, ""), { confidence: 0 })
      if (Option.isNone(parsed) || !inScope(parsed.value.value, domain)) continue
      const current = seen.get(parsed.value.value) ?? { value: parsed.value.value, wildcard: false, ids: [] }
      current.wildcard ||= wildcard
      if (!current.ids.includes(issuance.id)) current.ids.push(issuance.id)
      seen.set(current.value, current)
    }
  }
  return Array.from(seen.values())
    .sort((a, b) => a.value.localeCompare(b.value))
    .map((item): Finding => ({
      type: "DOMAIN",
      value: item.value,
      confidence: 0.8,
      source_data: { issuance_ids: item.ids.slice(0, 10) },
      metadata: { wildcard: item.wildcard, issuance_count: item.ids.length }
    }))
}

export const certspotter = defineModule({
  name: "certspotter",
  description: "Finds subdomains in Certificate Transparency logs via SSLMate's Cert Spotter API",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN"],
  flags: ["passive", "safe"],
  configSchema: CertspotterConfig,
  default_config: { max_pages: 10 },
  source: {
    id: "certspotter",
    name: "SSLMate Cert Spotter",
    baseUrl: "https://api.certspotter.com",
    // The free tier allows about 100 full-domain queries an hour.
    rateLimit: { requests: 100, perSeconds: 3600, burst: 5 },
    requiresKey: false,
    proxy: true
  },
  setup: httpSession<typeof CertspotterConfig.Type>("certspotter", "certspotter"),
  collect: (session, task) =>
    Effect.gen(function*() {
      const domain = yield* targetValue("certspotter", task, "DOMAIN")
      const headers: Record<string, string> = Option.match(session.key, {
        onNone: () => ({ accept: "application/json" }),
        onSome: (key) => ({ accept: "application/json", authorization: `Bearer ${Redacted.value(key)}` })
      })
      const issuances: Array<Issuance> = []
      let after: string | undefined
      let pages = 0
      while (pages < session.config.max_pages) {
        pages++
        const response = yield* session.http.get(`${session.base}/v1/issuances`, {
          query: {
            domain,
            include_subdomains: "true",
            expand: "dns_names",
            ...(after === undefined ? {} : { after })
          },
          headers
        }).pipe(Effect.flatMap(expectOk))
        const answer = yield* response.json(Answer)
        if (Schema.is(ApiError)(answer)) return yield* refusal(answer)
        const page = answer
        if (page.length === 0) break
        issuances.push(...page)
        after = page[page.length - 1]!.id
      }
      const findings = extractFindings(issuances, domain)
      yield* session.log("certspotter answered", {
        domain,
        pages,
        issuances: issuances.length,
        findings: findings.length
      })
      return findings
    })
})
