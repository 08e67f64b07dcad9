/**
 * ripestat_prefixes: the prefixes an AS announces, from RIPEstat's Data API
 * (`GET {base}/data/announced-prefixes/data.json?resource=AS{n}`): `data.prefixes[]`, each a
 * `prefix` with the `timelines` it was seen in, over the last two weeks by default. Shares RIPEstat's
 * source (and rate limit) with asn_lookup. A prefix entry of another shape is skipped and counted.
 */
import { Option, Predicate, Schema } from "effect"
import { refusedWith } from "../internal/Refusal.js"
import { pagedApi } from "../kinds/PagedApi.js"
import { Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"
import { asnLookup } from "./asn_lookup.js"

const Timeline = Schema.Struct({ starttime: Schema.String, endtime: Schema.String })

export const AnnouncedPrefix = Schema.Struct({
  prefix: Schema.String,
  timelines: Schema.optionalWith(Schema.Array(Timeline), { exact: true, default: () => [] })
})
export type AnnouncedPrefix = typeof AnnouncedPrefix.Type

export const RipestatPrefixesConfig = Schema.Struct({
  /** The most prefixes kept: large transit ASes announce tens of thousands. */
  max_prefixes: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 100_000)), {
    default: () => 5_000,
    exact: true
  })
})

/** RIPEstat names its callers' apps so it can reach them about heavy use. */
export const sourceapp = "mirage"

const prefixFindings = (
  prefixes: ReadonlyArray<AnnouncedPrefix>,
  asn: string,
  max: number
): ReadonlyArray<Finding> =>
  prefixes.slice(0, max).flatMap(({ prefix, timelines }) =>
    Option.toArray(finding("NETBLOCK", prefix, {
      confidence: 0.9,
      metadata: timelines.length === 0 ? { asn } : {
        asn,
        first_seen: timelines.map((t) => t.starttime).sort()[0],
        last_seen: timelines.map((t) => t.endtime).sort().at(-1)
      }
    }))
  )

export const ripestatPrefixes = pagedApi({
  name: "ripestat_prefixes",
  title: "RIPEstat announced prefixes",
  description: "Finds the prefixes an AS announces via RIPEstat",
  flags: ["passive", "safe"],
  config: RipestatPrefixesConfig,
  input_types: ["ASN"],
  output_types: ["NETBLOCK"],
  source: asnLookup.source,
  format: Formats.json,
  request: (target) => ({ path: "/data/announced-prefixes/data.json", query: { resource: target.value, sourceapp } }),
  refusal: (body) =>
    Predicate.isRecord(body) && typeof body["status"] === "string" && body["status"] !== "ok"
      ? Option.some(refusedWith("RIPEstat", JSON.stringify(body["messages"] ?? body["status"])))
      : Option.none(),
  rows: (body) => {
    const prefixes = Rows.at(body, "data.prefixes")
    return Array.isArray(prefixes) ? prefixes : undefined
  },
  row: AnnouncedPrefix,
  findings: (prefixes, target, config) => prefixFindings(prefixes, target.value, config.max_prefixes)
})
