/**
 * What the modules that read targets' own websites share: where a page is fetched from (the
 * target's origin, or a configured `base_url` standing in for it), redirects, and reading HTML.
 */
import { canonicalize } from "@mirage/domain/Entity"
import { Effect, Either, Option, Ref, Schema } from "effect"
import * as Html from "../Html.js"
import { ModuleConfigError } from "../Module.js"
import type { BadResponse, DataSource, HttpClient, HttpResponse, ModuleTask, SourceUnavailable } from "../Module.js"

/** Targets' own web servers: one source, so one rate limit, for every module that reads them. */
export const webSource: DataSource = {
  id: "web",
  name: "Targets' web servers",
  rateLimit: { requests: 20, perSeconds: 1, burst: 40 },
  requiresKey: false,
  proxy: true
}

/** An http(s) URL, as `base_url` must be. */
export const BaseUrl = Schema.String.pipe(
  Schema.filter((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    message: () => "must be an http(s) URL"
  })
)

/**
 * `base_url`: fetch every page from this server instead of the target's own origin, naming the
 * target in `Host` (and its scheme in `X-Forwarded-Proto`), as a reverse proxy would be asked.
 * For a staging mirror or the test sandbox; `null` (production) fetches `https://{host}/…` itself.
 */
export const baseUrlField = Schema.optionalWith(Schema.NullOr(BaseUrl), { default: () => null, exact: true })

export interface Fetched {
  /** The last response, after redirects. */
  readonly response: HttpResponse
  /** Its URL as the target names it (not the `base_url` it came from). */
  readonly url: URL
  /** The URLs redirected from, in order. */
  readonly redirects: ReadonlyArray<string>
}

const redirectStatuses = new Set([301, 302, 303, 307, 308])

/** Where to send the request for a URL of the target. */
export const requestFor = (
  url: URL,
  baseUrl: string | null
): { readonly url: string; readonly headers: Readonly<Record<string, string>> } =>
  baseUrl === null
    ? { url: url.toString(), headers: {} }
    : {
      url: `${baseUrl.replace(/\/+$/, "")}${url.pathname}${url.search}`,
      headers: { host: url.host, "x-forwarded-proto": url.protocol.replace(/:$/, "") }
    }

/**
 * GETs `url`, following up to `maxRedirects` redirects to http(s) URLs. Any status is an answer;
 * a redirect loop or chain too long ends at the last redirect response.
 */
export const fetchFollowing = (
  http: HttpClient,
  url: URL,
  options: {
    readonly baseUrl: string | null
    readonly maxRedirects: number
    readonly headers?: Readonly<Record<string, string>>
    /** `base64` for a binary answer (an image); see `HttpGetOptions`. */
    readonly bodyEncoding?: "utf8" | "base64"
  }
): Effect.Effect<Fetched, SourceUnavailable | BadResponse | ModuleConfigError> =>
  Effect.gen(function*() {
    const redirects: Array<string> = []
    let current = url
    for (;;) {
      const request = requestFor(current, options.baseUrl)
      const response = yield* http.get(request.url, {
        headers: { ...options.headers, ...request.headers },
        ...(options.bodyEncoding === undefined ? {} : { bodyEncoding: options.bodyEncoding })
      })
      const location = response.headers["location"]
      if (
        !redirectStatuses.has(response.status) || location === undefined || redirects.length >= options.maxRedirects
      ) {
        return { response, url: current, redirects }
      }
      if (!URL.canParse(location, current.href)) return { response, url: current, redirects }
      const next = new URL(location, current)
      next.hash = ""
      if (!/^https?:$/.test(next.protocol) || redirects.includes(next.toString()) || next.href === current.href) {
        return { response, url: current, redirects }
      }
      redirects.push(current.toString())
      current = next
    }
  })

// -- HTML (through the parser, see Html.ts) ---------------------------------------------------

export const decodeEntities = Html.decodeEntities

/** The page's `<title>`, whitespace collapsed. */
export const titleOf = (html: string): string | undefined => {
  const title = Option.getOrUndefined(Option.map(Option.fromNullable(Html.first(Html.parse(html), "title")), Html.text))
  return title === "" ? undefined : title
}

/** The `content` of `<meta name="...">` (the name compared without case). */
export const metaContent = (html: string, name: string): string | undefined =>
  Html.select(Html.parse(html), "meta[name][content]")
    .filter((meta) => Html.attribute(meta, "name")?.toLowerCase() === name)
    .map((meta) => Html.attribute(meta, "content"))[0]

/** The targets of `href`s of links, areas and frames' `src`s, as written (entities decoded). */
export const linksOf = (html: string): ReadonlyArray<string> => {
  const document = Html.parse(html)
  return [
    ...Html.select(document, "a[href], area[href], link[href]").map((element) => Html.attribute(element, "href")),
    ...Html.select(document, "iframe[src], frame[src]").map((element) => Html.attribute(element, "src"))
  ].filter((link): link is string => link !== undefined && link !== "")
}

/** The document's base for relative links: its `<base href>`, else its own URL. */
export const baseOf = (html: string, url: URL): URL => {
  const base = Html.first(Html.parse(html), "base[href]")
  const href = base === undefined ? undefined : Html.attribute(base, "href")
  return href !== undefined && URL.canParse(href, url.href) ? new URL(href, url) : url
}

/** The visible text: scripts, styles and comments dropped, entities decoded. */
export const textOf = (html: string): string => Html.visibleText(Html.parse(html))

/** Email addresses written out in text. */
export const emailsIn = (text: string): ReadonlyArray<string> =>
  text.match(/[a-z0-9][a-z0-9._%+-]*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+/gi) ?? []

/**
 * Phone numbers written in international form (`+` and country code). Local forms are too
 * ambiguous to tell from other numbers without a numbering plan, so they are left out.
 */
export const phonesIn = (text: string): ReadonlyArray<string> =>
  (text.match(/\+\d[\d\s().-]{6,20}\d/g) ?? []).filter((candidate) => {
    const digits = candidate.replace(/\D/g, "")
    return digits.length >= 8 && digits.length <= 15
  })

/** The host a scope is drawn around: the URL's host without a leading `www.`. */
export const scopeDomainOf = (host: string): string => host.toLowerCase().replace(/^www\./, "")

/** The page a web module asks about its target: a DOMAIN's home page over https, or a URL as it is. */
export const pageOf = (task: ModuleTask): Either.Either<URL, string> => {
  const { type, value } = task.target
  if (type === "URL") return Either.map(canonicalize("URL", value), (url) => new URL(url))
  if (type === "DOMAIN") return Either.map(canonicalize("DOMAIN", value), (host) => new URL(`https://${host}/`))
  return Either.left(`does not take ${type} targets`)
}

/** GETs the target's page, redirects followed, counted in the session; a target it cannot ask about is a config error. */
export const fetchTargetPage = (
  module: string,
  session: {
    readonly http: HttpClient
    readonly count: Ref.Ref<number>
    readonly config: { readonly base_url: string | null; readonly max_redirects: number }
  },
  task: ModuleTask
): Effect.Effect<Fetched, SourceUnavailable | BadResponse | ModuleConfigError> =>
  Effect.gen(function*() {
    const start = yield* Either.match(pageOf(task), {
      onLeft: (reason) => Effect.fail(new ModuleConfigError({ module, reason: `invalid target: ${reason}` })),
      onRight: Effect.succeed
    })
    yield* Ref.update(session.count, (n) => n + 1)
    return yield* fetchFollowing(session.http, start, {
      baseUrl: session.config.base_url,
      maxRedirects: session.config.max_redirects
    })
  })
