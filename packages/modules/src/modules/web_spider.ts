/**
 * web_spider: crawls a website from a URL, breadth first, within the target's scope (its host
 * without `www.` and the names below it) and the configured depth and page limits, reporting
 * the in-scope URLs it links to, and the email addresses and phone numbers its pages show
 * (`mailto:`, `tel:` and text).
 */
import { Array as Arr, Effect, Option, Ref, Schema } from "effect"
import { uniqueBy } from "../internal/Unique.js"
import {
  baseOf,
  baseUrlField,
  emailsIn,
  fetchFollowing,
  linksOf,
  phonesIn,
  scopeDomainOf,
  textOf,
  webSource
} from "../internal/Web.js"
import type { Fetched } from "../internal/Web.js"
import { countedSession, defineModule, expectOk, finding, targetValue } from "../Module.js"
import type { Finding } from "../Module.js"
import { inScope } from "../Scope.js"

const Domain = Schema.String.pipe(Schema.pattern(/^[a-z0-9_.-]+$/i, { message: () => "must be a domain name" }))

export const WebSpiderConfig = Schema.Struct({
  /** Links followed from the start page: 0 reads the start page only. */
  max_depth: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 10)), { default: () => 2, exact: true }),
  /** Pages fetched at most, the start page included. */
  max_pages: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 1000)), { default: () => 50, exact: true }),
  /** Pages fetched at once. */
  concurrency: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 20)), { default: () => 4, exact: true }),
  /** Domains in scope besides the target's own (with the names below them). */
  scope_domains: Schema.optionalWith(Schema.Array(Domain), { default: () => [], exact: true }),
  /** Report email addresses of other domains too (web mail, agencies, vendors). */
  external_emails: Schema.optionalWith(Schema.Boolean, { default: () => false, exact: true }),
  max_redirects: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 20)), { default: () => 5, exact: true }),
  base_url: baseUrlField
})
export type WebSpiderConfig = typeof WebSpiderConfig.Type

/** Links to these are reported but not fetched: they are not pages. */
const notPages =
  /\.(?:pdf|jpe?g|png|gif|svg|webp|ico|css|js|mjs|json|xml|txt|zip|gz|tgz|rar|7z|mp3|mp4|avi|mov|woff2?|ttf|eot|docx?|xlsx?|pptx?)$/i

const withoutHash = (url: URL) => {
  const copy = new URL(url.href)
  copy.hash = ""
  return copy
}

const decode = (text: string) => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

interface Found {
  readonly type: "URL" | "EMAIL" | "PHONE"
  readonly value: string
  readonly page: string
  readonly how: string
}

export const webSpider = defineModule({
  name: "web_spider",
  description: "Crawls a website within its domain for linked URLs, email addresses and phone numbers",
  version: "1.0.1",
  author: "Mirage Team",
  input_types: ["URL"],
  output_types: ["URL", "EMAIL", "PHONE"],
  flags: ["active", "aggressive", "noisy"],
  configSchema: WebSpiderConfig,
  default_config: {
    max_depth: 2,
    max_pages: 50,
    concurrency: 4,
    scope_domains: [],
    external_emails: false,
    max_redirects: 5,
    base_url: null
  },
  source: webSource,
  setup: (config: WebSpiderConfig, ctx) =>
    Effect.map(countedSession<WebSpiderConfig>("web_spider", "pages")(config, ctx), (session) => ({
      ...session,
      notes: ctx.notes
    })),
  collect: (session, task) =>
    Effect.gen(function*() {
      const start = new URL(yield* targetValue("web_spider", task, "URL"))
      const { config } = session
      const domains = [scopeDomainOf(start.hostname), ...config.scope_domains.map((d) => d.toLowerCase())]
      const scoped = (host: string) => domains.some((domain) => inScope(host, domain))

      const found: Array<Found> = []
      const visited = new Set<string>([start.href])
      let frontier: ReadonlyArray<URL> = [start]
      let fetchedPages = 0

      const read = (page: Fetched) => {
        const contentType = page.response.headers["content-type"] ?? ""
        if (!contentType.includes("html")) return []
        const html = page.response.body
        const base = baseOf(html, page.url)
        const next: Array<URL> = []
        const at = page.url.href
        for (const link of linksOf(html)) {
          const lower = link.toLowerCase()
          if (lower.startsWith("mailto:")) {
            const address = decode(link.slice(7).split("?")[0] ?? "")
            for (const email of address.split(",")) {
              found.push({ type: "EMAIL", value: email.trim(), page: at, how: "mailto" })
            }
            continue
          }
          if (lower.startsWith("tel:")) {
            found.push({ type: "PHONE", value: decode(link.slice(4)), page: at, how: "tel" })
            continue
          }
          if (!URL.canParse(link, base.href)) {
            continue
          }
          const url = withoutHash(new URL(link, base))
          if (!/^https?:$/.test(url.protocol) || !scoped(url.hostname)) {
            continue
          }
          found.push({ type: "URL", value: url.href, page: at, how: "link" })
          if (!visited.has(url.href) && !notPages.test(url.pathname)) next.push(url)
        }
        const text = textOf(html)
        for (const email of emailsIn(text)) found.push({ type: "EMAIL", value: email, page: at, how: "text" })
        for (const phone of phonesIn(text)) found.push({ type: "PHONE", value: phone, page: at, how: "text" })
        return next
      }

      for (let depth = 0; depth <= config.max_depth && frontier.length > 0; depth++) {
        const batch = frontier.slice(0, Math.max(0, config.max_pages - fetchedPages))
        fetchedPages += batch.length
        const pages = yield* Effect.forEach(batch, (url) =>
          Effect.zipRight(
            Ref.update(session.count, (n) => n + 1),
            fetchFollowing(session.http, url, { baseUrl: config.base_url, maxRedirects: config.max_redirects }).pipe(
              // A server that is failing (5xx) or refusing us for now (429) did not answer the page: its error page
              // is not the site's content.
              Effect.tap((page) =>
                page.response.status === 429 || page.response.status >= 500 ? expectOk(page.response) : Effect.void
              ),
              Effect.map(Option.some),
              // The start page must be readable (else the task is worth retrying); a later page failing
              // keeps what the others gave, with a warning.
              Effect.catchAll((error) =>
                url === start
                  ? Effect.fail(error)
                  : Effect.as(session.notes.warn(`${url.href} could not be fetched: ${error.message}`), Option.none())
              )
            )
          ), { concurrency: config.concurrency })
        const next: Array<URL> = []
        for (const page of Arr.getSomes(pages)) {
          // 421: this server does not serve the name; a redirect out of scope is not ours to read.
          if (page.response.status === 421 || !scoped(page.url.hostname)) {
            continue
          }
          if (page.redirects.length > 0) {
            found.push({ type: "URL", value: page.url.href, page: page.url.href, how: "redirect" })
          }
          visited.add(page.url.href)
          if (depth < config.max_depth) {
            next.push(...read(page))
          } else read(page)
        }
        frontier = uniqueBy(next.filter((url) => !visited.has(url.href)), (url) => url.href)
        for (const url of frontier) visited.add(url.href)
      }

      const findings = new Map<string, Finding>()
      for (const item of found) {
        Option.map(
          finding(item.type, item.value, {
            confidence: item.how === "text" ? 0.7 : 0.9,
            source_data: { page: item.page },
            metadata: { found_by: item.how, start: start.href }
          }),
          (result) => {
            if (result.type === "URL" && result.value === start.href) return
            if (
              result.type === "EMAIL" && !config.external_emails &&
              !scoped(result.value.slice(result.value.lastIndexOf("@") + 1))
            ) return
            const key = `${result.type}:${result.value}`
            if (!findings.has(key)) findings.set(key, result)
          }
        )
      }
      yield* session.log("web_spider crawled", { start: start.href, pages: fetchedPages, findings: findings.size })
      return Array.from(findings.values())
    })
})
