/**
 * github_code_search: public code that mentions a domain, from GitHub's code search
 * (`GET {base}/search/code?q="{domain}"`, `Authorization: Bearer`): the files' URLs, and the
 * names and email addresses on the domain in the matched fragments (`text_matches`, asked
 * for with the `application/vnd.github.text-match+json` media type).
 */
import { Clock, Effect, Option, Redacted, Schema } from "effect"
import type { HttpResponse } from "../Module.js"
import {
  apiKey,
  AuthFailed,
  defineModule,
  endpoint,
  expectOk,
  finding,
  parseRetryAfter,
  RateLimited,
  targetValue
} from "../Module.js"
import type { Finding } from "../Module.js"

export const CodeItem = Schema.Struct({
  html_url: Schema.String,
  path: Schema.optionalWith(Schema.String, { exact: true }),
  repository: Schema.optionalWith(
    Schema.Struct({ full_name: Schema.optionalWith(Schema.String, { exact: true }) }),
    { exact: true }
  ),
  text_matches: Schema.optionalWith(
    Schema.Array(
      Schema.Struct({ fragment: Schema.String, property: Schema.optionalWith(Schema.String, { exact: true }) })
    ),
    { exact: true }
  )
})
export type CodeItem = typeof CodeItem.Type

export const CodeSearch = Schema.Struct({
  total_count: Schema.Number,
  incomplete_results: Schema.optionalWith(Schema.Boolean, { exact: true }),
  items: Schema.Array(CodeItem)
})

const ErrorBody = Schema.parseJson(Schema.Struct({ message: Schema.String }))

export const GithubCodeSearchConfig = Schema.Struct({
  /** Result pages fetched at most (code search allows 10 requests a minute). */
  max_pages: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 10)), { default: () => 1, exact: true }),
  per_page: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 100)), { default: () => 100, exact: true }),
  /** Ask for the matched fragments and report the names and emails in them. */
  text_matches: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true })
})
export type GithubCodeSearchConfig = typeof GithubCodeSearchConfig.Type

const inScope = (name: string, domain: string) => name === domain || name.endsWith(`.${domain}`)

const hostPattern = /(?<![a-z0-9_@.-])(?:[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}(?![a-z0-9_-])/gi
const emailPattern = /[a-z0-9._%+-]+@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}/gi

export const extractFindings = (
  items: ReadonlyArray<CodeItem>,
  domain: string
): ReadonlyArray<Finding> => {
  const found = new Map<string, { readonly finding: Finding; readonly files: Set<string> }>()
  const add = (item: Option.Option<Finding>, file: string) => {
    if (Option.isNone(item)) return
    const key = `${item.value.type}:${item.value.value}`
    const entry = found.get(key) ?? { finding: item.value, files: new Set<string>() }
    entry.files.add(file)
    found.set(key, entry)
  }
  for (const item of items) {
    const repository = item.repository?.full_name ?? null
    add(
      finding("URL", item.html_url, { confidence: 0.9, metadata: { repository, path: item.path ?? null } }),
      item.html_url
    )
    for (const match of item.text_matches ?? []) {
      for (const [email] of match.fragment.matchAll(emailPattern)) {
        const parsed = finding("EMAIL", email, { confidence: 0.6, metadata: { repository } })
        if (
          Option.isSome(parsed) && inScope(parsed.value.value.slice(parsed.value.value.lastIndexOf("@") + 1), domain)
        ) {
          add(parsed, item.html_url)
        }
      }
      for (const [host] of match.fragment.replace(emailPattern, " ").matchAll(hostPattern)) {
        const parsed = finding("DOMAIN", host, { confidence: 0.6, metadata: { repository } })
        if (Option.isSome(parsed) && inScope(parsed.value.value, domain)) add(parsed, item.html_url)
      }
    }
  }
  return Array.from(found.values())
    .map(({ finding, files }): Finding => ({ ...finding, source_data: { files: Array.from(files).slice(0, 10) } }))
    .sort((a, b) => (a.type === b.type ? a.value.localeCompare(b.value) : a.type.localeCompare(b.type)))
}

/**
 * GitHub answers its rate limits with 403 (or 429): the secondary one with `retry-after`, the
 * primary one with `x-ratelimit-remaining: 0` and the reset time. Only other 403s are about
 * the token.
 */
const rateLimit = (response: HttpResponse) =>
  Effect.gen(function*() {
    if (response.status !== 403 && response.status !== 429) return Option.none<RateLimited>()
    const retryAfter = yield* parseRetryAfter(response.headers["retry-after"])
    if (Option.isSome(retryAfter)) {
      return Option.some(new RateLimited({ reason: "github secondary rate limit", retryAfterMs: retryAfter.value }))
    }
    const reset = Number(response.headers["x-ratelimit-reset"])
    if (response.headers["x-ratelimit-remaining"] === "0" && Number.isFinite(reset)) {
      const now = yield* Clock.currentTimeMillis
      return Option.some(
        new RateLimited({ reason: "github rate limit exhausted", retryAfterMs: Math.max(0, reset * 1000 - now) })
      )
    }
    const message = Schema.decodeUnknownOption(ErrorBody)(response.body)
    if (Option.isSome(message) && /rate limit/i.test(message.value.message)) {
      return Option.some(new RateLimited({ reason: "github rate limit" }))
    }
    return response.status === 429
      ? Option.some(new RateLimited({ reason: "github rate limit (HTTP 429)" }))
      : Option.none()
  })

export const githubCodeSearch = defineModule({
  name: "github_code_search",
  description: "Finds public code mentioning a domain on GitHub, with the names and emails in it",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["DOMAIN"],
  output_types: ["URL", "DOMAIN", "EMAIL"],
  flags: ["passive", "safe"],
  configSchema: GithubCodeSearchConfig,
  default_config: { max_pages: 1, per_page: 100, text_matches: true },
  source: {
    id: "github",
    name: "GitHub code search",
    baseUrl: "https://api.github.com",
    // Code search allows 10 requests a minute per token.
    rateLimit: { requests: 10, perSeconds: 60 },
    requiresKey: true,
    proxy: true
  },
  setup: (config, ctx) =>
    Effect.gen(function*() {
      const base = yield* endpoint(ctx, "github_code_search", "github")
      const key = yield* apiKey(ctx, "github")
      return { config, base, key, http: ctx.http, log: ctx.log }
    }),
  collect: (session, task) =>
    Effect.gen(function*() {
      const domain = yield* targetValue("github_code_search", task, "DOMAIN")
      const items: Array<CodeItem> = []
      let total = 0
      for (let page = 1; page <= session.config.max_pages; page++) {
        const response = yield* session.http.get(`${session.base}/search/code`, {
          query: { q: `"${domain}"`, per_page: session.config.per_page, page },
          headers: {
            authorization: `Bearer ${Redacted.value(session.key)}`,
            accept: session.config.text_matches
              ? "application/vnd.github.text-match+json"
              : "application/vnd.github+json",
            "x-github-api-version": "2022-11-28"
          }
        })
        const limited = yield* rateLimit(response)
        if (Option.isSome(limited)) return yield* limited.value
        if (response.status === 403) {
          return yield* new AuthFailed({ reason: "github refused the token (HTTP 403)", status: 403 })
        }
        const answer = yield* expectOk(response).pipe(Effect.flatMap((ok) => ok.json(CodeSearch)))
        items.push(...answer.items)
        total = answer.total_count
        if (!/rel="next"/.test(response.headers["link"] ?? "")) break
      }
      const findings = extractFindings(items, domain)
      yield* session.log("github_code_search answered", {
        domain,
        total,
        items: items.length,
        findings: findings.length
      })
      return findings
    })
})
