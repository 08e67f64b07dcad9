/**
 * robots_sitemap: the URLs a site lists about itself: `Disallow`/`Allow` paths and `Sitemap`
 * lines of `/robots.txt`, and the pages of its sitemaps (`/sitemap.xml` when robots.txt names
 * none), following sitemap indexes. Only URLs within the site's domain are reported. A sitemap that
 * cannot be fetched once others (or robots.txt) gave URLs is a warning, their URLs kept.
 */
import { canonicalize } from "@mirage/domain/Entity"
import { Effect, Either, Option, Ref, Schema } from "effect"
import * as Html from "../Html.js"
import { baseUrlField, fetchFollowing, scopeDomainOf, webSource } from "../internal/Web.js"
import type { Fetched } from "../internal/Web.js"
import { countedSession, defineModule, expectOk, finding, ModuleConfigError } from "../Module.js"
import type { Finding, HttpClient, ModuleTask } from "../Module.js"
import { inScope } from "../Scope.js"

const Scheme = Schema.Literal("https", "http")

export const RobotsSitemapConfig = Schema.Struct({
  /** Schemes tried for a domain, in order; the first that answers is read. */
  schemes: Schema.optionalWith(Schema.Array(Scheme).pipe(Schema.minItems(1)), {
    default: () => ["https", "http"] as const,
    exact: true
  }),
  /** Sitemaps (and sitemap indexes) fetched at most. */
  max_sitemaps: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 500)), { default: () => 20, exact: true }),
  /** URLs reported at most. */
  max_urls: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 100_000)), { default: () => 5_000, exact: true }),
  max_redirects: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 20)), { default: () => 5, exact: true }),
  base_url: baseUrlField
})
export type RobotsSitemapConfig = typeof RobotsSitemapConfig.Type

export interface RobotsLine {
  readonly directive: "disallow" | "allow" | "sitemap"
  readonly value: string
}

/** The Disallow, Allow and Sitemap lines of a robots.txt, comments dropped. */
export const parseRobots = (text: string): ReadonlyArray<RobotsLine> =>
  text.split(/\r?\n/).flatMap((raw) => {
    const line = raw.replace(/#.*$/, "").trim()
    const match = /^(disallow|allow|sitemap)\s*:\s*(\S.*)$/i.exec(line)
    if (match === null) return []
    return [{ directive: match[1]!.toLowerCase() as RobotsLine["directive"], value: match[2]!.trim() }]
  })

/**
 * A robots path as a URL path: patterns are cut at their first `*` and lose a trailing `$`;
 * `/` alone says nothing about the site's layout.
 */
export const robotsPath = (path: string): Option.Option<string> => {
  const literal = path.split("*")[0]!.replace(/\$$/, "")
  return literal.startsWith("/") && literal !== "/" ? Option.some(literal) : Option.none()
}

/**
 * The `<loc>`s of a sitemap, and whether it is an index of sitemaps, read by the XML parser: CDATA, entities,
 * namespace prefixes and comments (a `<loc>` commented out is not one) as XML means them.
 */
export const parseSitemap = (xml: string): { readonly index: boolean; readonly locations: ReadonlyArray<string> } => {
  const document = Html.parse(xml, { xml: true })
  return {
    index: Html.elementsNamed(document, "sitemapindex").length > 0,
    locations: Html.elementsNamed(document, "loc").map((loc) => Html.text(loc)).filter((location) => location !== "")
  }
}

const origins = (config: RobotsSitemapConfig, task: ModuleTask): Either.Either<ReadonlyArray<URL>, string> => {
  if (task.target.type === "URL") {
    return Either.map(canonicalize("URL", task.target.value), (url) => [new URL(new URL(url).origin)])
  }
  if (task.target.type === "DOMAIN") {
    return Either.map(
      canonicalize("DOMAIN", task.target.value),
      (host) => config.schemes.map((scheme) => new URL(`${scheme}://${host}`))
    )
  }
  return Either.left(`does not take ${task.target.type} targets`)
}

const get = (http: HttpClient, url: URL, config: RobotsSitemapConfig) =>
  fetchFollowing(http, url, { baseUrl: config.base_url, maxRedirects: config.max_redirects })

/** 2xx is content, 404 and the other 4xx are nothing there, 429 and 5xx are errors worth retrying. */
const content = (fetched: Fetched) =>
  fetched.response.status >= 400 && fetched.response.status < 500 && fetched.response.status !== 429
    ? Effect.succeed(Option.none<Fetched>())
    : Effect.as(expectOk(fetched.response), Option.some(fetched))

export const robotsSitemap = defineModule({
  name: "robots_sitemap",
  description: "Reads a site's robots.txt and sitemaps (and sitemap indexes) for the URLs they list",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["DOMAIN", "URL"],
  output_types: ["URL"],
  flags: ["active", "safe"],
  configSchema: RobotsSitemapConfig,
  default_config: { schemes: ["https", "http"], max_sitemaps: 20, max_urls: 5_000, max_redirects: 5, base_url: null },
  source: webSource,
  setup: (config: RobotsSitemapConfig, ctx) =>
    Effect.map(countedSession<RobotsSitemapConfig>("robots_sitemap", "fetches")(config, ctx), (session) => ({
      ...session,
      notes: ctx.notes
    })),
  collect: (session, task) =>
    Effect.gen(function*() {
      const { config, http } = session
      const candidates = yield* Either.match(origins(config, task), {
        onLeft: (reason) =>
          Effect.fail(new ModuleConfigError({ module: "robots_sitemap", reason: `invalid target: ${reason}` })),
        onRight: Effect.succeed
      })
      const count = Ref.update(session.count, (n) => n + 1)

      // The first scheme that answers at all is the site.
      let robots: Option.Option<Fetched> = Option.none()
      let origin: URL | undefined
      for (const candidate of candidates) {
        const fetched = yield* Effect.zipRight(count, get(http, new URL("/robots.txt", candidate), config)).pipe(
          Effect.map(Option.some),
          Effect.catchTag("SourceUnavailable", () => Effect.succeed(Option.none<Fetched>()))
        )
        if (Option.isNone(fetched) || fetched.value.response.status === 421) continue
        origin = new URL(fetched.value.url.origin)
        robots = yield* content(fetched.value)
        break
      }
      if (origin === undefined) return []
      const site = origin
      const scope = scopeDomainOf(site.hostname)

      const findings = new Map<string, Finding>()
      const report = (value: string, base: URL, foundIn: string, how: string) => {
        if (findings.size >= config.max_urls || !URL.canParse(value, base.href)) return
        const url = new URL(value, base)
        if (!/^https?:$/.test(url.protocol) || !inScope(url.hostname, scope)) return
        Option.map(
          finding("URL", url.href, {
            confidence: how === "sitemap" ? 0.9 : 0.8,
            source_data: { found_in: foundIn },
            metadata: { found_by: how }
          }),
          (result) => {
            if (!findings.has(result.value)) findings.set(result.value, result)
          }
        )
      }

      const sitemaps: Array<URL> = []
      if (Option.isSome(robots)) {
        const robotsUrl = robots.value.url
        for (const line of parseRobots(robots.value.response.body)) {
          if (line.directive === "sitemap") {
            if (URL.canParse(line.value)) sitemaps.push(new URL(line.value))
            report(line.value, robotsUrl, robotsUrl.href, "robots_sitemap")
          } else {
            Option.map(robotsPath(line.value), (path) =>
              report(path, robotsUrl, robotsUrl.href, `robots_${line.directive}`))
          }
        }
      }
      if (sitemaps.length === 0) {
        sitemaps.push(new URL("/sitemap.xml", site))
      }

      const seen = new Set<string>()
      for (let i = 0; i < sitemaps.length && seen.size < config.max_sitemaps; i++) {
        const sitemap = sitemaps[i]!
        if (seen.has(sitemap.href) || !inScope(sitemap.hostname, scope)) {
          continue
        }
        seen.add(sitemap.href)
        // Compressed sitemaps need the raw bytes, which the HTTP client does not give.
        if (sitemap.pathname.endsWith(".gz")) {
          continue
        }
        const read = yield* Effect.either(
          Effect.zipRight(count, get(http, sitemap, config)).pipe(Effect.flatMap(content))
        )
        if (Either.isLeft(read)) {
          if (findings.size === 0) {
            return yield* Effect.fail(read.left)
          }
          yield* session.notes.warn(
            `${sitemap.href} could not be read, the URLs found so far kept: ${read.left.message}`
          )
          continue
        }
        const fetched = read.right
        if (Option.isNone(fetched)) {
          continue
        }
        report(sitemap.href, site, sitemap.href, "sitemap_file")
        const parsed = parseSitemap(fetched.value.response.body)
        for (const location of parsed.locations) {
          if (parsed.index) {
            if (URL.canParse(location)) {
              sitemaps.push(new URL(location))
            }
            report(location, fetched.value.url, sitemap.href, "sitemap_index")
          } else {
            report(location, fetched.value.url, sitemap.href, "sitemap")
          }
        }
      }
      yield* session.log("robots_sitemap read", { origin: site.href, sitemaps: seen.size, urls: findings.size })
      return Array.from(findings.values())
    })
})
