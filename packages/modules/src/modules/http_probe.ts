/**
 * http_probe: whether a domain, an open port or a URL is served over HTTP(S): the URL it ends up
 * at after redirects, with status and title, and the technologies its answer reveals (`Server`,
 * `X-Powered-By`, session cookies, `<meta name="generator">`).
 */
import { canonicalize } from "@mirage/domain/Entity"
import { Array as Arr, Effect, Either, Option, Ref, Schema } from "effect"
import { uniqueBy } from "../internal/Unique.js"
import { baseUrlField, fetchFollowing, metaContent, titleOf, webSource } from "../internal/Web.js"
import type { Fetched } from "../internal/Web.js"
import { countedSession, defineModule, finding, ModuleConfigError } from "../Module.js"
import type { Finding, HttpResponse, ModuleTask } from "../Module.js"

const Scheme = Schema.Literal("https", "http")
const Port = Schema.Int.pipe(Schema.between(1, 65535))

export const HttpProbeConfig = Schema.Struct({
  /** Schemes tried for a domain, in order; the first that answers is reported. */
  schemes: Schema.optionalWith(Schema.Array(Scheme).pipe(Schema.minItems(1)), {
    default: () => ["https", "http"] as const,
    exact: true
  }),
  /** Open ports probed as web servers (others are left to other modules). */
  web_ports: Schema.optionalWith(Schema.Array(Port), {
    default: () => [80, 443, 8000, 8008, 8080, 8443, 8888],
    exact: true
  }),
  max_redirects: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 20)), { default: () => 5, exact: true }),
  base_url: baseUrlField
})
export type HttpProbeConfig = typeof HttpProbeConfig.Type

/** Ports where TLS is the rule, so https is tried first whatever the configured order. */
const tlsPorts = new Set([443, 8443])
const plainPorts = new Set([80, 8000, 8008, 8080, 8888])

/** Session cookies that name the platform that set them. */
const cookieTechnologies: ReadonlyArray<readonly [RegExp, string]> = [
  [/^PHPSESSID$/i, "PHP"],
  [/^JSESSIONID$/i, "Java"],
  [/^ASP\.NET_SessionId$/i, "ASP.NET"],
  [/^ASPSESSIONID/i, "ASP"],
  [/^laravel_session$/i, "Laravel"],
  [/^ci_session$/i, "CodeIgniter"],
  [/^connect\.sid$/i, "Express"],
  [/^(wordpress_|wp-settings-)/i, "WordPress"],
  [/^CFID$|^CFTOKEN$/i, "ColdFusion"]
]

export interface Technology {
  readonly name: string
  readonly version: string | undefined
  readonly evidence: string
}

/** `nginx/1.25.3`, `Apache/2.4.58 (Ubuntu) OpenSSL/3.0.13`: the products, comments dropped. */
export const productTokens = (
  header: string
): ReadonlyArray<{ readonly name: string; readonly version: string | undefined }> =>
  header.replace(/\([^)]*\)/g, " ").split(/[\s,]+/).flatMap((token) => {
    const match = /^([A-Za-z][\w.+-]*?)(?:\/([\w.+-]+))?$/.exec(token)
    return match === null ? [] : [{ name: match[1]!, version: match[2] }]
  })

const cookieNames = (setCookie: string | undefined): ReadonlyArray<string> =>
  Array.from((setCookie ?? "").matchAll(/(?:^|,\s*)([^=;,\s]+)=/g), (match) => match[1]!)

/** What a response says about the software behind it; a versioned mention wins over a bare one. */
export const technologiesOf = (response: HttpResponse): ReadonlyArray<Technology> => {
  const found: Array<Technology> = []
  for (const header of ["server", "x-powered-by", "x-aspnet-version", "x-generator"]) {
    const value = response.headers[header]
    if (value === undefined) continue
    if (header === "x-aspnet-version") found.push({ name: "ASP.NET", version: value.trim(), evidence: header })
    else for (const product of productTokens(value)) found.push({ ...product, evidence: header })
  }
  for (const cookie of cookieNames(response.headers["set-cookie"])) {
    const known = cookieTechnologies.find(([pattern]) => pattern.test(cookie))
    if (known !== undefined) found.push({ name: known[1], version: undefined, evidence: `cookie ${cookie}` })
  }
  const contentType = response.headers["content-type"] ?? ""
  const generator = contentType.includes("html") ? metaContent(response.body, "generator") : undefined
  if (generator !== undefined) {
    const match = /^(.*?)\s+v?(\d[\w.+-]*)$/.exec(generator.trim())
    found.push({
      name: match === null ? generator.trim() : match[1]!,
      version: match === null ? undefined : match[2],
      evidence: "meta generator"
    })
  }
  const versioned = new Set(found.filter((t) => t.version !== undefined).map((t) => t.name.toLowerCase()))
  return uniqueBy(
    found.filter((t) => t.version !== undefined || !versioned.has(t.name.toLowerCase())),
    (t) => `${t.name.toLowerCase()} ${t.version ?? ""}`
  )
}

/** The URLs to try for a task, in order. */
export const candidatesFor = (config: HttpProbeConfig, task: ModuleTask): Either.Either<ReadonlyArray<URL>, string> => {
  const { type, value } = task.target
  if (type === "URL") return Either.map(canonicalize("URL", value), (url) => [new URL(url)])
  if (type === "DOMAIN") {
    return Either.map(
      canonicalize("DOMAIN", value),
      (host) => config.schemes.map((scheme) => new URL(`${scheme}://${host}/`))
    )
  }
  if (type === "OPEN_PORT") {
    return Either.map(canonicalize("OPEN_PORT", value), (hostPort) => {
      const port = Number(hostPort.slice(hostPort.lastIndexOf(":") + 1))
      if (!config.web_ports.includes(port)) return []
      const order = tlsPorts.has(port)
        ? ["https", "http"]
        : plainPorts.has(port)
        ? ["http", "https"]
        : config.schemes
      return order.map((scheme) => new URL(`${scheme}://${hostPort}/`))
    })
  }
  return Either.left(`does not take ${type} targets`)
}

const findingsOf = (fetched: Fetched, requested: URL): ReadonlyArray<Finding> => {
  const { response } = fetched
  const title = response.headers["content-type"]?.includes("html") ? titleOf(response.body) : undefined
  const metadata = {
    status: response.status,
    ...(title === undefined ? {} : { title }),
    ...(response.headers["server"] === undefined ? {} : { server: response.headers["server"] }),
    ...(response.headers["content-type"] === undefined ? {} : { content_type: response.headers["content-type"] }),
    redirects: fetched.redirects
  }
  const url = finding("URL", fetched.url.toString(), {
    confidence: 1,
    source_data: { requested: requested.toString() },
    metadata
  })
  const technologies = Arr.filterMap(
    technologiesOf(response),
    (technology) =>
      finding(
        "TECHNOLOGY",
        technology.version === undefined ? technology.name : `${technology.name} ${technology.version}`,
        {
          confidence: technology.evidence.startsWith("cookie") ? 0.7 : 0.9,
          source_data: { url: fetched.url.toString(), evidence: technology.evidence },
          metadata: {
            product: technology.name,
            ...(technology.version === undefined ? {} : { version: technology.version })
          }
        }
      )
  )
  return [...Option.toArray(url), ...technologies]
}

export const httpProbe = defineModule({
  name: "http_probe",
  description: "Probes a domain, open port or URL over HTTP(S): the final URL, its status and title, its technologies",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["DOMAIN", "OPEN_PORT", "URL"],
  output_types: ["URL", "TECHNOLOGY"],
  flags: ["active", "safe"],
  configSchema: HttpProbeConfig,
  default_config: {
    schemes: ["https", "http"],
    web_ports: [80, 443, 8000, 8008, 8080, 8443, 8888],
    max_redirects: 5,
    base_url: null
  },
  source: webSource,
  setup: countedSession<typeof HttpProbeConfig.Type>("http_probe", "probes"),
  collect: (session, task) =>
    Effect.gen(function*() {
      const candidates = yield* Either.match(candidatesFor(session.config, task), {
        onLeft: (reason) =>
          Effect.fail(new ModuleConfigError({ module: "http_probe", reason: `invalid target: ${reason}` })),
        onRight: Effect.succeed
      })
      for (const candidate of candidates) {
        yield* Ref.update(session.count, (n) => n + 1)
        const fetched = yield* fetchFollowing(session.http, candidate, {
          baseUrl: session.config.base_url,
          maxRedirects: session.config.max_redirects
        }).pipe(
          // Nothing listening, no such name, a reset: not served this way, try the next.
          Effect.catchTag("SourceUnavailable", (error) =>
            Effect.as(
              session.log("http_probe: no answer", { url: candidate.toString(), reason: error.reason }),
              undefined
            ))
        )
        // 421: the server that answered does not serve this name.
        if (fetched === undefined || fetched.response.status === 421) {
          continue
        }
        return findingsOf(fetched, candidate)
      }
      return []
    })
})
