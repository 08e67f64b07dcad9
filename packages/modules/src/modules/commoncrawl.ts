/**
 * commoncrawl: URLs and host names under a domain in the latest Common Crawl, from its index
 * server: `GET {base}/collinfo.json` lists the crawls newest first (read once per node for the source's
 * cache TTL); that crawl's CDX index
 * (`GET {base}/{id}-index?url=*.{domain}&output=json`) answers one JSON capture a line, in pages
 * whose count `showNumPages=true` tells. The server is shared and slow: go gently.
 */
import { Effect, Option, Schema } from "effect"
import { canonicalTarget, collectPages, headerFields, maxPagesField } from "../kinds/PagedApi.js"
import { Auth, Formats, openSession, send, sharedList } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { subdomainFindings } from "../kinds/SubdomainSource.js"
import { BadResponse, type DataSource, defineModule, type Finding, finding } from "../Module.js"
import { inScope } from "../Scope.js"

export const Crawl = Schema.Struct({ id: Schema.String.pipe(Schema.pattern(/^CC-MAIN-[\w-]+$/)) })
export const PageCount = Schema.Struct({ pages: Schema.Int.pipe(Schema.nonNegative()) })
/** A capture line; `status` and the other numbers are strings. */
export const Capture = Schema.Struct({
  url: Schema.String,
  timestamp: Schema.optionalWith(Schema.String, { exact: true }),
  status: Schema.optionalWith(Schema.String, { exact: true })
})
export type Capture = typeof Capture.Type

export const CommoncrawlConfig = Schema.Struct({
  max_pages: maxPagesField(5, 50),
  /** Report the captured URLs, not only their host names. */
  urls: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true }),
  max_urls: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 100_000)), { default: () => 2_000, exact: true })
})
export type CommoncrawlConfig = typeof CommoncrawlConfig.Type

const hostOf = (url: string) => (URL.canParse(url) ? new URL(url).hostname : "")

/** The in-scope host names of the captures, and (configured) their URLs once each, up to `max_urls`. */
export const extractFindings = (captures: ReadonlyArray<Capture>, domain: string, config: CommoncrawlConfig) => {
  const names = subdomainFindings(captures, domain, (capture) => [hostOf(capture.url)], () => undefined, {
    confidence: 0.6
  })
  const urls = new Map<string, Finding>()
  for (const capture of config.urls ? captures : []) {
    if (urls.size >= config.max_urls) break
    const url = finding("URL", capture.url, {
      confidence: 0.5,
      metadata: { ...(capture.timestamp === undefined ? {} : { captured: capture.timestamp }), status: capture.status }
    })
    if (Option.isSome(url) && inScope(hostOf(url.value.value), domain)) urls.set(url.value.value, url.value)
  }
  return [...names, ...Array.from(urls.values()).sort((a, b) => a.value.localeCompare(b.value))]
}

const source: DataSource = {
  id: "commoncrawl",
  name: "Common Crawl index server",
  baseUrl: "https://index.commoncrawl.org",
  // A shared server that answers 503 to impatient clients: one request a second, one at a time.
  rateLimit: { requests: 1, perSeconds: 1 },
  requiresKey: false,
  proxy: true
}

const json = { format: Formats.json, auth: Auth.none }

export const commoncrawl = defineModule({
  ...headerFields({
    name: "commoncrawl",
    title: "Common Crawl index",
    description: "Finds URLs and subdomains of a domain in the latest Common Crawl's URL index",
    flags: ["passive", "safe"],
    config: CommoncrawlConfig,
    input_types: ["DOMAIN"],
    output_types: ["DOMAIN", "URL"]
  }),
  source,
  setup: openSession<CommoncrawlConfig>("commoncrawl", source),
  collect: (session, task) =>
    Effect.gen(function*() {
      const target = yield* canonicalTarget("commoncrawl", task)
      // The list of crawls changes once a month: read once per node and shared by its tasks.
      const crawls = yield* sharedList(session, "/collinfo.json", send(session, { path: "/collinfo.json" }, json))
      const latest = Option.flatMap(
        Option.fromNullable(crawls._tag === "Answer" && Array.isArray(crawls.body) ? crawls.body[0] : undefined),
        Schema.decodeUnknownOption(Crawl)
      )
      if (Option.isNone(latest)) return yield* new BadResponse({ reason: "collinfo.json lists no crawl" })
      const path = `/${latest.value.id}-index`
      const query = { url: `*.${target.value}`, output: "json" }
      const counted = yield* send(session, { path, query: { ...query, showNumPages: "true" } }, json)
      const pages = counted._tag === "Answer" ? Schema.decodeUnknownOption(PageCount)(counted.body) : Option.none()
      if (Option.isNone(pages)) return yield* new BadResponse({ reason: "the index did not say how many pages it has" })
      if (pages.value.pages === 0) return []
      const captures = yield* collectPages<CommoncrawlConfig, ReadonlyArray<string>, Capture>(
        {
          format: Formats.lines,
          request: () => ({ path, query }),
          // No capture at all is 404 `{"message": "No Captures found for: …"}`.
          empty: [404],
          rows: (lines) => lines,
          paging: {
            next: (page) =>
              page.index + 1 < pages.value.pages
                ? Option.some({ _tag: "Query", query: { page: page.index + 1 } })
                : Option.none()
          },
          maxPages: (config) => config.max_pages
        },
        Rows.schema(Schema.parseJson(Capture)),
        session,
        target
      )
      const findings = extractFindings(captures, target.value, session.config)
      yield* session.log("commoncrawl answered", {
        crawl: latest.value.id,
        captures: captures.length,
        findings: findings.length
      })
      return findings
    })
})
