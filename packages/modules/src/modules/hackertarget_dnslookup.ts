/**
 * hackertarget_dnslookup: a domain's records as HackerTarget's resolvers see them
 * (`GET {base}/dnslookup/?q={domain}`), text lines `TYPE : value` (`A : 192.0.2.1`,
 * `MX : 10 mail.example.com.`); addresses and the names of MX, NS and CNAME records, asked of
 * a third party, so the target's own servers see nothing.
 */
import { Option, Schema } from "effect"
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

export const DnsLine = Schema.Struct({ type: Schema.String, value: Schema.String })
export type DnsLine = typeof DnsLine.Type

/** `TYPE : value`, the type a record type's name. */
export const parseLine = (line: string): DnsLine | undefined => {
  const match = /^([A-Z][A-Z0-9]*)\s*:\s*(\S.*)$/.exec(line.trim())
  return match === null ? undefined : { type: match[1]!, value: match[2]!.trim() }
}

/** The finding a record makes, if its type is one the module reports. */
const recordFinding = (line: DnsLine, domain: string): Option.Option<Finding> => {
  const details = { confidence: 0.8, metadata: { record: line.type, name: domain } }
  switch (line.type) {
    case "A":
    case "AAAA":
      return finding("IP", line.value, details)
    case "NS":
    case "CNAME":
      return finding("DOMAIN", line.value.replace(/\.$/, ""), details)
    case "MX":
      return finding("DOMAIN", line.value.split(/\s+/).pop()!.replace(/\.$/, ""), details)
    default:
      return Option.none()
  }
}

export const hackertargetDnslookup = pagedModule({
  name: "hackertarget_dnslookup",
  title: "HackerTarget DNS lookup",
  description: "Finds a domain's addresses, mail exchangers and name servers through HackerTarget's DNS lookup",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN", "IP"],
  source: hackertargetSource,
  auth: hackertargetAuth,
  format: Formats.lines,
  request: (target) => ({ path: "/dnslookup/", query: { q: target.value } }),
  refusal: hackertargetRefusal,
  rows: hackertargetLines,
  decodeRow: Rows.from(
    (line) => (typeof line === "string" ? parseLine(line) : undefined),
    "a line is not TYPE : value"
  ),
  findings: (lines: ReadonlyArray<DnsLine>, target) => {
    const found = new Map<string, Finding>()
    for (const line of lines) {
      const item = recordFinding(line, target.value)
      if (Option.isSome(item)) found.set(`${item.value.type} ${item.value.value}`, item.value)
    }
    return Array.from(found.values()).sort((a, b) => a.type.localeCompare(b.type) || a.value.localeCompare(b.value))
  }
})
