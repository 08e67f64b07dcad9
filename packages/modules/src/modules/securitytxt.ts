/**
 * securitytxt: a site's security contacts from its security.txt (RFC 9116), fetched through the
 * HTTP client (so the scope guard and the `web` rate limit apply) at `/.well-known/security.txt`,
 * then the legacy `/security.txt`. A PGP-signed file is read inside its signature. `Contact`
 * addresses become EMAIL, PHONE or URL findings; the file itself is a URL finding carrying every
 * field, its expiry and what it lacks. HTML answers (soft 404s) and other sites' files are ignored.
 */
import { Clock, Effect, Either, Option, Ref, Schema } from "effect"
import { baseUrlField, fetchFollowing, webSource } from "../internal/Web.js"
import { headerFields } from "../kinds/PagedApi.js"
import { countedSession, defineModule, expectOk, type Finding, finding, targetValue } from "../Module.js"
import { inScope } from "../Scope.js"

export const SecurityTxtConfig = Schema.Struct({
  max_redirects: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 10)), { default: () => 3, exact: true }),
  base_url: baseUrlField
})
export type SecurityTxtConfig = typeof SecurityTxtConfig.Type

export interface Field {
  readonly name: string
  readonly value: string
}

/** The `Name: value` lines (names in lower case), the signature's armour and comments left out. */
export const parseSecurityTxt = (text: string): ReadonlyArray<Field> => {
  const lines = text.split(/\r?\n/)
  const signed = lines[0]?.trim() === "-----BEGIN PGP SIGNED MESSAGE-----"
  // A signed message's armour headers (`Hash: …`) end at its first blank line.
  const start = signed ? lines.findIndex((line) => line.trim() === "") + 1 : 0
  const fields: Array<Field> = []
  for (const raw of lines.slice(start)) {
    if (raw.startsWith("-----BEGIN PGP SIGNATURE-----")) break
    const line = raw.replace(/^- /, "").trim()
    const match = /^([A-Za-z][A-Za-z0-9-]*):\s*(\S.*)$/.exec(line)
    if (match !== null && !line.startsWith("#")) fields.push({ name: match[1]!.toLowerCase(), value: match[2]!.trim() })
  }
  return fields
}

/** What the file lacks or gets wrong (RFC 9116 §2.5: one Contact at least, one Expires, not past). */
export const problemsOf = (fields: ReadonlyArray<Field>, now: number): ReadonlyArray<string> => {
  const problems: Array<string> = []
  const expires = fields.filter((field) => field.name === "expires")
  if (!fields.some((field) => field.name === "contact")) problems.push("no Contact")
  if (expires.length === 0) problems.push("no Expires")
  if (expires.length > 1) problems.push("more than one Expires")
  const at = Date.parse(expires[0]?.value ?? "")
  if (expires.length > 0 && Number.isNaN(at)) problems.push("Expires is not a date")
  if (!Number.isNaN(at) && at < now) problems.push("expired")
  return problems
}

/** A Contact as the finding it names: `mailto:` an EMAIL, `tel:` a PHONE, an http(s) URL on the domain a URL. */
const contactFinding = (value: string, domain: string, file: string): Option.Option<Finding> => {
  const details = { confidence: 0.9, metadata: { field: "Contact", security_txt: file } }
  const lower = value.toLowerCase()
  if (lower.startsWith("mailto:")) {
    const address = value.slice(7).split("?")[0]!
    // A malformed escape (`%E0%A4%A`) is kept as written: the finding then fails as an address, not the task.
    return finding("EMAIL", Either.getOrElse(Either.try(() => decodeURIComponent(address)), () => address), details)
  }
  if (lower.startsWith("tel:")) return finding("PHONE", value.slice(4), details)
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol) || !inScope(new URL(value).hostname, domain)) {
    return Option.none()
  }
  return finding("URL", value, details)
}

const paths = ["/.well-known/security.txt", "/security.txt"]

/** A plain-text answer with at least one field: an HTML page served for any path is not a security.txt. */
const isSecurityTxt = (status: number, type: string | undefined, body: string) =>
  status === 200 && !/html/i.test(type ?? "") && /^(contact|expires):/im.test(body)

export const securitytxt = defineModule({
  ...headerFields({
    name: "securitytxt",
    title: "security.txt",
    description: "Reads a site's security.txt (RFC 9116) for its security contacts, policy and expiry",
    flags: ["active", "safe"],
    config: SecurityTxtConfig,
    input_types: ["DOMAIN"],
    output_types: ["EMAIL", "PHONE", "URL"]
  }),
  source: webSource,
  setup: countedSession<SecurityTxtConfig>("securitytxt", "fetches"),
  collect: (session, task) =>
    Effect.gen(function*() {
      const domain = yield* targetValue("securitytxt", task, "DOMAIN")
      for (const path of paths) {
        yield* Ref.update(session.count, (n) => n + 1)
        const fetched = yield* fetchFollowing(session.http, new URL(`https://${domain}${path}`), {
          baseUrl: session.config.base_url,
          maxRedirects: session.config.max_redirects
        })
        const { response, url } = fetched
        // 429 and 5xx are worth retrying; any other answer that is not a file means there is none here.
        if (response.status === 429 || response.status >= 500) yield* expectOk(response)
        if (
          !inScope(url.hostname, domain) ||
          !isSecurityTxt(response.status, response.headers["content-type"], response.body)
        ) {
          continue
        }
        const fields = parseSecurityTxt(response.body)
        const now = yield* Clock.currentTimeMillis
        const file = url.href
        const contacts = fields
          .filter((field) => field.name === "contact")
          .flatMap((field) => Option.toArray(contactFinding(field.value, domain, file)))
        const summary = finding("URL", file, {
          confidence: 1,
          source_data: { fields },
          metadata: {
            security_txt: true,
            expires: fields.find((field) => field.name === "expires")?.value ?? null,
            problems: problemsOf(fields, now),
            legacy_location: path === "/security.txt"
          }
        })
        yield* session.log("securitytxt read", { domain, file, fields: fields.length })
        return [...Option.toArray(summary), ...contacts]
      }
      return []
    })
})
