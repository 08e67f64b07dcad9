/**
 * shodan_favicon: hosts serving the same favicon as a site, from Shodan's search
 * (`GET {base}/shodan/host/search?key=…&query=http.favicon.hash:{hash}`): the site's icon is fetched
 * (as favicon_hash does: `/favicon.ico` of its origin, as bytes, through the scope guard), hashed as
 * Shodan hashes it (MurmurHash3 of its base64), and the hash searched. An icon that is a known
 * product's default (nginx's, Jenkins's…) is not searched: millions of unrelated hosts share it.
 * `matches[]` each hold `ip_str`, `port`, `transport`, `hostnames[]`, `domains[]`, `org`, `asn`;
 * a site's origin servers behind a CDN often show up this way. One search page (100 hosts) by default:
 * each page spends a query credit.
 */
import { Effect, Either, Option, Redacted, Schema } from "effect"
import { distinct, hostPort, optional, present } from "../internal/Fields.js"
import { faviconHash } from "../internal/Murmur3.js"
import { baseUrlField, fetchFollowing, scopeDomainOf } from "../internal/Web.js"
import { headerFields } from "../kinds/PagedApi.js"
import * as Rows from "../kinds/Rows.js"
import {
  apiKey,
  BadResponse,
  defineModule,
  endpoint,
  expectOk,
  type Finding,
  finding,
  ModuleConfigError
} from "../Module.js"
import { inScope } from "../Scope.js"
import { iconBytes, knownHashes, originOf } from "./favicon_hash.js"
import { shodanSource } from "./shodan_host.js"

export const ShodanFaviconConfig = Schema.Struct({
  /** Search even when the icon is a known product's default (most matches will be unrelated). */
  include_known: Schema.optionalWith(Schema.Boolean, { default: () => false, exact: true }),
  /** More hashes never searched (as Shodan writes them, e.g. "-1010568750"): a hosting platform's default icon. */
  exclude_hashes: Schema.optionalWith(Schema.Array(Schema.String.pipe(Schema.pattern(/^-?\d{1,10}$/))), {
    default: () => [],
    exact: true
  }),
  /** Search pages of 100 hosts asked at most (each spends a query credit). */
  max_pages: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 10)), { default: () => 1, exact: true }),
  max_redirects: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 10)), { default: () => 3, exact: true }),
  base_url: baseUrlField
})
export type ShodanFaviconConfig = typeof ShodanFaviconConfig.Type

export const ShodanMatch = Schema.Struct({
  ip_str: Schema.String,
  port: Schema.Int,
  transport: optional(Schema.String),
  hostnames: optional(Schema.Array(Schema.String)),
  domains: optional(Schema.Array(Schema.String)),
  org: optional(Schema.String),
  asn: optional(Schema.String),
  product: optional(Schema.String),
  timestamp: optional(Schema.String)
})
export type ShodanMatch = typeof ShodanMatch.Type

export const faviconMatchFindings = (
  matches: ReadonlyArray<ShodanMatch>,
  hash: number,
  site: string
): ReadonlyArray<Finding> =>
  distinct(matches.flatMap((match) => {
    const context = present({
      favicon_hash: hash,
      site,
      role: "serves the same favicon",
      org: match.org,
      asn: match.asn
    })
    return [
      // Same icon, not necessarily same owner: a lead to check, not a fact.
      finding("IP", match.ip_str, { confidence: 0.5, metadata: context }),
      finding("OPEN_PORT", hostPort(match.ip_str, match.port), {
        confidence: 0.5,
        metadata: present({ ...context, transport: match.transport, product: match.product, seen: match.timestamp })
      }),
      ...(match.hostnames ?? []).map((name) => finding("DOMAIN", name, { confidence: 0.5, metadata: context }))
    ].flatMap(Option.toArray)
  }))

const acceptImages = "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"

export const shodanFavicon = defineModule({
  ...headerFields({
    name: "shodan_favicon",
    title: "Shodan favicon pivot",
    description: "Finds the hosts Shodan saw serving the same favicon as a site (origin servers behind a CDN, copies)",
    // It fetches the site's icon itself.
    flags: ["active", "safe"],
    config: ShodanFaviconConfig,
    input_types: ["DOMAIN", "URL"],
    output_types: ["IP", "OPEN_PORT", "DOMAIN"]
  }),
  source: shodanSource,
  setup: (config, ctx) =>
    Effect.gen(function*() {
      const base = yield* endpoint(ctx, "shodan_favicon", "shodan")
      const key = yield* apiKey(ctx, "shodan")
      return { config, base, key, http: ctx.http, log: ctx.log, notes: ctx.notes }
    }),
  collect: (session, task) =>
    Effect.gen(function*() {
      const origin = yield* Either.match(originOf(task), {
        onLeft: (reason) =>
          Effect.fail(new ModuleConfigError({ module: "shodan_favicon", reason: `invalid target: ${reason}` })),
        onRight: Effect.succeed
      })
      const { response, url } = yield* fetchFollowing(session.http, new URL("/favicon.ico", origin), {
        baseUrl: session.config.base_url,
        maxRedirects: session.config.max_redirects,
        headers: { accept: acceptImages },
        bodyEncoding: "base64"
      })
      if (response.status === 429 || response.status >= 500) yield* expectOk(response)
      if (response.status !== 200 || !inScope(url.hostname, scopeDomainOf(origin.hostname))) return []
      const bytes = iconBytes(response.body, response.headers["content-type"])
      if (Either.isLeft(bytes)) {
        yield* session.log("shodan_favicon: no icon", { url: url.href, reason: bytes.left })
        return []
      }
      const hash = faviconHash(bytes.right)
      const known = knownHashes.get(hash)
      if (known !== undefined && !session.config.include_known) {
        yield* session.notes.warn(`favicon is ${known.technology}'s default (hash ${hash}): not searched`)
        return []
      }
      if (session.config.exclude_hashes.includes(String(hash))) {
        yield* session.notes.warn(`favicon hash ${hash} is excluded: not searched`)
        return []
      }
      const matches: Array<ShodanMatch> = []
      for (let page = 1; page <= session.config.max_pages; page++) {
        // Shodan takes the key in the query string only; the HTTP client leaves queries out of errors.
        const answer = yield* session.http.get(`${session.base}/shodan/host/search`, {
          query: { key: Redacted.value(session.key), query: `http.favicon.hash:${hash}`, page },
          headers: { accept: "application/json" }
        }).pipe(Effect.flatMap(expectOk), Effect.flatMap((ok) => ok.json(Schema.Unknown)))
        const raw = Rows.at(answer, "matches")
        if (!Array.isArray(raw)) return yield* new BadResponse({ reason: "the answer has no matches list" })
        matches.push(...(yield* Rows.decodeEach(raw, Rows.schema(ShodanMatch), session.notes)))
        const total = Rows.at(answer, "total")
        if (raw.length < 100 || typeof total !== "number" || page * 100 >= total) break
      }
      const findings = faviconMatchFindings(matches, hash, origin.hostname)
      yield* session.log("shodan_favicon answered", { site: origin.hostname, hash, matches: matches.length })
      return findings
    })
})
