/**
 * CERTIFICATE findings of the modules that see certificates (CT searches, certificate indexes, a TLS handshake): one
 * per distinct SHA-256 fingerprint in lowercase hex, with when it is valid, who issued it and the names on it in its
 * metadata when the source gives them. Each certificate becomes work for `certificate_analysis`, so a module reports
 * only those naming its target's scope, the latest-expiring first, at most `max_certificates` of them.
 */
import { Option, Schema } from "effect"
import { type Finding, finding } from "../Module.js"
import { inScope } from "../Scope.js"

/**
 * `max_certificates`: CERTIFICATE findings at most per task (0 for none), the latest-expiring kept. Each is a
 * certificate_analysis task (a crt.sh request at its slow rate), so a domain with thousands of certificates in the CT
 * logs gives its current few rather than all of them.
 */
export const maxCertificatesField = Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 10_000)), {
  default: () => 20,
  exact: true
})

/** One certificate as a source shows it; a certificate seen in several rows is merged. */
export interface SeenCertificate {
  /** Its SHA-256 fingerprint as the source wrote it (any case, maybe `AB:CD:…`). */
  readonly sha256: string | undefined
  readonly names?: ReadonlyArray<string>
  readonly not_before?: string | undefined
  readonly not_after?: string | undefined
  readonly issuer?: string | undefined
  /** What of the source's row to keep (an issuance id, a listing's link). */
  readonly evidence?: Readonly<Record<string, unknown>>
}

interface Merged {
  readonly value: string
  readonly names: Set<string>
  not_before: string | undefined
  not_after: string | undefined
  issuer: string | undefined
  readonly evidence: Array<Readonly<Record<string, unknown>>>
}

const text = (value: string | undefined) => (value === undefined || value.trim() === "" ? undefined : value.trim())

const expiry = (merged: Merged) => {
  const at = merged.not_after === undefined ? Number.NaN : Date.parse(merged.not_after)
  return Number.isNaN(at) ? Number.NEGATIVE_INFINITY : at
}

/** `C=US, O=Let's Encrypt, CN=R3` from a parsed name (`{ C: "US", O: "Let's Encrypt", CN: "R3" }`). */
export const distinguishedName = (name: object | undefined): string | undefined =>
  name === undefined ? undefined : text(
    Object.entries(name).flatMap(([key, value]: [string, unknown]) =>
      (typeof value === "string" ? [value] : Array.isArray(value) ? value.filter((v) => typeof v === "string") : [])
        .map((one) => `${key}=${one}`)
    ).join(", ")
  )

export interface CertificateOptions {
  /** Only certificates naming this domain or a name below it; every one when absent (a certificate served). */
  readonly scope?: string
  readonly max: number
  readonly confidence: number
}

/** The certificates' findings: SHA-256 only (a SHA-1 or anything else is left out), merged, scoped and capped. */
export const certificateFindings = (
  certificates: ReadonlyArray<SeenCertificate>,
  options: CertificateOptions
): ReadonlyArray<Finding> => {
  const merged = new Map<string, Merged>()
  for (const certificate of certificates) {
    if (certificate.sha256 === undefined) continue
    const parsed = finding("CERTIFICATE", certificate.sha256, { confidence: 0 })
    if (Option.isNone(parsed) || parsed.value.value.length !== 64) continue
    const names = (certificate.names ?? []).map((name) => name.trim().toLowerCase()).filter((name) => name !== "")
    const scope = options.scope
    if (scope !== undefined && !names.some((name) => inScope(name.replace(/^(\*\.)+/, ""), scope))) continue
    const current = merged.get(parsed.value.value) ??
      {
        value: parsed.value.value,
        names: new Set<string>(),
        not_before: undefined,
        not_after: undefined,
        issuer: undefined,
        evidence: []
      }
    for (const name of names) current.names.add(name)
    current.not_before ??= text(certificate.not_before)
    current.not_after ??= text(certificate.not_after)
    current.issuer ??= text(certificate.issuer)
    if (certificate.evidence !== undefined && current.evidence.length < 5) current.evidence.push(certificate.evidence)
    merged.set(current.value, current)
  }
  return Array.from(merged.values())
    .sort((a, b) => expiry(b) - expiry(a) || a.value.localeCompare(b.value))
    .slice(0, options.max)
    .map((item): Finding => ({
      type: "CERTIFICATE",
      value: item.value,
      confidence: options.confidence,
      // The end of validity in the source data too: where the asset inventory reads a certificate's expiry.
      source_data: {
        ...(item.not_after === undefined ? {} : { not_after: item.not_after }),
        ...(item.evidence.length === 0 ? {} : { evidence: item.evidence })
      },
      metadata: {
        ...(item.not_before === undefined ? {} : { not_before: item.not_before }),
        ...(item.not_after === undefined ? {} : { not_after: item.not_after }),
        ...(item.issuer === undefined ? {} : { issuer: item.issuer }),
        names: Array.from(item.names).sort()
      }
    }))
}
