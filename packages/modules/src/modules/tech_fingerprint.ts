/**
 * tech_fingerprint: the technologies behind a site, by Wappalyzer's fingerprints (a subset shipped in
 * src/data, MIT): patterns over the home page's headers, cookies, `<meta>` tags, script URLs and
 * HTML, each able to capture a version (`\;version:\1`) and weigh in (`\;confidence:50`), and what a
 * technology implies (WordPress → PHP). One GET through the HTTP client, so the scope guard and the
 * `web` rate limit apply. Patterns needing a browser (`js`, `dom`) are not in the data.
 */
import { Effect, Either, Option, Schema } from "effect"
import data from "../data/wappalyzer-technologies.json" with { type: "json" }
import * as Html from "../Html.js"
import { baseUrlField, fetchTargetPage, webSource } from "../internal/Web.js"
import { headerFields } from "../kinds/PagedApi.js"
import { countedSession, defineModule, expectOk, type Finding, finding, type HttpResponse } from "../Module.js"

export const TechFingerprintConfig = Schema.Struct({
  max_redirects: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 10)), { default: () => 5, exact: true }),
  /** Technologies below this confidence (0–100, Wappalyzer's scale) are not reported. */
  min_confidence: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 100)), { default: () => 50, exact: true }),
  base_url: baseUrlField
})
export type TechFingerprintConfig = typeof TechFingerprintConfig.Type

/** One pattern of the data: `regex\;version:\1\;confidence:50`. */
export interface Pattern {
  readonly regex: RegExp
  readonly version: string | undefined
  readonly confidence: number
}

const OneOrMany = Schema.Union(Schema.String, Schema.Array(Schema.String))
const Named = Schema.Record({ key: Schema.String, value: OneOrMany })

const Technology = Schema.Struct({
  cats: Schema.optionalWith(Schema.Array(Schema.Number), { default: () => [] }),
  headers: Schema.optional(Named),
  cookies: Schema.optional(Named),
  meta: Schema.optional(Named),
  scriptSrc: Schema.optional(OneOrMany),
  html: Schema.optional(OneOrMany),
  implies: Schema.optional(OneOrMany),
  website: Schema.optional(Schema.String),
  cpe: Schema.optional(Schema.String)
})

const Fingerprints = Schema.Struct({
  categories: Schema.Record({ key: Schema.String, value: Schema.Struct({ name: Schema.String }) }),
  technologies: Schema.Record({ key: Schema.String, value: Technology })
})

/** `regex\;version:\1\;confidence:50` as a pattern (case-insensitive, as Wappalyzer compiles them); undefined if it does not compile. */
export const parsePattern = (text: string): Pattern | undefined => {
  const [source = "", ...tags] = text.split("\\;")
  let version: string | undefined
  let confidence = 100
  for (const tag of tags) {
    const colon = tag.indexOf(":")
    const key = tag.slice(0, colon)
    const value = tag.slice(colon + 1)
    if (key === "version") version = value
    if (key === "confidence" && /^\d+$/.test(value)) confidence = Number(value)
  }
  try {
    return { regex: new RegExp(source, "i"), version, confidence }
  } catch {
    return undefined
  }
}

/** The version a match gives: `\1` replaced by its group, `\1?a:b` choosing by whether the group matched. */
export const versionOf = (template: string | undefined, match: RegExpExecArray): string | undefined => {
  if (template === undefined) return undefined
  const group = (n: string) => match[Number(n)] ?? ""
  const ternary = /^\\(\d+)\?([^:]*):(.*)$/.exec(template)
  const chosen = ternary === null
    ? template
    : group(ternary[1]!) !== ""
    ? ternary[2]!
    : ternary[3]!
  const version = chosen.replace(/\\(\d+)/g, (_, n: string) => group(n)).trim()
  return version === "" || version.length > 40 ? undefined : version
}

const list = (value: string | ReadonlyArray<string> | undefined): ReadonlyArray<string> =>
  value === undefined ? [] : typeof value === "string" ? [value] : value

const patternsOf = (value: string | ReadonlyArray<string> | undefined) =>
  list(value).flatMap((text) => {
    const pattern = parsePattern(text)
    return pattern === undefined ? [] : [pattern]
  })

const lowerKeys = (named: Readonly<Record<string, string | ReadonlyArray<string>>> | undefined) =>
  Object.entries(named ?? {}).map(([name, value]) => [name.toLowerCase(), patternsOf(value)] as const)

export interface Fingerprint {
  readonly name: string
  readonly categories: ReadonlyArray<string>
  readonly website: string | undefined
  readonly cpe: string | undefined
  readonly headers: ReadonlyArray<readonly [string, ReadonlyArray<Pattern>]>
  readonly cookies: ReadonlyArray<readonly [string, ReadonlyArray<Pattern>]>
  readonly meta: ReadonlyArray<readonly [string, ReadonlyArray<Pattern>]>
  readonly scriptSrc: ReadonlyArray<Pattern>
  readonly html: ReadonlyArray<Pattern>
  /** Implied technologies, with the confidence each is implied at. */
  readonly implies: ReadonlyArray<{ readonly name: string; readonly confidence: number }>
}

/** The shipped fingerprints, compiled once; a technology whose entry does not decode is left out. */
export const fingerprints: ReadonlyArray<Fingerprint> = (() => {
  const decoded = Schema.decodeUnknownEither(Fingerprints)(data)
  if (Either.isLeft(decoded)) return []
  const { categories, technologies } = decoded.right
  return Object.entries(technologies).map(([name, technology]) => ({
    name,
    categories: technology.cats.flatMap((id) => Option.toArray(Option.fromNullable(categories[String(id)]?.name))),
    website: technology.website,
    cpe: technology.cpe,
    headers: lowerKeys(technology.headers),
    cookies: lowerKeys(technology.cookies),
    meta: lowerKeys(technology.meta),
    scriptSrc: patternsOf(technology.scriptSrc),
    html: patternsOf(technology.html),
    implies: list(technology.implies).map((text) => {
      const [implied = "", ...tags] = text.split("\\;")
      const confidence = tags.find((tag) => tag.startsWith("confidence:"))
      return { name: implied.trim(), confidence: confidence === undefined ? 100 : Number(confidence.slice(11)) || 100 }
    })
  }))
})()

/** What of a page the patterns are matched against. */
export interface Page {
  readonly headers: Readonly<Record<string, string>>
  readonly cookies: ReadonlyMap<string, string>
  readonly meta: ReadonlyArray<readonly [string, string]>
  readonly scripts: ReadonlyArray<string>
  readonly html: string
}

/** Cookies set by a response (several `Set-Cookie` lines arrive joined by commas): name → value. */
export const cookiesOf = (setCookie: string | undefined): ReadonlyMap<string, string> =>
  new Map(
    Array.from((setCookie ?? "").matchAll(/(?:^|,\s*)([^=;,\s]+)=([^;,]*)/g), (m) => [m[1]!.toLowerCase(), m[2]!])
  )

/** Largest HTML matched, so a huge page cannot make the patterns slow. */
const maxHtml = 256_000

export const pageOf = (response: HttpResponse): Page => {
  const html = /html/i.test(response.headers["content-type"] ?? "") ? response.body.slice(0, maxHtml) : ""
  const document = Html.parse(html)
  return {
    headers: response.headers,
    cookies: cookiesOf(response.headers["set-cookie"]),
    meta: Html.select(document, "meta[content]").flatMap((meta) => {
      const name = Html.attribute(meta, "name") ?? Html.attribute(meta, "property")
      const content = Html.attribute(meta, "content")
      return name === undefined || content === undefined ? [] : [[name.toLowerCase(), content] as const]
    }),
    scripts: Html.select(document, "script[src]").flatMap((script) =>
      Option.toArray(Option.fromNullable(Html.attribute(script, "src")))
    ),
    html
  }
}

export interface Detected {
  readonly name: string
  readonly version: string | undefined
  /** 0–100, summed over the patterns that matched (Wappalyzer's rule). */
  readonly confidence: number
  readonly evidence: ReadonlyArray<string>
  readonly implied_by: ReadonlyArray<string>
  readonly categories: ReadonlyArray<string>
  readonly website: string | undefined
  readonly cpe: string | undefined
}

interface Hit {
  readonly version: string | undefined
  readonly confidence: number
  readonly evidence: string
}

const test = (patterns: ReadonlyArray<Pattern>, value: string, evidence: string): ReadonlyArray<Hit> =>
  patterns.flatMap((pattern) => {
    const match = pattern.regex.exec(value)
    return match === null
      ? []
      : [{ version: versionOf(pattern.version, match), confidence: pattern.confidence, evidence }]
  })

const hitsOf = (fingerprint: Fingerprint, page: Page): ReadonlyArray<Hit> => [
  ...fingerprint.headers.flatMap(([name, patterns]) => {
    const value = page.headers[name]
    return value === undefined ? [] : test(patterns, value, `header ${name}`)
  }),
  ...fingerprint.cookies.flatMap(([name, patterns]) => {
    const value = page.cookies.get(name)
    return value === undefined ? [] : test(patterns, value, `cookie ${name}`)
  }),
  ...fingerprint.meta.flatMap(([name, patterns]) =>
    page.meta.filter(([metaName]) => metaName === name).flatMap(([, content]) =>
      test(patterns, content, `meta ${name}`)
    )
  ),
  ...page.scripts.flatMap((src) => test(fingerprint.scriptSrc, src, `script ${src.slice(0, 200)}`)),
  ...(page.html === "" ? [] : test(fingerprint.html, page.html, "html"))
]

/** The longest version seen: `6.5.2` over `6.5`. */
const bestVersion = (hits: ReadonlyArray<Hit>) =>
  hits.map((hit) => hit.version).filter((version) => version !== undefined).sort((a, b) => b.length - a.length)[0]

/** Every technology the page shows, then those they imply (transitively), highest confidence kept. */
export const analyse = (page: Page, known: ReadonlyArray<Fingerprint> = fingerprints): ReadonlyArray<Detected> => {
  const byName = new Map(known.map((fingerprint) => [fingerprint.name, fingerprint]))
  const found = new Map<string, Detected>()
  for (const fingerprint of known) {
    const hits = hitsOf(fingerprint, page)
    if (hits.length === 0) continue
    found.set(fingerprint.name, {
      name: fingerprint.name,
      version: bestVersion(hits),
      confidence: Math.min(100, hits.reduce((sum, hit) => sum + hit.confidence, 0)),
      evidence: Array.from(new Set(hits.map((hit) => hit.evidence))),
      implied_by: [],
      categories: fingerprint.categories,
      website: fingerprint.website,
      cpe: fingerprint.cpe
    })
  }
  const queue = Array.from(found.values())
  while (queue.length > 0) {
    const source = queue.shift()!
    for (const implied of byName.get(source.name)?.implies ?? []) {
      const confidence = Math.min(source.confidence, implied.confidence)
      const existing = found.get(implied.name)
      if (existing !== undefined) {
        if (existing.implied_by.length > 0 && !existing.implied_by.includes(source.name)) {
          found.set(implied.name, { ...existing, implied_by: [...existing.implied_by, source.name] })
        }
        continue
      }
      const fingerprint = byName.get(implied.name)
      const detected: Detected = {
        name: implied.name,
        version: undefined,
        confidence,
        evidence: [],
        implied_by: [source.name],
        categories: fingerprint?.categories ?? [],
        website: fingerprint?.website,
        cpe: fingerprint?.cpe
      }
      found.set(implied.name, detected)
      queue.push(detected)
    }
  }
  return Array.from(found.values())
}

const findingOf = (detected: Detected, url: string): Option.Option<Finding> =>
  finding("TECHNOLOGY", detected.version === undefined ? detected.name : `${detected.name} ${detected.version}`, {
    // Implied technologies are inferred, not seen: somewhat less sure.
    confidence: (detected.confidence / 100) * (detected.implied_by.length > 0 ? 0.7 : 0.9),
    source_data: { url, evidence: detected.evidence, implied_by: detected.implied_by },
    metadata: {
      product: detected.name,
      ...(detected.version === undefined ? {} : { version: detected.version }),
      categories: detected.categories,
      ...(detected.website === undefined ? {} : { website: detected.website }),
      ...(detected.cpe === undefined ? {} : { cpe: detected.cpe })
    }
  })

export const techFingerprint = defineModule({
  ...headerFields({
    name: "tech_fingerprint",
    title: "Technology fingerprinting",
    description:
      "Identifies a site's CMS, frameworks, libraries and servers, with versions, from Wappalyzer's fingerprints",
    flags: ["active", "safe"],
    config: TechFingerprintConfig,
    input_types: ["DOMAIN", "URL"],
    output_types: ["TECHNOLOGY"]
  }),
  source: webSource,
  setup: countedSession<TechFingerprintConfig>("tech_fingerprint", "fetches"),
  collect: (session, task) =>
    Effect.gen(function*() {
      const { response, url } = yield* fetchTargetPage("tech_fingerprint", session, task)
      if (response.status === 429 || response.status >= 500) yield* expectOk(response)
      const detected = analyse(pageOf(response)).filter((item) => item.confidence >= session.config.min_confidence)
      yield* session.log("tech_fingerprint read", { url: url.href, status: response.status, found: detected.length })
      return detected.flatMap((item) => Option.toArray(findingOf(item, url.href)))
    })
})
