/**
 * crtsh: names under a domain found in Certificate Transparency logs through crt.sh's JSON
 * output (`GET {base}/?q=%.{domain}&output=json`), plus email addresses named in certificates.
 */
import { Effect, Option, Ref, Schema } from "effect"
import { defineModule, endpoint, expectOk, finding, targetValue } from "../Module.js"
import type { Finding } from "../Module.js"

/** One row of crt.sh's JSON: a certificate (or precertificate) and the identities it names. */
export const CrtshEntry = Schema.Struct({
  id: Schema.Number,
  /** The certificate's identities, newline-separated: DNS names (maybe `*.`), sometimes emails. */
  name_value: Schema.String,
  common_name: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
  issuer_ca_id: Schema.optionalWith(Schema.NullOr(Schema.Number), { exact: true }),
  issuer_name: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
  entry_timestamp: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
  not_before: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
  not_after: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
  serial_number: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true })
})
export type CrtshEntry = typeof CrtshEntry.Type

export const CrtshResponse = Schema.Array(CrtshEntry)

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
  readonly ids: Set<number>
  /** The first few of those certificates, summarized. */
  readonly certificates: Array<Record<string, unknown>>
}

const inScope = (name: string, domain: string) => name === domain || name.endsWith(`.${domain}`)

const summary = (entry: CrtshEntry): Record<string, unknown> => {
  const fields: Record<string, unknown> = { id: entry.id }
  for (const key of ["issuer_name", "common_name", "not_before", "not_after", "serial_number"] as const) {
    const value = entry[key]
    if (value !== undefined && value !== null) fields[key] = value
  }
  return fields
}

/** The identities of the rows, in canonical form, under `domain` only, once each. */
export const extractFindings = (
  entries: ReadonlyArray<CrtshEntry>,
  domain: string,
  config: CrtshConfig
): ReadonlyArray<Finding> => {
  const seen = new Map<string, Seen>()
  for (const entry of entries) {
    const identities = entry.name_value.split("\n")
    if (entry.common_name) identities.push(entry.common_name)
    for (const identity of identities) {
      const raw = identity.trim()
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
      if (!current.ids.has(entry.id)) {
        current.ids.add(entry.id)
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

export const crtsh = defineModule({
  name: "crtsh",
  description: "Finds subdomains and email addresses in Certificate Transparency logs via crt.sh",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN", "EMAIL"],
  flags: ["passive", "safe"],
  configSchema: CrtshConfig,
  default_config: { emails: true, exclude_expired: false, max_certificates_per_name: 10 },
  source: {
    id: "crtsh",
    name: "crt.sh Certificate Transparency search",
    baseUrl: "https://crt.sh",
    // crt.sh is a shared, often overloaded service: stay well below what it tolerates.
    rateLimit: { requests: 1, perSeconds: 2, burst: 3 },
    requiresKey: false,
    proxy: true
  },
  setup: (config, ctx) =>
    Effect.gen(function*() {
      const base = yield* endpoint(ctx, "crtsh", "crtsh")
      const queries = yield* Ref.make(0)
      yield* Effect.addFinalizer(() =>
        Effect.flatMap(Ref.get(queries), (count) => ctx.log("crtsh session closed", { queries: count }))
      )
      return { config, base, http: ctx.http, log: ctx.log, queries }
    }),
  collect: (session, task) =>
    Effect.gen(function*() {
      const domain = yield* targetValue("crtsh", task, "DOMAIN")
      yield* Ref.update(session.queries, (n) => n + 1)
      const response = yield* session.http.get(`${session.base}/`, {
        query: {
          q: `%.${domain}`,
          output: "json",
          ...(session.config.exclude_expired ? { exclude: "expired" } : {})
        },
        headers: { accept: "application/json" }
      }).pipe(Effect.flatMap(expectOk))
      const entries = yield* response.json(CrtshResponse)
      const findings = extractFindings(entries, domain, session.config)
      yield* session.log("crtsh answered", { domain, certificates: entries.length, findings: findings.length })
      return findings
    })
})
