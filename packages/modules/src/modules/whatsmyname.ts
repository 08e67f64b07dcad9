/**
 * whatsmyname: where a username has a profile, by the WhatsMyName checks (a subset shipped in
 * src/data, CC BY-SA 4.0). Each site is asked once for the name (`uri_check`); the account exists
 * when the answer has the site's `e_code` and contains its `e_string`, and is missing on `m_code`
 * with `m_string`; any other answer is unknown (counted, not reported). Redirects are not followed,
 * as the checks expect. It asks dozens of third-party sites about the name, not the target, so it
 * is flagged noisy: a scan runs it only when it names it. An `endpoints.whatsmyname` base URL stands
 * in for every site (each asked with its own `Host`), for a staging mirror or the tests.
 */
import { Effect, Either, Schema } from "effect"
import data from "../data/wmn-data.json" with { type: "json" }
import { requestFor } from "../internal/Web.js"
import { headerFields } from "../kinds/PagedApi.js"
import {
  type BadResponse,
  type DataSource,
  defineModule,
  type Finding,
  finding,
  type HttpClient,
  type HttpResponse,
  ModuleConfigError,
  type SourceUnavailable,
  targetValue
} from "../Module.js"

export const Site = Schema.Struct({
  name: Schema.String,
  uri_check: Schema.String,
  uri_pretty: Schema.optional(Schema.String),
  e_code: Schema.Int,
  e_string: Schema.String,
  m_code: Schema.Int,
  m_string: Schema.String,
  cat: Schema.String,
  headers: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  strip_bad_char: Schema.optional(Schema.String),
  post_body: Schema.optional(Schema.String)
})
export type Site = typeof Site.Type

/** The shipped checks that can be made with a GET; an entry that does not decode is left out. */
export const sites: ReadonlyArray<Site> = (() => {
  const raw = typeof data === "object" && data !== null && Array.isArray(data.sites) ? data.sites : []
  return raw.flatMap((entry: unknown) => {
    const site = Schema.decodeUnknownEither(Site)(entry)
    return Either.isRight(site) && site.right.post_body === undefined && site.right.uri_check.includes("{account}")
      ? [site.right]
      : []
  })
})()

export const whatsmynameSource: DataSource = {
  id: "whatsmyname",
  name: "WhatsMyName sites",
  // Many sites, one limit: a few requests a second keeps every site far below what it would notice.
  rateLimit: { requests: 5, perSeconds: 1, burst: 5 },
  requiresKey: false,
  proxy: true
}

export const WhatsMyNameConfig = Schema.Struct({
  /** Only these sites (by name, any case); every shipped site when empty. */
  sites: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [], exact: true }),
  /** Only sites of these categories (`coding`, `social`, …); every category when empty. */
  categories: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [], exact: true }),
  /** Sites asked at once (each site is asked once per name). */
  concurrency: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 16)), { default: () => 4, exact: true })
})
export type WhatsMyNameConfig = typeof WhatsMyNameConfig.Type

/** The sites a config selects, or the names it gives that no site has. */
export const selectSites = (config: WhatsMyNameConfig): Either.Either<ReadonlyArray<Site>, string> => {
  const wanted = new Set(config.sites.map((name) => name.toLowerCase()))
  const unknown = config.sites.filter((name) => !sites.some((site) => site.name.toLowerCase() === name.toLowerCase()))
  if (unknown.length > 0) return Either.left(`no such site: ${unknown.join(", ")}`)
  const categories = new Set(config.categories.map((category) => category.toLowerCase()))
  return Either.right(sites.filter((site) =>
    (wanted.size === 0 || wanted.has(site.name.toLowerCase())) &&
    (categories.size === 0 || categories.has(site.cat.toLowerCase()))
  ))
}

/** The name as the site spells it in URLs: its bad characters dropped. */
const accountFor = (site: Site, username: string) =>
  Array.from(site.strip_bad_char ?? "").reduce((name, bad) => name.split(bad).join(""), username)

/** `uri_check` (or `uri_pretty`) for the name. */
export const urlFor = (template: string, site: Site, username: string) =>
  template.split("{account}").join(encodeURIComponent(accountFor(site, username)))

export type Verdict = "found" | "missing" | "unknown"

/** WhatsMyName's rule: found on `e_code` with `e_string`, missing on `m_code` with `m_string`, else unknown. */
export const verdictOf = (site: Site, response: Pick<HttpResponse, "status" | "body">): Verdict => {
  const found = response.status === site.e_code && response.body.includes(site.e_string)
  const missing = response.status === site.m_code && (site.m_string === "" || response.body.includes(site.m_string))
  return found && !missing ? "found" : missing && !found ? "missing" : "unknown"
}

type Checked =
  | { readonly site: Site; readonly url: string; readonly verdict: Verdict }
  | { readonly site: Site; readonly url: string; readonly verdict: "failed"; readonly error: HttpError }

type HttpError = SourceUnavailable | BadResponse | ModuleConfigError

/** One site asked for the name (through `base` when set, naming the site's host), and its verdict. */
const check = (http: HttpClient, base: string | null, site: Site, username: string): Effect.Effect<Checked> => {
  const url = urlFor(site.uri_check, site, username)
  if (!URL.canParse(url)) return Effect.succeed({ site, url, verdict: "unknown" })
  const request = requestFor(new URL(url), base)
  // Lower case, so a site's `User-Agent` replaces the client's own rather than going beside it.
  const headers = Object.fromEntries(
    Object.entries(site.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])
  )
  return Effect.match(http.get(request.url, { headers: { ...headers, ...request.headers } }), {
    onFailure: (error): Checked => ({ site, url, verdict: "failed", error }),
    onSuccess: (response): Checked => ({ site, url, verdict: verdictOf(site, response) })
  })
}

const profileFinding = (site: Site, username: string, checked: string): ReadonlyArray<Finding> => {
  const profile = urlFor(site.uri_pretty ?? site.uri_check, site, username)
  const made = finding("URL", profile, {
    confidence: 0.75,
    source_data: { check_url: checked, rule: { e_code: site.e_code, e_string: site.e_string } },
    metadata: { site: site.name, category: site.cat, username, profile: true }
  })
  return made._tag === "Some" ? [made.value] : []
}

export const whatsmyname = defineModule({
  ...headerFields({
    name: "whatsmyname",
    title: "WhatsMyName username search",
    description: "Finds the profiles a username has across dozens of sites, by the WhatsMyName checks",
    flags: ["passive", "noisy"],
    config: WhatsMyNameConfig,
    input_types: ["USERNAME"],
    output_types: ["URL"]
  }),
  source: whatsmynameSource,
  setup: (config: WhatsMyNameConfig, ctx) =>
    Either.match(selectSites(config), {
      onLeft: (reason) =>
        Effect.fail(new ModuleConfigError({ module: "whatsmyname", reason: `invalid config: ${reason}` })),
      onRight: (selected) =>
        Effect.succeed({
          config,
          selected,
          http: ctx.http,
          notes: ctx.notes,
          log: ctx.log,
          base: ctx.endpoints[whatsmynameSource.id] ?? null
        })
    }),
  collect: (session, task) =>
    Effect.gen(function*() {
      const username = yield* targetValue("whatsmyname", task, "USERNAME")
      const checked = yield* Effect.forEach(
        session.selected,
        (site) => check(session.http, session.base, site, username),
        { concurrency: session.config.concurrency }
      )
      const failed = checked.flatMap((check) => (check.verdict === "failed" ? [check] : []))
      if (failed.length > 0 && failed.length === checked.length) return yield* Effect.fail(failed[0]!.error)
      for (const check of failed.slice(0, 5)) yield* session.notes.warn(`${check.site.name}: ${check.error.message}`)
      const unknown = checked.filter((check) => check.verdict === "unknown")
      if (unknown.length > 0) {
        yield* session.notes.skipped(
          `no rule matched the answer of ${unknown.map((check) => check.site.name).slice(0, 10).join(", ")}`,
          unknown.length
        )
      }
      const found = checked.filter((check) => check.verdict === "found")
      yield* session.log("whatsmyname checked", {
        sites: checked.length,
        found: found.length,
        unknown: unknown.length,
        failed: failed.length
      })
      return found.flatMap((check) => profileFinding(check.site, username, check.url))
    })
})
