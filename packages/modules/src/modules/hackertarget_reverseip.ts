/**
 * hackertarget_reverseip: the names that point at an address, from HackerTarget's reverse IP
 * lookup (`GET {base}/reverseiplookup/?q={ip}`), one host name a line: the other sites a shared
 * host serves. `No records found for …` is none.
 */
import { Option } from "effect"
import {
  hackertargetAuth,
  hackertargetLines,
  hackertargetRefusal,
  hackertargetSource
} from "../internal/Hackertarget.js"
import { NoConfig, pagedModule } from "../kinds/PagedApi.js"
import { Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"

/** The line's host name in canonical form, if it is one. */
const hostName = (line: unknown): string | undefined =>
  typeof line === "string"
    ? Option.getOrUndefined(Option.map(finding("DOMAIN", line, { confidence: 0 }), (name) => name.value))
    : undefined

export const hackertargetReverseip = pagedModule({
  name: "hackertarget_reverseip",
  title: "HackerTarget reverse IP lookup",
  description: "Finds the host names that resolve to an address through HackerTarget's reverse IP lookup",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["IP"],
  output_types: ["DOMAIN"],
  source: hackertargetSource,
  auth: hackertargetAuth,
  format: Formats.lines,
  request: (target) => ({ path: "/reverseiplookup/", query: { q: target.value } }),
  refusal: hackertargetRefusal,
  rows: hackertargetLines,
  decodeRow: Rows.from(hostName, "a line is not a host name"),
  findings: (names: ReadonlyArray<string>, target) =>
    Array.from(new Set(names)).sort().map((value): Finding => ({
      type: "DOMAIN",
      value,
      confidence: 0.6,
      source_data: {},
      metadata: { ip: target.value }
    }))
})
