/**
 * favicon_hash: a site's favicon and its Shodan hash (MurmurHash3 of the icon's base64, what Shodan
 * indexes as `http.favicon.hash`), so the same icon can be searched for elsewhere; an icon whose
 * hash is a known product's default (src/data/favicon-hashes.json, MIT, or the configured
 * `extra_hashes`) names that product. The icon is fetched through the HTTP client (scope guard,
 * `web` rate limit) as bytes, at `/favicon.ico` of the site's origin.
 */
import { canonicalize } from "@mirage/domain/Entity"
import { Effect, Either, Option, Ref, Schema } from "effect"
import { createHash } from "node:crypto"
import table from "../data/favicon-hashes.json" with { type: "json" }
import { faviconHash } from "../internal/Murmur3.js"
import { baseUrlField, fetchFollowing, scopeDomainOf, webSource } from "../internal/Web.js"
import { headerFields } from "../kinds/PagedApi.js"
import {
  countedSession,
  defineModule,
  expectOk,
  type Finding,
  finding,
  ModuleConfigError,
  type ModuleTask
} from "../Module.js"
import { inScope } from "../Scope.js"

const Path = Schema.String.pipe(
  Schema.pattern(/^\/[^\s?#]*$/, { message: () => "must be a path such as /favicon.ico" })
)

export const FaviconHashConfig = Schema.Struct({
  /** Where the icon is looked for, in order; the first icon found is hashed. */
  paths: Schema.optionalWith(Schema.Array(Path).pipe(Schema.minItems(1), Schema.maxItems(5)), {
    default: () => ["/favicon.ico"],
    exact: true
  }),
  /** More known icons: hash (as Shodan writes it, e.g. "-1010568750") → product. */
  extra_hashes: Schema.optionalWith(
    Schema.Record({ key: Schema.String.pipe(Schema.pattern(/^-?\d{1,10}$/)), value: Schema.String }),
    { default: () => ({}), exact: true }
  ),
  max_redirects: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 10)), { default: () => 3, exact: true }),
  base_url: baseUrlField
})
export type FaviconHashConfig = typeof FaviconHashConfig.Type

const KnownHashes = Schema.Struct({
  hashes: Schema.Array(Schema.Struct({ hash: Schema.Number, technology: Schema.String, matcher: Schema.String }))
})

/** The shipped table: hash → product and the source's matcher name. */
export const knownHashes: ReadonlyMap<number, { readonly technology: string; readonly matcher: string }> = new Map(
  Either.match(Schema.decodeUnknownEither(KnownHashes)(table), {
    onLeft: () => [],
    onRight: ({ hashes }) => hashes.map(({ hash, matcher, technology }) => [hash, { technology, matcher }] as const)
  })
)

/** What browsers ask for an icon with; it also keeps a cached icon apart from a text answer of the same URL. */
const acceptImages = "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"

/** The icon's bytes, or why the answer is not one (an HTML soft 404, an empty body, text where bytes were asked). */
export const iconBytes = (body: string, contentType: string | undefined): Either.Either<Uint8Array, string> => {
  const compact = body.replace(/\s+/g, "")
  const bytes = Buffer.from(compact, "base64")
  // A client that ignored the base64 request answers with text, which does not survive the round trip.
  if (bytes.toString("base64") !== compact) return Either.left("the body did not arrive as bytes")
  if (bytes.length === 0) return Either.left("empty icon")
  const head = bytes.subarray(0, 256).toString("latin1").trimStart().toLowerCase()
  if (/html/i.test(contentType ?? "") || head.startsWith("<!doctype html") || head.startsWith("<html")) {
    return Either.left("an HTML page, not an icon")
  }
  return Either.right(bytes)
}

/** The origin whose icon is wanted: the domain's, or the URL's. */
export const originOf = (task: ModuleTask): Either.Either<URL, string> => {
  const { type, value } = task.target
  if (type === "URL") return Either.map(canonicalize("URL", value), (url) => new URL(new URL(url).origin))
  if (type === "DOMAIN") return Either.map(canonicalize("DOMAIN", value), (host) => new URL(`https://${host}/`))
  return Either.left(`does not take ${type} targets`)
}

const findingsOf = (
  bytes: Uint8Array,
  url: string,
  contentType: string | undefined,
  extra: Readonly<Record<string, string>>
): ReadonlyArray<Finding> => {
  const hash = faviconHash(bytes)
  const details = {
    favicon_hash: hash,
    shodan_query: `http.favicon.hash:${hash}`,
    md5: createHash("md5").update(bytes).digest("hex"),
    bytes: bytes.length,
    ...(contentType === undefined ? {} : { content_type: contentType })
  }
  const icon = finding("URL", url, { confidence: 1, metadata: { favicon: true, ...details } })
  const configured = extra[String(hash)]
  const known = configured === undefined
    ? knownHashes.get(hash)
    : { technology: configured, matcher: "extra_hashes" }
  const technology = known === undefined ? Option.none() : finding("TECHNOLOGY", known.technology, {
    // A default icon left in place is a strong sign; a copied one is possible.
    confidence: 0.8,
    source_data: { url, matcher: known.matcher },
    metadata: { product: known.technology, favicon_hash: hash, favicon_url: url }
  })
  return [...Option.toArray(icon), ...Option.toArray(technology)]
}

export const faviconHashModule = defineModule({
  ...headerFields({
    name: "favicon_hash",
    title: "Favicon hash",
    description:
      "Hashes a site's favicon as Shodan does (http.favicon.hash) and names the product a known icon belongs to",
    flags: ["active", "safe"],
    config: FaviconHashConfig,
    input_types: ["DOMAIN", "URL"],
    output_types: ["URL", "TECHNOLOGY"]
  }),
  source: webSource,
  setup: countedSession<FaviconHashConfig>("favicon_hash", "fetches"),
  collect: (session, task) =>
    Effect.gen(function*() {
      const origin = yield* Either.match(originOf(task), {
        onLeft: (reason) =>
          Effect.fail(new ModuleConfigError({ module: "favicon_hash", reason: `invalid target: ${reason}` })),
        onRight: Effect.succeed
      })
      const scope = scopeDomainOf(origin.hostname)
      for (const path of session.config.paths) {
        yield* Ref.update(session.count, (n) => n + 1)
        const { response, url } = yield* fetchFollowing(session.http, new URL(path, origin), {
          baseUrl: session.config.base_url,
          maxRedirects: session.config.max_redirects,
          headers: { accept: acceptImages },
          bodyEncoding: "base64"
        })
        if (response.status === 429 || response.status >= 500) yield* expectOk(response)
        if (response.status !== 200 || !inScope(url.hostname, scope)) continue
        const contentType = response.headers["content-type"]
        const bytes = iconBytes(response.body, contentType)
        if (Either.isLeft(bytes)) {
          yield* session.log("favicon_hash: not an icon", { url: url.href, reason: bytes.left })
          continue
        }
        return findingsOf(bytes.right, url.href, contentType, session.config.extra_hashes)
      }
      return []
    })
})
