/**
 * certificate_analysis: a certificate known by its fingerprint, read from crt.sh
 * (`GET {base}/?q={sha256 or sha1}&output=json`, the same search that takes names takes fingerprints): when it
 * is valid (expired, expiring within `expiring_days`, its validity span), who issued it (the issuer's O as an
 * ORGANIZATION), and the names it covers (DOMAIN). The facts enrich the CERTIFICATE; an empty list is nothing known.
 */
import { Clock, Effect, Option, Schema } from "effect"
import { canonicalTarget, headerFields } from "../kinds/PagedApi.js"
import { Formats, openSession, send } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { BadResponse, defineModule, type Finding, finding } from "../Module.js"
import { CrtshEntry } from "./crtsh.js"

export const CertificateAnalysisConfig = Schema.Struct({
  /** A certificate ending within this many days is flagged as expiring. */
  expiring_days: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 365)), { default: () => 30, exact: true })
})
export type CertificateAnalysisConfig = typeof CertificateAnalysisConfig.Type

const day = 86_400_000

/** `C=US, O=Let's Encrypt, CN=R3` → its attributes. */
export const distinguishedName = (text: string): Readonly<Record<string, string>> =>
  Object.fromEntries(
    text.split(/,\s*(?=[A-Za-z]+=)/).flatMap((part) => {
      const at = part.indexOf("=")
      return at <= 0 ? [] : [[part.slice(0, at).trim(), part.slice(at + 1).trim().replace(/^"(.*)"$/, "$1")]]
    })
  )

/** crt.sh writes UTC times without a zone: `2024-01-01T00:00:00`. */
const utc = (text: string | null | undefined) => {
  if (text === null || text === undefined) return Number.NaN
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`)
}

export const analysisFindings = (
  entries: ReadonlyArray<CrtshEntry>,
  fingerprint: string,
  context: { readonly now: number; readonly expiringDays: number }
): ReadonlyArray<Finding> => {
  // A certificate and its precertificate share the fingerprint's facts; the first row speaks for both.
  const entry = entries[0]
  if (entry === undefined) return []
  const notBefore = utc(entry.not_before)
  const notAfter = utc(entry.not_after)
  const issuer = distinguishedName(entry.issuer_name ?? "")
  const known = !Number.isNaN(notAfter)
  const facts = {
    issuer: entry.issuer_name ?? null,
    issuer_organization: issuer["O"] ?? null,
    common_name: entry.common_name ?? null,
    serial_number: entry.serial_number ?? null,
    not_before: entry.not_before ?? null,
    not_after: entry.not_after ?? null,
    expired: known ? notAfter < context.now : null,
    expiring_soon: known ? notAfter >= context.now && notAfter - context.now <= context.expiringDays * day : null,
    days_left: known ? Math.floor((notAfter - context.now) / day) : null,
    validity_days: known && !Number.isNaN(notBefore) ? Math.round((notAfter - notBefore) / day) : null,
    crtsh_ids: entries.flatMap((e) => (e.id === undefined ? [] : [e.id]))
  }
  const names = new Set(
    entries.flatMap((e) => [...(e.name_value ?? "").split("\n"), e.common_name ?? ""])
      .map((name) => name.trim().replace(/^(\*\.)+/, ""))
      .filter((name) => name !== "" && !name.includes("@"))
  )
  const about = { certificate: fingerprint }
  return [
    ...Option.toArray(
      Option.map(
        finding("CERTIFICATE", fingerprint, { confidence: 0.95, source_data: { ...entry }, metadata: facts }),
        (found) => ({ ...found, enrichment: true })
      )
    ),
    ...Array.from(names).flatMap((name) =>
      Option.toArray(finding("DOMAIN", name, { confidence: 0.8, metadata: { ...about, relation: "covered name" } }))
    ),
    ...(issuer["O"] === undefined ? [] : Option.toArray(
      finding("ORGANIZATION", issuer["O"], { confidence: 0.9, metadata: { ...about, relation: "issuer" } })
    ))
  ]
}

const source = {
  id: "crtsh",
  name: "crt.sh Certificate Transparency search",
  baseUrl: "https://crt.sh",
  rateLimit: { requests: 1, perSeconds: 2, burst: 3 },
  requiresKey: false,
  proxy: true
} as const

export const certificateAnalysis = defineModule({
  ...headerFields({
    name: "certificate_analysis",
    title: "Certificate expiry and issuer",
    description: "Reads a certificate by fingerprint from crt.sh: expiry, issuer and the names it covers",
    flags: ["passive", "safe"],
    config: CertificateAnalysisConfig,
    input_types: ["CERTIFICATE"],
    output_types: ["CERTIFICATE", "DOMAIN", "ORGANIZATION"]
  }),
  source,
  setup: openSession<CertificateAnalysisConfig>("certificate_analysis", source),
  collect: (session, task) =>
    Effect.gen(function*() {
      const target = yield* canonicalTarget("certificate_analysis", task)
      const sent = yield* send(session, { path: "/", query: { q: target.value, output: "json" } }, {
        format: Formats.json,
        auth: { _tag: "None" },
        empty: [404]
      })
      if (sent._tag === "Empty") return []
      if (!Array.isArray(sent.body)) {
        return yield* new BadResponse({ reason: "the answer is not a list of certificates" })
      }
      const entries = yield* Rows.decodeEach(sent.body, Rows.schema(CrtshEntry), session.notes)
      const now = yield* Clock.currentTimeMillis
      const findings = analysisFindings(entries, target.value, { now, expiringDays: session.config.expiring_days })
      yield* session.log("certificate_analysis answered", { rows: entries.length, findings: findings.length })
      return findings
    })
})
