/**
 * spamhaus_drop: whether an address or netblock is in Spamhaus's DROP list, the netblocks hijacked or
 * leased by spam and cybercrime operations that Spamhaus advises never to route
 * (`GET {base}/drop/drop_v4.json` or `drop_v6.json`, keyless). Each is newline-delimited JSON: one
 * `{"cidr", "sblid", "rir"}` per netblock, then a `{"type": "metadata", …}` line; each list is read once per
 * node for the source's cache TTL and shared by its tasks. A listed netblock
 * holding (or overlapping) the target comes back with its SBL record, its page as a URL.
 */
import { canonicalize } from "@mirage/domain/Entity"
import { Either, Option, Schema } from "effect"
import { contains, overlaps } from "../internal/Cidr.js"
import { optional } from "../internal/Fields.js"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Formats, type Target } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"

export const DropEntry = Schema.Struct({
  cidr: Schema.String,
  sblid: optional(Schema.String),
  rir: optional(Schema.String)
})
export type DropEntry = typeof DropEntry.Type

const listedHere = (entry: DropEntry, target: Target) =>
  target.type === "IP" ? contains(entry.cidr, target.value) : overlaps(entry.cidr, target.value)

export const dropFindings = (entries: ReadonlyArray<DropEntry>, target: Target): ReadonlyArray<Finding> =>
  entries.filter((entry) => listedHere(entry, target)).flatMap((entry) => {
    const record = { list: "DROP", sblid: entry.sblid, rir: entry.rir, listed_netblock: entry.cidr }
    const sbl = entry.sblid === undefined ? undefined : `https://check.spamhaus.org/sbl/query/${entry.sblid}`
    return [
      finding("NETBLOCK", entry.cidr, {
        confidence: 0.95,
        metadata: { ...record, target: target.value, blocklisted: true, malicious: true }
      }),
      target.type === "IP"
        ? finding("IP", target.value, { confidence: 0.9, metadata: { spamhaus_drop: record, blocklisted: true } })
        : Option.none(),
      sbl === undefined ? Option.none() : finding("URL", sbl, {
        confidence: 0.9,
        metadata: { ...record, role: "Spamhaus SBL record" }
      })
    ].flatMap(Option.toArray)
  })

const ipv6 = (target: Target) => target.value.includes(":")

/** Each line parsed as JSON; the trailing metadata line is not a netblock. */
const readLines = (lines: ReadonlyArray<string>): ReadonlyArray<unknown> =>
  lines.flatMap((line) => {
    const parsed = Rows.parseJson(line)
    if (Either.isLeft(parsed)) return [line]
    return Rows.at(parsed.right, "type") === "metadata" ? [] : [parsed.right]
  })

export const spamhausDrop = pagedApi({
  name: "spamhaus_drop",
  title: "Spamhaus DROP",
  description: "Tells whether an address or netblock lies in Spamhaus's DROP list of hijacked and criminal netblocks",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["IP", "NETBLOCK"],
  output_types: ["NETBLOCK", "IP", "URL"],
  source: {
    id: "spamhaus_drop",
    name: "Spamhaus DROP list",
    baseUrl: "https://www.spamhaus.org",
    // Spamhaus asks that the lists be fetched at most once an hour: the cache answers the rest.
    rateLimit: { requests: 1, perSeconds: 10, burst: 2 },
    requiresKey: false,
    proxy: true
  },
  wholeList: true,
  format: Formats.lines,
  request: (target) => ({ path: ipv6(target) ? "/drop/drop_v6.json" : "/drop/drop_v4.json" }),
  rows: readLines,
  row: DropEntry,
  findings: (entries, target) =>
    // The row schema takes any string; only blocks that are CIDRs can hold the target.
    dropFindings(entries.filter((entry) => Either.isRight(canonicalize("NETBLOCK", entry.cidr))), target)
})
