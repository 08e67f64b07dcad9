/**
 * censys_hosts: the services Censys's scanners see on an address (`GET {base}/api/v2/hosts/{ip}`,
 * HTTP Basic with the key configured as `API_ID:API_SECRET`, the same source as the certificate
 * search). `result.services[]` each hold `port`, `service_name`, `transport_protocol`, the
 * `software[]` identified (`product`, `vendor`, `version`, CPE in `uniform_resource_identifier`)
 * and the leaf `certificate`'s SHA-256; `result.autonomous_system` the AS and its `bgp_prefix`;
 * `result.dns` the forward and reverse names. 404 is an address Censys has no record of.
 */
import { Option, Predicate, Schema } from "effect"
import { distinct, hostPort, optional, present } from "../internal/Fields.js"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"

const Software = Schema.Struct({
  product: optional(Schema.String),
  vendor: optional(Schema.String),
  version: optional(Schema.String),
  uniform_resource_identifier: optional(Schema.String)
})

const Service = Schema.Struct({
  port: Schema.Int,
  service_name: optional(Schema.String),
  extended_service_name: optional(Schema.String),
  transport_protocol: optional(Schema.String),
  software: optional(Schema.Array(Software)),
  certificate: optional(Schema.String),
  observed_at: optional(Schema.String)
})

/** The host's own facts: a row of its own beside its services, so one odd service is skipped, not the host. */
export const CensysHost = Schema.Struct({
  ip: Schema.String,
  autonomous_system: optional(Schema.Struct({
    asn: Schema.Number,
    name: optional(Schema.String),
    description: optional(Schema.String),
    bgp_prefix: optional(Schema.String),
    country_code: optional(Schema.String)
  })),
  dns: optional(Schema.Struct({
    names: optional(Schema.Array(Schema.String)),
    reverse_dns: optional(Schema.Struct({ names: optional(Schema.Array(Schema.String)) }))
  })),
  last_updated_at: optional(Schema.String)
})
export type CensysHost = typeof CensysHost.Type
type Service = typeof Service.Type
const CensysRow = Schema.Union(CensysHost, Service)
type CensysRow = typeof CensysRow.Type

export const censysHostFindings = (rows: ReadonlyArray<CensysRow>, ip: string): ReadonlyArray<Finding> => {
  const host: CensysHost = rows.find((row): row is CensysHost => "ip" in row) ?? { ip }
  const services = rows.filter((row): row is Service => "port" in row)
  const as = host.autonomous_system
  const asn = as === undefined ? undefined : `AS${as.asn}`
  const names = [
    ...(host.dns?.names ?? []).map((name) => [name, "A"] as const),
    ...(host.dns?.reverse_dns?.names ?? []).map((name) => [name, "PTR"] as const)
  ]
  const products = services.flatMap((service) =>
    (service.software ?? []).flatMap((software) =>
      software.product === undefined ? [] : [{ software, port: service.port }]
    )
  )
  return distinct([
    ...services.map((service) =>
      finding("OPEN_PORT", hostPort(ip, service.port), {
        confidence: 0.9,
        metadata: present({
          transport: service.transport_protocol?.toLowerCase(),
          service: service.extended_service_name ?? service.service_name,
          seen: service.observed_at ?? host.last_updated_at
        })
      })
    ),
    ...products.map(({ port, software }) =>
      finding("TECHNOLOGY", software.product!, {
        confidence: 0.8,
        metadata: present({
          ip,
          port,
          vendor: software.vendor,
          version: software.version,
          cpe: software.uniform_resource_identifier
        })
      })
    ),
    ...services.map((service) =>
      service.certificate === undefined ? Option.none() : finding("CERTIFICATE", service.certificate, {
        confidence: 0.9,
        metadata: { ip, port: service.port }
      })
    ),
    asn === undefined ? Option.none() : finding("ASN", asn, {
      confidence: 0.85,
      metadata: present({ ip, name: as?.name, description: as?.description, country_code: as?.country_code })
    }),
    as?.bgp_prefix === undefined ? Option.none() : finding("NETBLOCK", as.bgp_prefix, {
      confidence: 0.85,
      metadata: present({ ip, asn, role: "announced prefix" })
    }),
    ...names.map(([name, record]) => finding("DOMAIN", name, { confidence: 0.7, metadata: { ip, record } }))
  ].flatMap(Option.toArray))
}

/** Censys Search: one source (one key, one rate limit) for the certificate and host searches. */
export const censysSource = {
  id: "censys",
  name: "Censys Search",
  baseUrl: "https://search.censys.io",
  // Censys Search allowed 0.4 queries a second on its lowest tier.
  rateLimit: { requests: 2, perSeconds: 5 },
  requiresKey: true,
  proxy: true
} as const

export const censysHosts = pagedApi({
  name: "censys_hosts",
  title: "Censys hosts",
  description: "Finds the open ports, software, certificates, AS and names Censys sees on an address",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["IP"],
  output_types: ["OPEN_PORT", "TECHNOLOGY", "CERTIFICATE", "ASN", "NETBLOCK", "DOMAIN"],
  source: censysSource,
  auth: Auth.basic,
  format: Formats.json,
  request: (target) => ({ path: `/api/v2/hosts/${target.value}` }),
  empty: [404],
  rows: (body) => {
    const result = Rows.at(body, "result")
    if (!Predicate.isRecord(result)) return undefined
    const { services, ...facts } = result
    return [facts, ...(Array.isArray(services) ? services : [])]
  },
  row: CensysRow,
  findings: (rows, target) => censysHostFindings(rows, target.value)
})
