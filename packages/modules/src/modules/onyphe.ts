/**
 * onyphe: everything ONYPHE's categories hold on an address, from its summary API
 * (`GET {base}/api/v2/summary/ip/{ip}`, `Authorization: bearer {key}`, required). `results[]` mixes
 * categories, each row tagged `@category`: `geoloc` and `inetnum` (AS, organization, subnet),
 * `synscan` and `datascan` (open ports; the product seen there), `resolver` (names pointing at the
 * address), `threatlist` (the threat lists naming it) and `vulnscan` (`cve[]`). `error` is 0 on
 * success; otherwise `text` says why (`status: "nok"`).
 */
import { Option, Predicate, Schema } from "effect"
import { distinct, hostPort, optional, present } from "../internal/Fields.js"
import { refusedWith } from "../internal/Refusal.js"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"

const names = optional(Rows.OneOrMany(Schema.String))

export const OnypheRow = Schema.Struct({
  "@category": Schema.String,
  ip: optional(Schema.String),
  port: optional(Schema.Int),
  protocol: optional(Schema.String),
  transport: optional(Schema.String),
  product: optional(Schema.String),
  productvendor: optional(Schema.String),
  productversion: optional(Schema.String),
  asn: optional(Schema.String),
  organization: optional(Schema.String),
  subnet: optional(Schema.String),
  hostname: names,
  domain: names,
  reverse: optional(Schema.String),
  threatlist: optional(Schema.String),
  cve: names,
  seen_date: optional(Schema.String)
})
export type OnypheRow = typeof OnypheRow.Type

export const onypheFindings = (rows: ReadonlyArray<OnypheRow>, ip: string): ReadonlyArray<Finding> => {
  const threatlists = Array.from(new Set(rows.flatMap((row) => (row.threatlist === undefined ? [] : [row.threatlist]))))
  return distinct([
    threatlists.length === 0 ? Option.none() : finding("IP", ip, {
      confidence: 0.8,
      metadata: { onyphe: { threatlists }, malicious: true }
    }),
    ...rows.flatMap((row) => {
      const category = row["@category"]
      const context = present({ ip, category, seen: row.seen_date })
      const asn = row.asn === undefined ? undefined : /^AS\d+$/i.exec(row.asn.trim())?.[0]
      return [
        row.port === undefined ? Option.none() : finding("OPEN_PORT", hostPort(ip, row.port), {
          confidence: 0.85,
          metadata: present({ ...context, transport: row.transport, protocol: row.protocol })
        }),
        row.product === undefined ? Option.none() : finding("TECHNOLOGY", row.product, {
          confidence: 0.75,
          metadata: present({ ...context, port: row.port, vendor: row.productvendor, version: row.productversion })
        }),
        asn === undefined ? Option.none() : finding("ASN", asn, {
          confidence: 0.85,
          metadata: present({ ...context, name: row.organization })
        }),
        row.organization === undefined ? Option.none() : finding("ORGANIZATION", row.organization, {
          confidence: 0.7,
          metadata: present({ ...context, asn })
        }),
        row.subnet === undefined ? Option.none() : finding("NETBLOCK", row.subnet, {
          confidence: 0.8,
          metadata: present({ ...context, asn })
        }),
        ...[...(row.hostname ?? []), ...(row.reverse === undefined ? [] : [row.reverse])].map((name) =>
          finding("DOMAIN", name, { confidence: 0.7, metadata: context })
        ),
        ...(row.cve ?? []).map((cve) =>
          finding("VULNERABILITY", cve, { confidence: 0.6, metadata: { ...context, verified: false } })
        )
      ]
    })
  ].flatMap(Option.toArray))
}

export const onyphe = pagedApi({
  name: "onyphe",
  title: "ONYPHE",
  description: "Finds the ports, products, names, networks, threat lists and CVEs ONYPHE holds on an address",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["IP"],
  output_types: ["IP", "OPEN_PORT", "TECHNOLOGY", "ASN", "ORGANIZATION", "NETBLOCK", "DOMAIN", "VULNERABILITY"],
  source: {
    id: "onyphe",
    name: "ONYPHE",
    baseUrl: "https://www.onyphe.io",
    // The free plan allows a query a second, and a monthly credit.
    rateLimit: { requests: 1, perSeconds: 1 },
    requiresKey: true,
    proxy: true
  },
  auth: Auth.header("Authorization", "bearer "),
  format: Formats.json,
  request: (target) => ({ path: `/api/v2/summary/ip/${target.value}` }),
  refusal: (body) => {
    const error = Rows.at(body, "error")
    if (typeof error !== "number" || error === 0) return Option.none()
    const text = Rows.at(body, "text")
    return Option.some(refusedWith("onyphe", `error ${error}: ${typeof text === "string" ? text : "no reason given"}`))
  },
  rows: (body) => {
    const results = Predicate.isRecord(body) ? body["results"] : undefined
    return Array.isArray(results) ? results : undefined
  },
  row: OnypheRow,
  findings: (rows, target) => onypheFindings(rows, target.value)
})
