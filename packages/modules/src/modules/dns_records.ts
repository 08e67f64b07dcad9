/**
 * dns_records: a domain's MX, NS, TXT and SOA records and what they name: mail exchangers and
 * name servers (DOMAIN), SPF `include:`/`redirect=` domains, the SOA's primary server (DOMAIN) and
 * its responsible mailbox (EMAIL), and email addresses in TXT records such as DMARC's `rua=`.
 */
import { Array as Arr, Effect, Option, Ref, Schema } from "effect"
import { dnsSession, dnsSource } from "../internal/Dns.js"
import { defineModule, finding, targetValue } from "../Module.js"
import type { Finding, SoaRecord } from "../Module.js"

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
  Arr.dedupe(
    (record.match(/(?:mailto:)?[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)+/gi) ?? [])
      .map((address) => address.replace(/^mailto:/i, "").replace(/!\d+[kmgt]?$/i, ""))
  )

const noStrings = Effect.succeed<ReadonlyArray<ReadonlyArray<string>>>([])

export const dnsRecords = defineModule({
  name: "dns_records",
  description: "Reads a domain's MX, NS, TXT (SPF, DMARC) and SOA records for the names and mailboxes they reveal",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN", "EMAIL"],
  flags: ["active", "safe"],
  configSchema: DnsRecordsConfig,
  default_config: { mx: true, ns: true, txt: true, soa: true, dmarc: true },
  source: dnsSource,
  setup: dnsSession<typeof DnsRecordsConfig.Type>("dns_records"),
  collect: (session, task) =>
    Effect.gen(function*() {
      const domain = yield* targetValue("dns_records", task, "DOMAIN")
      const { config, dns } = session
      yield* Ref.update(session.count, (n) => n + 1)
      const [mx, ns, txt, soa, dmarc] = yield* Effect.all([
        config.mx ? dns.resolveMx(domain) : Effect.succeed([]),
        config.ns ? dns.resolveNs(domain) : Effect.succeed([]),
        config.txt ? dns.resolveTxt(domain) : noStrings,
        config.soa
          ? dns.resolveSoa(domain).pipe(
            // An alias has no SOA of its own: the answer is its CNAME, which c-ares calls EBADRESP.
            Effect.catchTag("BadResponse", () => Effect.succeed(Option.none<SoaRecord>()))
          )
          : Effect.succeed(Option.none<SoaRecord>()),
        config.dmarc ? dns.resolveTxt(`_dmarc.${domain}`) : noStrings
      ], { concurrency: "unbounded" })

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

      for (const record of mx) add("DOMAIN", record.exchange, "MX", { priority: record.priority })
      for (const name of ns) add("DOMAIN", name, "NS", { value: name })
      Option.map(soa, (record) => {
        const source_data = { mname: record.nsname, rname: record.hostmaster, serial: record.serial }
        add("DOMAIN", record.nsname, "SOA", source_data)
        Option.map(rnameToEmail(record.hostmaster), (email) => add("EMAIL", email, "SOA", source_data))
      })
      const texts = [
        ...txt.map((strings) => ({ owner: domain, text: strings.join("") })),
        ...dmarc.map((strings) => ({ owner: `_dmarc.${domain}`, text: strings.join("") }))
      ]
      for (const { owner, text } of texts) {
        for (const spf of spfDomains(text)) add("DOMAIN", spf.domain, "TXT", { owner, txt: text, spf: spf.mechanism })
        for (const email of txtEmails(text)) add("EMAIL", email, "TXT", { owner, txt: text })
      }
      return Arr.dedupeWith(findings, (x, y) => x.type === y.type && x.value === y.value)
    })
})
