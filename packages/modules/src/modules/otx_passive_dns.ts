/**
 * otx_passive_dns: names under a domain and the addresses they resolved to, from AlienVault
 * OTX's passive DNS (`GET {base}/api/v1/indicators/domain/{domain}/passive_dns`, optional
 * `X-OTX-API-KEY`); CNAME targets on the domain count as names, NXDOMAIN answers are skipped.
 * Records are read one by one: a field of another type than documented (an address or ASN as a
 * number) is read as text, a record without a host name is skipped and counted.
 */
import { Option, Schema } from "effect"
import { pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { finding } from "../Module.js"
import type { Finding } from "../Module.js"
import { inScope } from "../Scope.js"

/** Text, maybe sent as a number; null is the same as absent. */
const optionalText = Schema.optionalWith(Rows.Stringish, { exact: true, nullable: true })

export const PassiveDnsRecord = Schema.Struct({
  hostname: Schema.String,
  /** What the name pointed to: an address, a CNAME target, or `NXDOMAIN`. */
  address: optionalText,
  record_type: optionalText,
  first: optionalText,
  last: optionalText,
  asn: optionalText
})
export type PassiveDnsRecord = typeof PassiveDnsRecord.Type

export const OtxConfig = Schema.Struct({
  /** Report the addresses the names resolved to. */
  ips: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true })
})
export type OtxConfig = typeof OtxConfig.Type

interface Seen {
  readonly finding: Finding
  readonly related: Set<string>
  first: string | undefined
  last: string | undefined
}

export const extractFindings = (
  records: ReadonlyArray<PassiveDnsRecord>,
  domain: string,
  config: OtxConfig
): ReadonlyArray<Finding> => {
  const seen = new Map<string, Seen>()
  const add = (item: Option.Option<Finding>, related: string, record: PassiveDnsRecord) => {
    if (Option.isNone(item)) return
    const key = `${item.value.type}:${item.value.value}`
    const entry = seen.get(key) ?? { finding: item.value, related: new Set(), first: undefined, last: undefined }
    entry.related.add(related)
    const { first, last } = record
    if (first !== undefined && (entry.first === undefined || first < entry.first)) entry.first = first
    if (last !== undefined && (entry.last === undefined || last > entry.last)) entry.last = last
    seen.set(key, entry)
  }
  for (const record of records) {
    const host = finding("DOMAIN", record.hostname, { confidence: 0.7 })
    if (Option.isNone(host) || !inScope(host.value.value, domain)) continue
    const type = (record.record_type ?? "").toUpperCase()
    add(host, type === "" ? "unknown" : type, record)
    if (record.address === undefined) continue
    if ((type === "A" || type === "AAAA") && config.ips) {
      add(finding("IP", record.address, { confidence: 0.6 }), host.value.value, record)
    } else if (type === "CNAME") {
      const target = finding("DOMAIN", record.address, { confidence: 0.6 })
      if (Option.isSome(target) && inScope(target.value.value, domain)) add(target, "CNAME target", record)
    }
  }
  return Array.from(seen.values())
    .map(({ finding, related, first, last }): Finding => ({
      ...finding,
      metadata: {
        [finding.type === "IP" ? "hostnames" : "record_types"]: Array.from(related).sort(),
        first_seen: first ?? null,
        last_seen: last ?? null
      }
    }))
    .sort((a, b) => (a.type === b.type ? a.value.localeCompare(b.value) : a.type.localeCompare(b.type)))
}

export const otxPassiveDns = pagedApi({
  name: "otx_passive_dns",
  description: "Finds subdomains and their past addresses in AlienVault OTX passive DNS",
  version: "1.1.0",
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN", "IP"],
  flags: ["passive", "safe"],
  config: OtxConfig,
  source: {
    id: "otx",
    name: "AlienVault OTX DirectConnect API",
    baseUrl: "https://otx.alienvault.com",
    // OTX allows 10,000 requests an hour with a key; keyless clients are throttled sooner.
    rateLimit: { requests: 1, perSeconds: 1, burst: 5 },
    requiresKey: false,
    proxy: true
  },
  auth: Auth.header("x-otx-api-key"),
  format: Formats.json,
  request: (target) => ({ path: `/api/v1/indicators/domain/${target.value}/passive_dns` }),
  // OTX has never seen the domain.
  empty: [404],
  rows: (body) => {
    const records = Rows.at(body, "passive_dns")
    return Array.isArray(records) ? records : undefined
  },
  row: PassiveDnsRecord,
  findings: (records, target, config) => extractFindings(records, target.value, config)
})
