/**
 * crtsh: names under a domain found in Certificate Transparency logs through crt.sh's JSON
 * output (`GET {base}/?q=%.{domain}&output=json`), plus email addresses named in certificates.
 * Every identity of a row counts: each line of `name_value` (DNS names, `*.` wildcards, emails)
 * and the `common_name`. Rows are read one by one: an odd row is skipped and counted.
 */
import { Option, Schema } from "effect"
import { pagedApi } from "../kinds/PagedApi.js"
import { Formats } from "../kinds/Request.js"
import { finding } from "../Module.js"
import type { Finding } from "../Module.js"
import { inScope } from "../Scope.js"

const optionalText = Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true })

/** One row of crt.sh's JSON: a certificate (or precertificate) and the identities it names. */
export const CrtshEntry = Schema.Struct({
  /** A number; read from its text too, as some mirrors send it. */
  id: Schema.optionalWith(Schema.Union(Schema.Number, Schema.NumberFromString), { exact: true }),
  /** The certificate's identities, newline-separated: DNS names (maybe `*.`), sometimes emails. */
  name_value: optionalText,
  common_name: optionalText,
  issuer_ca_id: Schema.optionalWith(Schema.NullOr(Schema.Number), { exact: true }),
  issuer_name: optionalText,
  entry_timestamp: optionalText,
  not_before: optionalText,
  not_after: optionalText,
  serial_number: optionalText
}).pipe(
  Schema.filter((entry) =>
    (entry.name_value ?? entry.common_name ?? "") !== "" || "names no identity (no name_value nor common_name)"
  )
)
export type CrtshEntry = typeof CrtshEntry.Type

export const CrtshConfig = Schema.Struct({
  /** Report email addresses found in certificates. */
  emails: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true }),
  /** Ask crt.sh to leave out expired certificates (`exclude=expired`). */
  exclude_expired: Schema.optionalWith(Schema.Boolean, { default: () => false, exact: true }),
  /** At most this many certificates are kept in a finding's source_data. */
  max_certificates_per_name: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 100)), {
    default: () => 10,
    exact: true
  })
})
export type CrtshConfig = typeof CrtshConfig.Type

interface Seen {
  readonly type: "DOMAIN" | "EMAIL"
  readonly value: string
  wildcard: boolean
  readonly ids: Set<number | symbol>
  /** The first few of those certificates, summarized. */
  readonly certificates: Array<Record<string, unknown>>
}

const summary = (entry: CrtshEntry): Record<string, unknown> => {
  const fields: Record<string, unknown> = entry.id === undefined ? {} : { id: entry.id }
  for (const key of ["issuer_name", "common_name", "not_before", "not_after", "serial_number"] as const) {
    const value = entry[key]
    if (value !== undefined && value !== null) fields[key] = value
  }
  return fields
}

/** Every identity a row names: each line of `name_value`, then the common name. */
export const identitiesOf = (entry: CrtshEntry): ReadonlyArray<string> =>
  [
    ...(entry.name_value ?? "").split(/\r?\n/),
    ...(entry.common_name ? [entry.common_name] : [])
  ].map((identity) => identity.trim()).filter((identity) => identity !== "")

/** The identities of the rows, in canonical form, under `domain` only, once each. */
export const extractFindings = (
  entries: ReadonlyArray<CrtshEntry>,
  domain: string,
  config: CrtshConfig
): ReadonlyArray<Finding> => {
  const seen = new Map<string, Seen>()
  for (const entry of entries) {
    // A row without an id is a certificate of its own.
    const id = entry.id ?? Symbol()
    for (const raw of new Set(identitiesOf(entry))) {
      const wildcard = raw.startsWith("*.")
      const name = raw.replace(/^(\*\.)+/, "")
      const isEmail = name.includes("@")
      if (isEmail && !config.emails) continue
      const canonical = finding(isEmail ? "EMAIL" : "DOMAIN", isEmail ? name : name.toLowerCase(), { confidence: 0 })
      if (Option.isNone(canonical)) continue
      const { type, value } = canonical.value
      const host = type === "EMAIL" ? value.slice(value.lastIndexOf("@") + 1) : value
      if (!inScope(host, domain) || (type !== "DOMAIN" && type !== "EMAIL")) continue
      const key = `${type}:${value}`
      const current = seen.get(key) ?? { type, value, wildcard: false, ids: new Set(), certificates: [] }
      current.wildcard ||= wildcard
      if (!current.ids.has(id)) {
        current.ids.add(id)
        if (current.certificates.length < config.max_certificates_per_name) current.certificates.push(summary(entry))
      }
      seen.set(key, current)
    }
  }
  return Array.from(seen.values())
    .sort((a, b) => (a.type === b.type ? a.value.localeCompare(b.value) : a.type.localeCompare(b.type)))
    .map((item): Finding => ({
      type: item.type,
      value: item.value,
      // A name in a certificate was real when issued, not necessarily now.
      confidence: item.type === "DOMAIN" ? 0.8 : 0.7,
      source_data: { certificates: item.certificates },
      metadata: { query: `%.${domain}`, wildcard: item.wildcard, certificate_count: item.ids.size }
    }))
}

export const crtsh = pagedApi({
  name: "crtsh",
  description: "Finds subdomains and email addresses in Certificate Transparency logs via crt.sh",
  version: "1.1.0",
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN", "EMAIL"],
  flags: ["passive", "safe"],
  config: CrtshConfig,
  source: {
    id: "crtsh",
    name: "crt.sh Certificate Transparency search",
    baseUrl: "https://crt.sh",
    // crt.sh is a shared, often overloaded service: stay well below what it tolerates.
    rateLimit: { requests: 1, perSeconds: 2, burst: 3 },
    requiresKey: false,
    proxy: true
  },
  format: Formats.json,
  request: (target, config) => ({
    path: "/",
    query: { q: `%.${target.value}`, output: "json", ...(config.exclude_expired ? { exclude: "expired" } : {}) }
  }),
  rows: (body) => (Array.isArray(body) ? body : undefined),
  row: CrtshEntry,
  findings: (entries, target, config) => extractFindings(entries, target.value, config)
})
