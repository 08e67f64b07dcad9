/**
 * zoomeye_hosts: the services ZoomEye's scanners saw on an address, from its host search
 * (`GET {base}/host/search?query=ip:"{ip}"&page=1`, key in `API-KEY`, the same source as the domain
 * search). `matches[]` each hold `portinfo` (`port`, `service`, `app`, `version`, `os`, `hostname`)
 * and `geoinfo` (`asn`, `organization`, `isp`); `total` counts them. ZoomEye writes its errors as
 * `{"error": "…", "message": "…"}` with a 4xx status.
 */
import { Option, Schema } from "effect"
import { distinct, hostPort, optional, present } from "../internal/Fields.js"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"
import { zoomeye } from "./zoomeye.js"

export const ZoomeyeMatch = Schema.Struct({
  ip: Schema.String,
  portinfo: Schema.Struct({
    port: Schema.Int,
    service: optional(Schema.String),
    app: optional(Schema.String),
    version: optional(Schema.String),
    os: optional(Schema.String),
    hostname: optional(Schema.String),
    transport: optional(Schema.String)
  }),
  geoinfo: optional(Schema.Struct({
    asn: optional(Rows.Stringish),
    organization: optional(Schema.String),
    isp: optional(Schema.String)
  })),
  timestamp: optional(Schema.String)
})
export type ZoomeyeMatch = typeof ZoomeyeMatch.Type

export const zoomeyeHostFindings = (matches: ReadonlyArray<ZoomeyeMatch>, ip: string): ReadonlyArray<Finding> =>
  distinct(
    matches.filter((match) => match.ip === ip).flatMap((match) => {
      const info = match.portinfo
      const asn = match.geoinfo?.asn === undefined ? undefined : `AS${match.geoinfo.asn.replace(/^AS/i, "")}`
      const holder = match.geoinfo?.organization ?? match.geoinfo?.isp
      return [
        finding("OPEN_PORT", hostPort(ip, info.port), {
          confidence: 0.85,
          metadata: present({ transport: info.transport, service: info.service, seen: match.timestamp })
        }),
        info.app === undefined ? Option.none() : finding("TECHNOLOGY", info.app, {
          confidence: 0.75,
          metadata: present({ ip, port: info.port, version: info.version, os: info.os })
        }),
        info.hostname === undefined ? Option.none() : finding("DOMAIN", info.hostname, {
          confidence: 0.6,
          metadata: { ip, port: info.port }
        }),
        asn === undefined || !/^AS\d+$/.test(asn) ? Option.none() : finding("ASN", asn, {
          confidence: 0.8,
          metadata: present({ ip, name: holder })
        }),
        holder === undefined ? Option.none() : finding("ORGANIZATION", holder, {
          confidence: 0.6,
          metadata: present({ ip, asn })
        })
      ].flatMap(Option.toArray)
    })
  )

export const zoomeyeHosts = pagedApi({
  name: "zoomeye_hosts",
  title: "ZoomEye hosts",
  description: "Finds the open ports, products, names and AS ZoomEye's scanners saw on an address",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["IP"],
  output_types: ["OPEN_PORT", "TECHNOLOGY", "DOMAIN", "ASN", "ORGANIZATION"],
  source: zoomeye.source,
  auth: Auth.header("API-KEY"),
  format: Formats.json,
  request: (target) => ({ path: "/host/search", query: { query: `ip:"${target.value}"`, page: 1 } }),
  rows: (body) => {
    const matches = Rows.at(body, "matches")
    return Array.isArray(matches) ? matches : undefined
  },
  row: ZoomeyeMatch,
  findings: (matches, target) => zoomeyeHostFindings(matches, target.value)
})
