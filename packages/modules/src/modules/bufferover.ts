/**
 * bufferover: names under a domain, and addresses, from BufferOver's TLS scan data
 * (`GET {base}/dns?q=.{domain}`, key in `x-api-key`; free keys since 2022). Each `Results` entry is
 * a comma-separated line whose first field is the address and whose other fields hold names;
 * `Meta.Errors` in a 200 answer is a refusal.
 */
import { Option, Predicate, Schema } from "effect"
import { addressFindings } from "../internal/Addresses.js"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { subdomainFindings } from "../kinds/SubdomainSource.js"
import { BadResponse } from "../Module.js"

/** `ip,field,field,field,name`: the address and every field that could be a name. */
export const ResultLine = Schema.transform(
  Schema.String.pipe(Schema.pattern(/^[^,]+(,[^,]*){1,}$/)),
  Schema.Struct({ ip: Schema.String, names: Schema.Array(Schema.String) }),
  {
    strict: true,
    decode: (line) => {
      const [ip, ...names] = line.split(",").map((field) => field.trim())
      return { ip: ip!, names: names.filter((name) => name !== "" && name !== "*") }
    },
    encode: ({ ip, names }) => [ip, ...names].join(",")
  }
)

const refusal = (body: unknown) => {
  const errors = Rows.at(body, "Meta.Errors")
  return Array.isArray(errors) && errors.length > 0
    ? Option.some(new BadResponse({ reason: `bufferover refused: ${errors.map(String).join("; ").slice(0, 200)}` }))
    : Option.none()
}

export const bufferover = pagedApi({
  name: "bufferover",
  title: "BufferOver TLS",
  description: "Finds subdomains and their addresses in BufferOver's TLS certificate scans",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN", "IP"],
  source: {
    id: "bufferover",
    name: "BufferOver TLS",
    baseUrl: "https://tls.bufferover.run",
    // The free tier is a small monthly quota: a query every few seconds at most.
    rateLimit: { requests: 1, perSeconds: 5, burst: 2 },
    requiresKey: true,
    proxy: true
  },
  auth: Auth.header("x-api-key"),
  format: Formats.json,
  request: (target) => ({ path: "/dns", query: { q: `.${target.value}` } }),
  refusal,
  rows: (body) => {
    const results = Rows.at(body, "Results")
    return Array.isArray(results) ? results : results === null && Predicate.isRecord(body) ? [] : undefined
  },
  row: ResultLine,
  findings: (lines, target) => [
    ...subdomainFindings(lines, target.value, (line) => line.names, (line) => ({ ip: line.ip }), { confidence: 0.7 }),
    ...addressFindings(lines.flatMap((line) => line.names.map((name) => [name, line.ip] as const)), target.value, 0.5)
  ]
})
