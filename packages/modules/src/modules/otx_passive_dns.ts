/**
 * otx_passive_dns: names under a domain and the addresses they resolved to, from AlienVault
 * OTX's passive DNS (`GET {base}/api/v1/indicators/domain/{domain}/passive_dns`, optional
 * `X-OTX-API-KEY`); CNAME targets on the domain count as names, NXDOMAIN answers are skipped.
 */
import { Effect, Option, Redacted, Schema } from "effect"
import { defineModule, expectOk, finding, httpSession, targetValue } from "../Module.js"
import type { Finding } from "../Module.js"

export const PassiveDnsRecord = Schema.Struct({
  hostname: Schema.String,
  address: Schema.String,
  record_type: Schema.String,
  first: Schema.optionalWith(Schema.String, { exact: true }),
  last: Schema.optionalWith(Schema.String, { exact: true }),
  asn: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true })
})
export type PassiveDnsRecord = typeof PassiveDnsRecord.Type

export const PassiveDns = Schema.Struct({
  passive_dns: Schema.Array(PassiveDnsRecord),
  count: Schema.optionalWith(Schema.Number, { exact: true })
})

export const OtxConfig = Schema.Struct({
  /** Report the addresses the names resolved to. */
  ips: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true })
})
export type OtxConfig = typeof OtxConfig.Type

const inScope = (name: string, domain: string) => name === domain || name.endsWith(`.${domain}`)

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
    if (record.first !== undefined && (entry.first === undefined || record.first < entry.first)) {
      entry.first = record.first
    }
    if (record.last !== undefined && (entry.last === undefined || record.last > entry.last)) entry.last = record.last
    seen.set(key, entry)
  }
  for (const record of records) {
    const host = finding("DOMAIN", record.hostname, { confidence: 0.7 })
    if (Option.isNone(host) || !inScope(host.value.value, domain)) continue
    add(host, record.record_type, record)
    const type = record.record_type.toUpperCase()
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

export const otxPassiveDns = defineModule({
  name: "otx_passive_dns",
  description: "Finds subdomains and their past addresses in AlienVault OTX passive DNS",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN", "IP"],
  flags: ["passive", "safe"],
  configSchema: OtxConfig,
  default_config: { ips: true },
  source: {
    id: "otx",
    name: "AlienVault OTX DirectConnect API",
    baseUrl: "https://otx.alienvault.com",
    // OTX allows 10,000 requests an hour with a key; keyless clients are throttled sooner.
    rateLimit: { requests: 1, perSeconds: 1, burst: 5 },
    requiresKey: false,
    proxy: true
  },
  setup: httpSession<typeof OtxConfig.Type>("otx_passive_dns", "otx"),
  collect: (session, task) =>
    Effect.gen(function*() {
      const domain = yield* targetValue("otx_passive_dns", task, "DOMAIN")
      const headers = Option.match(session.key, {
        onNone: (): Record<string, string> => ({ accept: "application/json" }),
        onSome: (key) => ({ accept: "application/json", "x-otx-api-key": Redacted.value(key) })
      })
      const response = yield* session.http.get(`${session.base}/api/v1/indicators/domain/${domain}/passive_dns`, {
        headers
      })
      if (response.status === 404) return []
      const answer = yield* expectOk(response).pipe(Effect.flatMap((ok) => ok.json(PassiveDns)))
      const findings = extractFindings(answer.passive_dns, domain, session.config)
      yield* session.log("otx answered", { domain, records: answer.passive_dns.length, findings: findings.length })
      return findings
    })
})
