/**
 * robtex: records of a domain from Robtex's passive DNS (`GET {base}/pdns/forward/{domain}`),
 * newline-delimited JSON (`{"rrname", "rrdata", "rrtype", "time_first", "time_last", "count"}` a
 * line); the names it holds under the domain and the addresses they had. The free API is tightly
 * throttled (429); a pro key (`?key=`) goes with the `proapi.robtex.com` base.
 */
import { Schema } from "effect"
import { addressFindings } from "../internal/Addresses.js"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import { subdomainFindings } from "../kinds/SubdomainSource.js"

export const PassiveRecord = Schema.Struct({
  rrname: Schema.String,
  rrdata: Schema.String,
  rrtype: Schema.String,
  time_first: Schema.optionalWith(Schema.Number, { exact: true }),
  time_last: Schema.optionalWith(Schema.Number, { exact: true })
})

/** Record types whose data is a host name. */
const named = new Set(["CNAME", "NS", "MX"])
const addressed = new Set(["A", "AAAA"])

export const robtex = pagedApi({
  name: "robtex",
  title: "Robtex passive DNS",
  description: "Finds subdomains and their past addresses in Robtex's passive DNS",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN", "IP"],
  source: {
    id: "robtex",
    name: "Robtex",
    baseUrl: "https://freeapi.robtex.com",
    // The free API's limit is undisclosed and low; well-known clients keep to one request a second or less.
    rateLimit: { requests: 1, perSeconds: 2, burst: 2 },
    requiresKey: false,
    proxy: true
  },
  auth: Auth.query("key"),
  format: Formats.lines,
  request: (target) => ({ path: `/pdns/forward/${target.value}` }),
  empty: [404],
  // One client reads it as a JSON array, so a line may end in a comma.
  rows: (lines) => lines.map((line) => line.replace(/,$/, "")),
  // Each line is one JSON record; a line that is not is skipped and counted.
  row: Schema.parseJson(PassiveRecord),
  findings: (records, target) => [
    ...subdomainFindings(
      records,
      target.value,
      (record) => (named.has(record.rrtype.toUpperCase()) ? [record.rrname, record.rrdata] : [record.rrname]),
      (record) => ({
        type: record.rrtype,
        data: record.rrdata,
        ...(record.time_last === undefined ? {} : { last_seen: record.time_last })
      }),
      { confidence: 0.6 }
    ),
    ...addressFindings(
      records.filter((record) => addressed.has(record.rrtype.toUpperCase())).map((r) => [r.rrname, r.rrdata] as const),
      target.value,
      0.5
    )
  ]
})
