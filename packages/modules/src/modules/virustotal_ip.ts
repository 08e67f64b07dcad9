/**
 * virustotal_ip: what VirusTotal knows of an address (`GET {base}/api/v3/ip_addresses/{ip}`, key in
 * `x-apikey`): `data.attributes` with its AS (`asn`, `as_owner`), `network`, the engines' verdicts
 * (`last_analysis_stats`: malicious, suspicious, harmless, undetected), the community `reputation`,
 * `tags`, and the certificate it last served over HTTPS (`last_https_certificate.thumbprint_sha256`
 * and its names). 404 (`NotFoundError`) is nothing known. The address comes back with its verdicts
 * when an engine flags it; its AS, network, holder, certificate and the certificate's names.
 */
import { Option, Schema } from "effect"
import { optional, present } from "../internal/Fields.js"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"
import { virustotalSource } from "./virustotal_domain.js"

const Stats = Schema.Struct({
  malicious: optional(Schema.Number),
  suspicious: optional(Schema.Number),
  harmless: optional(Schema.Number),
  undetected: optional(Schema.Number)
})

export const VirustotalIp = Schema.Struct({
  id: Schema.String,
  type: Schema.Literal("ip_address"),
  attributes: Schema.Struct({
    asn: optional(Schema.Number),
    as_owner: optional(Schema.String),
    network: optional(Schema.String),
    country: optional(Schema.String),
    reputation: optional(Schema.Number),
    tags: optional(Schema.Array(Schema.String)),
    last_analysis_stats: optional(Stats),
    last_analysis_date: optional(Schema.Number),
    last_https_certificate: optional(Schema.Struct({
      thumbprint_sha256: optional(Schema.String),
      extensions: optional(Schema.Struct({ subject_alternative_name: optional(Schema.Array(Schema.String)) }))
    }))
  })
})
export type VirustotalIp = typeof VirustotalIp.Type

export const virustotalIpFindings = (item: VirustotalIp, ip: string): ReadonlyArray<Finding> => {
  const a = item.attributes
  const stats = a.last_analysis_stats ?? {}
  const flagged = (stats.malicious ?? 0) + (stats.suspicious ?? 0) > 0
  const asn = a.asn === undefined ? undefined : `AS${a.asn}`
  const certificate = a.last_https_certificate
  return [
    flagged
      ? finding("IP", ip, {
        confidence: Math.min(0.95, 0.6 + 0.05 * (stats.malicious ?? 0)),
        metadata: {
          virustotal: present({ ...stats, reputation: a.reputation, tags: a.tags, analysed: a.last_analysis_date }),
          ...((stats.malicious ?? 0) > 0 ? { malicious: true } : {})
        }
      })
      : Option.none(),
    asn === undefined ? Option.none() : finding("ASN", asn, {
      confidence: 0.85,
      metadata: present({ ip, name: a.as_owner, country: a.country })
    }),
    a.network === undefined ? Option.none() : finding("NETBLOCK", a.network, {
      confidence: 0.8,
      metadata: present({ ip, asn })
    }),
    a.as_owner === undefined ? Option.none() : finding("ORGANIZATION", a.as_owner, {
      confidence: 0.6,
      metadata: present({ ip, asn, role: "holder of the address's AS" })
    }),
    certificate?.thumbprint_sha256 === undefined ?
      Option.none() :
      finding("CERTIFICATE", certificate.thumbprint_sha256, {
        confidence: 0.85,
        metadata: { ip, port: 443, role: "last certificate served over HTTPS" }
      }),
    // `*.example.com` and `example.com` name one domain.
    ...Array.from(new Set((certificate?.extensions?.subject_alternative_name ?? []).map((n) => n.replace(/^\*\./, ""))))
      .map((name) =>
        finding("DOMAIN", name, {
          confidence: 0.6,
          metadata: { ip, role: "name on the address's HTTPS certificate" }
        })
      )
  ].flatMap(Option.toArray)
}

export const virustotalIp = pagedApi({
  name: "virustotal_ip",
  title: "VirusTotal address report",
  description: "Finds the engines' verdicts on an address, its AS, network and last HTTPS certificate via VirusTotal",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["IP"],
  output_types: ["IP", "ASN", "NETBLOCK", "ORGANIZATION", "CERTIFICATE", "DOMAIN"],
  source: virustotalSource,
  auth: Auth.header("x-apikey"),
  format: Formats.json,
  request: (target) => ({ path: `/api/v3/ip_addresses/${target.value}` }),
  empty: [404],
  rows: (body) => {
    const data = Rows.at(body, "data")
    return data === undefined ? undefined : [data]
  },
  row: VirustotalIp,
  findings: ([item], target) => (item === undefined ? [] : virustotalIpFindings(item, target.value))
})
