/**
 * email_security: how well a domain guards its mail against spoofing, from its SPF (RFC 7208),
 * DMARC (RFC 7489; the organizational domain's when a subdomain has none) and DKIM (RFC 6376,
 * probed at common selectors) records. One finding, the domain itself, carries the parsed
 * policies and the issues found (`+all`, `p=none`, too many SPF lookups, revoked keys…).
 */
import { Schema } from "effect"
import { dnsModule } from "../kinds/DnsSource.js"
import type { Answer } from "../kinds/DnsSource.js"
import type { Finding } from "../Module.js"

export interface Spf {
  readonly record: string
  /** The `all` qualifier: `-` fail, `~` softfail, `?` neutral, `+` pass; undefined without `all`. */
  readonly all: string | undefined
  readonly includes: ReadonlyArray<string>
  readonly redirect: string | undefined
  /** Mechanisms that cost a DNS lookup (RFC 7208 §4.6.4 allows 10), this record's own. */
  readonly lookups: number
}

/** An SPF record's terms, or undefined when the text is not SPF. */
export const parseSpf = (record: string): Spf | undefined => {
  const [version, ...terms] = record.trim().split(/\s+/)
  if (version?.toLowerCase() !== "v=spf1") return undefined
  let all: string | undefined
  let redirect: string | undefined
  const includes: Array<string> = []
  let lookups = 0
  for (const term of terms) {
    const match = /^([+~?-]?)([a-z0-9]+)(?:[:=/](.*))?$/i.exec(term)
    if (match === null) continue
    const [, qualifier, name = "", value] = match
    const mechanism = name.toLowerCase()
    if (mechanism === "all") all = qualifier === "" ? "+" : qualifier
    if (mechanism === "include" && value !== undefined) includes.push(value.toLowerCase())
    if (mechanism === "redirect" && value !== undefined) redirect = value.toLowerCase()
    if (["include", "redirect", "a", "mx", "ptr", "exists"].includes(mechanism)) lookups++
  }
  return { record, all, includes, redirect, lookups }
}

/** The `k=v; k=v` tags of a DMARC or DKIM record, names in lower case. */
export const parseTags = (record: string): Readonly<Record<string, string>> => {
  const tags: Record<string, string> = {}
  for (const part of record.split(";")) {
    const at = part.indexOf("=")
    if (at > 0) tags[part.slice(0, at).trim().toLowerCase()] = part.slice(at + 1).trim()
  }
  return tags
}

const addresses = (uris: string | undefined) =>
  (uris ?? "").split(",").map((uri) => uri.trim().replace(/^mailto:/i, "").replace(/!\d+[kmgt]?$/i, "")).filter((a) =>
    a !== ""
  )

export const parseDmarc = (record: string) => {
  const tags = parseTags(record)
  if (tags["v"]?.toUpperCase() !== "DMARC1") return undefined
  return {
    record,
    policy: tags["p"]?.toLowerCase(),
    subdomain_policy: tags["sp"]?.toLowerCase(),
    pct: tags["pct"] === undefined ? 100 : Number(tags["pct"]),
    rua: addresses(tags["rua"]),
    ruf: addresses(tags["ruf"])
  }
}
export type Dmarc = NonNullable<ReturnType<typeof parseDmarc>>

/** A DKIM key record's tags: an empty `p=` is a revoked key, `t=y` a key in testing. */
export const parseDkim = (selector: string, record: string) => {
  const tags = parseTags(record)
  if (tags["p"] === undefined || (tags["v"] !== undefined && tags["v"] !== "DKIM1")) return undefined
  return {
    selector,
    key_type: tags["k"] ?? "rsa",
    revoked: tags["p"] === "",
    testing: (tags["t"] ?? "").split(":").includes("y")
  }
}

/** Selectors mail services use (docs/SOURCES.md §32): a hit proves the selector exists, not who uses it. */
export const commonSelectors = [
  "default",
  "dkim",
  "google",
  "selector1",
  "selector2",
  "k1",
  "k2",
  "s1",
  "s2",
  "mail",
  "smtp",
  "mandrill",
  "mxvault",
  "zoho",
  "protonmail",
  "fm1",
  "sig1",
  "pm",
  "mimecast",
  "everlytickey1"
]

export const EmailSecurityConfig = Schema.Struct({
  /** DKIM selectors probed (`<selector>._domainkey.<domain>`); empty to skip DKIM. */
  dkim_selectors: Schema.optionalWith(
    Schema.Array(Schema.String.pipe(Schema.pattern(/^[a-z0-9][a-z0-9._-]{0,62}$/i))),
    {
      default: () => commonSelectors,
      exact: true
    }
  )
})

/** The organizational domain, naively its last two labels: where DMARC is looked up when a subdomain has none. */
const organizational = (domain: string) => domain.split(".").slice(-2).join(".")

const texts = (answers: ReadonlyArray<Answer>, name: string): ReadonlyArray<string> =>
  answers.flatMap((answer) => (answer.type === "TXT" && answer.name === name ? answer.records : []))

export interface Issue {
  readonly severity: "high" | "medium" | "low"
  readonly issue: string
}

export const assess = (spfs: ReadonlyArray<Spf>, dmarc: Dmarc | undefined, revoked: ReadonlyArray<string>) => {
  const issues: Array<Issue> = []
  const spf = spfs[0]
  if (spf === undefined) issues.push({ severity: "medium", issue: "no SPF record" })
  if (spfs.length > 1) issues.push({ severity: "high", issue: "more than one SPF record (permerror)" })
  if (spf?.all === "+") issues.push({ severity: "high", issue: "SPF +all lets anyone send as the domain" })
  if (spf?.all === "?") issues.push({ severity: "medium", issue: "SPF ?all is neutral about unlisted senders" })
  if (spf !== undefined && spf.all === undefined && spf.redirect === undefined) {
    issues.push({ severity: "medium", issue: "SPF has no all mechanism" })
  }
  if (spf !== undefined && spf.lookups > 10) {
    issues.push({ severity: "high", issue: `SPF needs ${spf.lookups} DNS lookups (more than 10 is a permerror)` })
  }
  if (dmarc === undefined) issues.push({ severity: "medium", issue: "no DMARC record" })
  if (dmarc?.policy === "none") issues.push({ severity: "medium", issue: "DMARC p=none only monitors" })
  if (dmarc?.subdomain_policy === "none") {
    issues.push({ severity: "low", issue: "DMARC sp=none only monitors subdomains" })
  }
  if (dmarc !== undefined && dmarc.pct < 100) {
    issues.push({ severity: "low", issue: `DMARC applies to ${dmarc.pct}% of mail` })
  }
  if (dmarc !== undefined && dmarc.rua.length === 0) {
    issues.push({ severity: "low", issue: "DMARC asks for no aggregate reports (rua)" })
  }
  for (const selector of revoked) issues.push({ severity: "low", issue: `DKIM key at selector ${selector} is revoked` })
  return issues
}

export const emailSecurity = dnsModule({
  name: "email_security",
  title: "Email security (SPF, DMARC, DKIM)",
  description: "Assesses a domain's SPF, DMARC and DKIM records: the policies they set and the spoofing they allow",
  flags: ["active", "safe"],
  config: EmailSecurityConfig,
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN"],
  questions: (target, config) =>
    [
      ...new Set([target.value, `_dmarc.${target.value}`, `_dmarc.${organizational(target.value)}`]),
      ...config.dkim_selectors.map((selector) => `${selector}._domainkey.${target.value}`)
    ].map((name) => ({ type: "TXT", name })),
  findings: (answers, target, config): ReadonlyArray<Finding> => {
    const domain = target.value
    const spfs = texts(answers, domain).flatMap((text) => parseSpf(text) ?? [])
    const own = texts(answers, `_dmarc.${domain}`).flatMap((text) => parseDmarc(text) ?? [])[0]
    const inherited = own ?? texts(answers, `_dmarc.${organizational(domain)}`).flatMap((t) => parseDmarc(t) ?? [])[0]
    // A subdomain without its own record is held to the organizational domain's `sp` (or `p`).
    const dmarc = own !== undefined || inherited === undefined
      ? own
      : { ...inherited, policy: inherited.subdomain_policy ?? inherited.policy }
    const dkim = config.dkim_selectors.flatMap((selector) =>
      texts(answers, `${selector}._domainkey.${domain}`).flatMap((text) => parseDkim(selector, text) ?? [])
    )
    const issues = assess(spfs, dmarc, dkim.filter((key) => key.revoked).map((key) => key.selector))
    return [{
      type: "DOMAIN",
      value: domain,
      confidence: 1,
      source_data: {},
      metadata: {
        spf: spfs[0] ?? null,
        dmarc: dmarc === undefined
          ? null
          : { ...dmarc, inherited_from: own === undefined ? organizational(domain) : null },
        dkim,
        issues
      }
    }]
  }
})
