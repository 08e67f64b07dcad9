/**
 * myssl: names under a domain, and their addresses, from MySSL's subdomain discovery
 * (`GET {base}/api/v1/discover_sub_domain?domain={domain}`), which answers
 * `{"code": 0, "data": [{"domain", "ip", "port", …}]}`; a non-zero `code` is a refusal.
 */
import { Option, Predicate, Schema } from "effect"
import { addressFindings } from "../internal/Addresses.js"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { subdomainFindings } from "../kinds/SubdomainSource.js"
import { BadResponse } from "../Module.js"

export const Discovered = Schema.Struct({
  domain: Schema.String,
  ip: Schema.optionalWith(Schema.String, { exact: true }),
  /** A string in the answers seen, read as a number too. */
  port: Schema.optionalWith(Rows.Stringish, { exact: true })
})

const refusal = (body: unknown) => {
  const code = Rows.at(body, "code")
  if (code === undefined || code === 0) return Option.none()
  const message = Rows.at(body, "error") ?? Rows.at(body, "msg")
  return Option.some(new BadResponse({ reason: `myssl refused: code ${String(code)} ${String(message ?? "")}`.trim() }))
}

export const myssl = pagedApi({
  name: "myssl",
  title: "MySSL",
  description: "Finds subdomains and their addresses through MySSL's subdomain discovery",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN", "IP"],
  source: {
    id: "myssl",
    name: "MySSL",
    baseUrl: "https://myssl.com",
    // Undocumented; one discovery every few seconds is what public clients keep to.
    rateLimit: { requests: 1, perSeconds: 3, burst: 2 },
    requiresKey: false,
    proxy: true
  },
  format: Formats.json,
  request: (target) => ({ path: "/api/v1/discover_sub_domain", query: { domain: target.value } }),
  refusal,
  // `data` is null when nothing is known.
  rows: (body) => {
    const data = Rows.at(body, "data")
    return Array.isArray(data) ? data : data === null && Predicate.isRecord(body) ? [] : undefined
  },
  row: Discovered,
  findings: (rows, target) => [
    ...subdomainFindings(rows, target.value, (row) => [row.domain], (row) =>
      row.ip === undefined ? undefined : {
        ip: row.ip,
        ...(row.port === undefined ? {} : { port: row.port })
      }, { confidence: 0.7 }),
    ...addressFindings(
      rows.flatMap((row) => (row.ip === undefined ? [] : [[row.domain, row.ip] as const])),
      target.value,
      0.6
    )
  ]
})
