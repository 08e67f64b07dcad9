/**
 * dnscaa: which certificate authorities may issue for a domain, from its CAA records (RFC 8659):
 * the relevant set is the target's own, or its nearest ancestor's when it has none. Each authorized
 * CA is an ORGANIZATION (its issuer domain in metadata, never a DOMAIN to recurse into); `iodef`
 * report addresses are EMAIL or URL findings. No CAA at all means any CA may issue.
 */
import { Either, Option } from "effect"
import { certificateAuthorities, providerOf } from "../internal/Providers.js"
import { dnsModule } from "../kinds/DnsSource.js"
import { NoConfig } from "../kinds/PagedApi.js"
import { type CaaRecord, type Finding, finding } from "../Module.js"

/** The name and its ancestors down to a registrable-looking two labels: where a relevant CAA set may be. */
export const climb = (name: string): ReadonlyArray<string> => {
  const labels = name.split(".")
  return labels.slice(0, Math.max(1, labels.length - 1)).map((_, i) => labels.slice(i).join("."))
}

/** `letsencrypt.org; validationmethods=dns-01` → the issuer domain and its parameters; `;` alone forbids issuance. */
export const parseIssuer = (value: string) => {
  const [issuer = "", ...parameters] = value.split(";").map((part) => part.trim())
  return { issuer: issuer.toLowerCase().replace(/\.$/, ""), parameters: parameters.filter((p) => p !== "") }
}

const issuerFindings = (records: ReadonlyArray<CaaRecord>, owner: string): ReadonlyArray<Finding> => {
  const issuers = new Map<string, { tags: Set<string>; parameters: Array<string>; critical: boolean }>()
  for (const record of records) {
    for (const tag of ["issue", "issuewild"] as const) {
      const value = record[tag]
      if (value === undefined) continue
      const { issuer, parameters } = parseIssuer(value)
      if (issuer === "") continue
      const current = issuers.get(issuer) ?? { tags: new Set(), parameters: [], critical: false }
      current.tags.add(tag)
      current.parameters.push(...parameters)
      current.critical ||= record.critical >= 128
      issuers.set(issuer, current)
    }
  }
  return Array.from(
    issuers,
    ([issuer, seen]) =>
      finding("ORGANIZATION", providerOf(issuer, certificateAuthorities) ?? issuer, {
        confidence: 0.9,
        metadata: {
          role: "certificate authority",
          issuer_domain: issuer,
          tags: Array.from(seen.tags).sort(),
          parameters: seen.parameters,
          critical: seen.critical,
          caa_owner: owner
        }
      })
  ).flatMap(Option.toArray)
}

/** A malformed escape (`%E0%A4%A`) is kept as written: the address then fails to parse, not the task. */
const safeDecode = (text: string) => Either.getOrElse(Either.try(() => decodeURIComponent(text)), () => text)

const iodefFindings = (records: ReadonlyArray<CaaRecord>, owner: string): ReadonlyArray<Finding> =>
  records.flatMap((record) => {
    const value = record.iodef?.trim()
    if (value === undefined) return []
    const details = { confidence: 0.9, metadata: { role: "CAA iodef", caa_owner: owner } }
    return Option.toArray(
      value.toLowerCase().startsWith("mailto:")
        ? finding("EMAIL", safeDecode(value.slice("mailto:".length)), details)
        : finding("URL", value, details)
    )
  })

export const dnscaa = dnsModule({
  name: "dnscaa",
  title: "DNS CAA records",
  description:
    "Finds which certificate authorities may issue for a domain, and where they report, from its CAA records",
  flags: ["active", "safe"],
  config: NoConfig,
  input_types: ["DOMAIN"],
  output_types: ["ORGANIZATION", "EMAIL", "URL"],
  questions: (target) => climb(target.value).map((name) => ({ type: "CAA", name })),
  findings: (answers, target) => {
    // The relevant set: the first name, climbing from the target, that has CAA records.
    const relevant = climb(target.value)
      .map((name) => answers.find((answer) => answer.type === "CAA" && answer.name === name))
      .find((answer) => answer !== undefined && answer.records.length > 0)
    if (relevant === undefined || relevant.type !== "CAA") return []
    const found = [
      ...issuerFindings(relevant.records, relevant.name),
      ...iodefFindings(relevant.records, relevant.name)
    ]
    return found.sort((a, b) => a.type.localeCompare(b.type) || a.value.localeCompare(b.value))
  }
})
