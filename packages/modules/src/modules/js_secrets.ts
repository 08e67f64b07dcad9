/**
 * js_secrets: the JavaScript a page loads from its own site, read for the API endpoints it calls (quoted `/api/…`
 * paths, absolute URLs on the site) and for credentials left in it (AWS, Google, GitHub, Slack and Stripe keys,
 * private keys, JWTs). A secret is never reported in clear: its kind, its first characters, its length and a
 * SHA-256 prefix (to recognise it elsewhere) go on the script's URL finding, flagged sensitive. Endpoints are URLs.
 */
import { Effect, Either, Option, Ref, Schema } from "effect"
import { createHash } from "node:crypto"
import * as Html from "../Html.js"
import { baseUrlField, fetchFollowing, fetchTargetPage, scopeDomainOf, webSource } from "../internal/Web.js"
import { headerFields } from "../kinds/PagedApi.js"
import { countedSession, defineModule, type Finding, finding } from "../Module.js"
import { inScope } from "../Scope.js"

export const JsSecretsConfig = Schema.Struct({
  /** Scripts read per page, in the order the page loads them. */
  max_scripts: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 50)), { default: () => 10, exact: true }),
  max_redirects: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 10)), { default: () => 3, exact: true }),
  base_url: baseUrlField
})
export type JsSecretsConfig = typeof JsSecretsConfig.Type

/** Credential patterns, each with the name it is reported by. */
export const secretPatterns: ReadonlyArray<{ readonly kind: string; readonly pattern: RegExp }> = [
  { kind: "aws_access_key_id", pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { kind: "google_api_key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: "github_token", pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/g },
  { kind: "slack_token", pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g },
  { kind: "stripe_secret_key", pattern: /\b[rs]k_live_[0-9A-Za-z]{24,}\b/g },
  { kind: "private_key", pattern: /-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----/g },
  { kind: "jwt", pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/g }
]

export interface RedactedSecret {
  readonly kind: string
  /** The first four characters, then the length: enough to tell keys apart, never enough to use one. */
  readonly redacted: string
  readonly sha256_prefix: string
}

export const redact = (kind: string, secret: string): RedactedSecret => ({
  kind,
  redacted: `${secret.slice(0, 4)}…(${secret.length} chars)`,
  sha256_prefix: createHash("sha256").update(secret).digest("hex").slice(0, 12)
})

export const secretsIn = (code: string): ReadonlyArray<RedactedSecret> => {
  const found = new Map<string, RedactedSecret>()
  for (const { kind, pattern } of secretPatterns) {
    for (const match of code.matchAll(pattern)) found.set(`${kind}:${match[0]}`, redact(kind, match[0]))
  }
  return Array.from(found.values())
}

/** Endpoints a script names: quoted absolute paths under an API-looking prefix, and absolute http(s) URLs. */
export const endpointsIn = (code: string, script: URL, domain: string): ReadonlyArray<string> => {
  const paths = Array.from(
    code.matchAll(/["'`](\/(?:api|v\d+|graphql|rest|internal)\b[^"'`\s<>]*)["'`]/gi),
    (m) => m[1]!
  )
  const urls = Array.from(code.matchAll(/["'`](https?:\/\/[^"'`\s<>]+)["'`]/gi), (m) => m[1]!)
  const resolved = [...paths, ...urls].flatMap((text) => URL.canParse(text, script.href) ? [new URL(text, script)] : [])
  return Array.from(new Set(resolved.filter((url) => inScope(url.hostname, domain)).map((url) => url.toString())))
}

/** The `src`s of the page's scripts, resolved, on the site only. */
const scriptsOf = (html: string, page: URL, domain: string): ReadonlyArray<URL> =>
  Html.select(Html.parse(html), "script[src]")
    .map((element) => Html.attribute(element, "src"))
    .flatMap((src) => (src !== undefined && URL.canParse(src, page.href) ? [new URL(src, page)] : []))
    .filter((url) => /^https?:$/.test(url.protocol) && inScope(url.hostname, domain))

export const scriptFindings = (
  script: URL,
  code: string,
  context: { readonly page: string; readonly domain: string }
): ReadonlyArray<Finding> => {
  const secrets = secretsIn(code)
  const endpoints = endpointsIn(code, script, context.domain)
  const own = finding("URL", script.toString(), {
    confidence: 0.9,
    metadata: {
      page: context.page,
      kind: "script",
      endpoints: endpoints.length,
      ...(secrets.length === 0 ? {} : { secrets, sensitive: true })
    }
  })
  return [
    ...Option.toArray(own),
    ...endpoints.flatMap((endpoint) =>
      Option.toArray(finding("URL", endpoint, {
        confidence: 0.7,
        metadata: { kind: "endpoint", script: script.toString() }
      }))
    )
  ]
}

export const jsSecrets = defineModule({
  ...headerFields({
    name: "js_secrets",
    title: "JavaScript endpoints and secrets",
    description: "Reads a page's own scripts for the API endpoints they call and credentials left in them (redacted)",
    flags: ["active", "safe"],
    config: JsSecretsConfig,
    input_types: ["DOMAIN", "URL"],
    output_types: ["URL"]
  }),
  source: webSource,
  setup: countedSession<JsSecretsConfig>("js_secrets", "requests"),
  collect: (session, task) =>
    Effect.gen(function*() {
      const page = yield* fetchTargetPage("js_secrets", session, task)
      if (page.response.status !== 200) return []
      const domain = scopeDomainOf(page.url.hostname)
      const scripts = scriptsOf(page.response.body, page.url, domain).slice(0, session.config.max_scripts)
      const findings: Array<Finding> = []
      for (const script of scripts) {
        yield* Ref.update(session.count, (n) => n + 1)
        const fetched = yield* Effect.either(fetchFollowing(session.http, script, {
          baseUrl: session.config.base_url,
          maxRedirects: session.config.max_redirects
        }))
        if (Either.isLeft(fetched) || fetched.right.response.status !== 200) continue
        findings.push(...scriptFindings(script, fetched.right.response.body, { page: page.url.toString(), domain }))
      }
      const secrets = findings.reduce((n, f) => n + ((f.metadata["secrets"] as ReadonlyArray<unknown>)?.length ?? 0), 0)
      yield* session.log("js_secrets read", { page: page.url.toString(), scripts: scripts.length, secrets })
      return findings
    })
})
