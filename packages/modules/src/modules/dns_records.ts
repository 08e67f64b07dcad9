/**
 * dns_records: a domain's MX, NS, TXT and SOA records and what they name: mail exchangers and
 * name servers (DOMAIN), SPF `include:`/`redirect=` domains, the SOA's primary server (DOMAIN) and
 * its responsible mailbox (EMAIL), and email addresses in TXT records such as DMARC's `rua=`.
 * A question that fails while others answered is a warning, not the task's failure.
 */
import { Array as Arr, Option, Schema } from "effect"
import { uniqueBy } from "../internal/Unique.js"
import { type Answer, dnsModule, type Question } from "../kinds/DnsSource.js"
import { finding } from "../Module.js"
import type { Finding } from "../Module.js"

export const DnsRecordsConfig = Schema.Struct({
  mx: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true }),
  ns: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true }),
  txt: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true }),
  soa: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true }),
  /** Also read the DMARC policy at `_dmarc.{domain}`. */
  dmarc: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true })
})
export type DnsRecordsConfig = typeof DnsRecordsConfig.Type

/**
 * The SOA RNAME as an address: its first unescaped dot is the `@` (RFC 1035 §8), so
 * `hostmaster.example.com` is `hostmaster@example.com` and `john\.doe.example.com` is `john.doe@…`.
 */
export const rnameToEmail = (rname: string): Option.Option<string> => {
  const match = /^((?:[^.\\]|\\.)+)\.(.+)$/.exec(rname.replace(/\.$/, ""))
  return match === null ? Option.none() : Option.some(`${match[1]!.replace(/\\(.)/g, "$1")}@${match[2]}`)
}

/** The domains an SPF record hands over to: `include:`, `redirect=` (and `exists:`, `a:`, `mx:` are left alone). */
export const spfDomains = (record: string): ReadonlyArray<{ readonly mechanism: string; readonly domain: string }> => {
  if (!/^v=spf1(\s|$)/i.test(record.trim())) return []
  return Arr.filterMap(record.trim().split(/\s+/), (term) => {
    const match = /^[+~?-]?(include:|redirect=)(.+)$/i.exec(term)
    // Macros (`%{i}`) expand per query: not a name we can report.
    if (match === null || match[2]!.includes("%")) return Option.none()
    return Option.some({ mechanism: match[1]!.replace(/[:=]$/, "").toLowerCase(), domain: match[2]! })
  })
}

/** Email addresses in a TXT record: `mailto:` URIs (DMARC `rua`/`ruf`) and bare addresses. */
export const txtEmails = (record: string): ReadonlyArray<string> =>
  Array.from(
    new Set(
      (record.match(/(?:mailto:)?[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)+/gi) ?? [])
        .map((address) => address.replace(/^mailto:/i, "").replace(/!\d+[kmgt]?$/i, ""))
    )
  )

/** The questions the config asks about `domain`, in the order their findings are kept. */
const questionsFor = (domain: string, config: DnsRecordsConfig): ReadonlyArray<Question> => [
  ...(config.mx ? [{ type: "MX", name: domain } as const] : []),
  ...(config.ns ? [{ type: "NS", name: domain } as const] : []),
  ...(config.soa ? [{ type: "SOA", name: domain } as const] : []),
  ...(config.txt ? [{ type: "TXT", name: domain } as const] : []),
  ...(config.dmarc ? [{ type: "TXT", name: `_dmarc.${domain}` } as const] : [])
]

/** What the answers name, each once (as the first record that named it). */
export const extractFindings = (answers: ReadonlyArray<Answer>, domain: string): ReadonlyArray<Finding> => {
  const findings: Array<Finding> = []
  const add = (type: "DOMAIN" | "EMAIL", value: string, record: string, source_data: Record<string, unknown>) =>
    Option.map(
      finding(type, value, {
        confidence: 1,
        source_data: { name: domain, ...source_data },
        metadata: { record_type: record }
      }),
      (found) => findings.push(found)
    )
  for (const answer of answers) {
    switch (answer.type) {
      case "MX":
        for (const record of answer.records) add("DOMAIN", record.exchange, "MX", { priority: record.priority })
        break
      case "NS":
        for (const name of answer.records) add("DOMAIN", name, "NS", { value: name })
        break
      case "SOA":
        for (const record of answer.records) {
          const source_data = { mname: record.nsname, rname: record.hostmaster, serial: record.serial }
          add("DOMAIN", record.nsname, "SOA", source_data)
          Option.map(rnameToEmail(record.hostmaster), (email) => add("EMAIL", email, "SOA", source_data))
        }
        break
      case "TXT":
        for (const text of answer.records) {
          const owner = answer.name
          for (const spf of spfDomains(text)) add("DOMAIN", spf.domain, "TXT", { owner, txt: text, spf: spf.mechanism })
          for (const email of txtEmails(text)) add("EMAIL", email, "TXT", { owner, txt: text })
        }
        break
      default:
        break
    }
  }
  return uniqueBy(findings, (found) => `${found.type}:${found.value}`)
}

export const dnsRecords = dnsModule({
  name: "dns_records",
  description: "Reads a domain's MX, NS, TXT (SPF, DMARC) and SOA records for the names and mailboxes they reveal",
  version: "1.1.0",
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN", "EMAIL"],
  flags: ["active", "safe"],
  config: DnsRecordsConfig,
  questions: (target, config) => questionsFor(target.value, config),
  // An alias has no SOA of its own: the answer is its CNAME, which c-ares calls EBADRESP.
  noRecords: (question, error) => question.type === "SOA" && error._tag === "BadResponse",
  concurrency: 5,
  findings: (answers, target) => extractFindings(answers, target.value)
})
