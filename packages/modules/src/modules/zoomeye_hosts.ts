/**
 * zoomeye_hosts: the services ZoomEye's scanners saw on an address, from its asset search API v2
 * (`POST {base}/v2/search`, key in `API-KEY`, the same source and search as the domain module's), a JSON
 * body `{"qbase64": base64('ip="…"'), "sub_type": "v4" or "v6", "page": 1, "pagesize": 100, "fields": "…"}`.
 * The answer is `{"code": 60000, "message": "success", "total", "data": [...]}`, one flat record per
 * service with the fields asked for: `ip`, `port`, `protocol`, `service`, `product`, `version`, `os`,
 * `hostname`, `rdns`, `asn`, `isp.name`, `organization.name`, `update_time`. Another `code` is a
 * refusal its `message` explains; 401/403 a rejected key.
 */
import { Effect, Option, Schema } from "effect"
import { distinct, hostPort, optional, present } from "../internal/Fields.js"
import { canonicalTarget, headerFields, NoConfig } from "../kinds/PagedApi.js"
import { openSession, requireKey } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { defineModule, type Finding, finding } from "../Module.js"
import { type ZoomeyeSearch, zoomeyeSearch, zoomeyeSource } from "./zoomeye.js"

export const ZoomeyeRecord = Schema.Struct({
  ip: Schema.String,
  port: Schema.Int,
  protocol: optional(Schema.String),
  service: optional(Schema.String),
  product: optional(Schema.String),
  version: optional(Schema.String),
  os: optional(Schema.String),
  hostname: optional(Schema.String),
  rdns: optional(Schema.String),
  asn: optional(Rows.Stringish),
  "isp.name": optional(Schema.String),
  "organization.name": optional(Schema.String),
  update_time: optional(Schema.String)
})
export type ZoomeyeRecord = typeof ZoomeyeRecord.Type

/** The fields asked for: the defaults (ip, port, domain, update_time) leave out the service, product and AS. */
export const zoomeyeFields = [
  "ip",
  "port",
  "protocol",
  "service",
  "product",
  "version",
  "os",
  "hostname",
  "rdns",
  "asn",
  "isp.name",
  "organization.name",
  "update_time"
].join(",")

/** Records per request: one page covers an address's services. */
const pagesize = 100

const named = (value: string | undefined) => (value === undefined || value.trim() === "" ? undefined : value.trim())

export const zoomeyeHostFindings = (records: ReadonlyArray<ZoomeyeRecord>, ip: string): ReadonlyArray<Finding> =>
  distinct(
    records.filter((record) => record.ip === ip).flatMap((record) => {
      const asn = record.asn === undefined ? undefined : `AS${record.asn.replace(/^AS/i, "")}`
      const holder = named(record["organization.name"]) ?? named(record["isp.name"])
      const product = named(record.product)
      const names = [named(record.hostname), named(record.rdns)].flatMap((name) => (name === undefined ? [] : [name]))
      return [
        finding("OPEN_PORT", hostPort(ip, record.port), {
          confidence: 0.85,
          metadata: present({ transport: record.protocol, service: record.service, seen: record.update_time })
        }),
        product === undefined ? Option.none() : finding("TECHNOLOGY", product, {
          confidence: 0.75,
          metadata: present({ ip, port: record.port, version: named(record.version), os: named(record.os) })
        }),
        ...names.map((name) => finding("DOMAIN", name, { confidence: 0.6, metadata: { ip, port: record.port } })),
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

/** The search for an address: `ip="…"` of its family, the fields read. */
export const hostSearch = (ip: string): ZoomeyeSearch => ({
  query: `ip="${ip}"`,
  subType: ip.includes(":") ? "v6" : "v4",
  page: 1,
  pageSize: pagesize,
  fields: zoomeyeFields
})

export const zoomeyeHosts = defineModule({
  ...headerFields({
    name: "zoomeye_hosts",
    title: "ZoomEye hosts",
    description: "Finds the open ports, products, names and AS ZoomEye's scanners saw on an address",
    flags: ["passive", "safe"],
    config: NoConfig,
    input_types: ["IP"],
    output_types: ["OPEN_PORT", "TECHNOLOGY", "DOMAIN", "ASN", "ORGANIZATION"]
  }),
  source: zoomeyeSource,
  setup: openSession<typeof NoConfig.Type>("zoomeye_hosts", zoomeyeSource),
  collect: (session, task) =>
    Effect.gen(function*() {
      yield* requireKey(session, zoomeyeSource)
      const target = yield* canonicalTarget("zoomeye_hosts", task)
      const { records: data } = yield* zoomeyeSearch(session, hostSearch(target.value))
      const records = yield* Rows.decodeEach(data, Rows.schema(ZoomeyeRecord), session.notes)
      const findings = zoomeyeHostFindings(records, target.value)
      yield* session.log("zoomeye_hosts answered", {
        target: target.value,
        records: records.length,
        findings: findings.length
      })
      return findings
    })
})
