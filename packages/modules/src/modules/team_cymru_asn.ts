/**
 * team_cymru_asn: Team Cymru's IP-to-ASN mapping over DNS. An address is asked as TXT of its
 * reversed name under `origin.asn.cymru.com` (`origin6` for IPv6), each record one announced prefix:
 * `"15169 | 8.8.8.0/24 | US | arin | 2014-03-14"` (several origin ASes space-separated). An ASN is
 * asked as `AS15169.asn.cymru.com`: `"15169 | US | arin | 2000-03-30 | GOOGLE - Google LLC, US"`,
 * its holder. A record of another shape is skipped and counted.
 */
import { Option } from "effect"
import { reversedLabels } from "../internal/ReverseName.js"
import { type Answer, dnsModule, type Question } from "../kinds/DnsSource.js"
import { NoConfig } from "../kinds/PagedApi.js"
import type { Target } from "../kinds/Request.js"
import type { DecodedRows } from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"

export const originZone = "origin.asn.cymru.com"
export const origin6Zone = "origin6.asn.cymru.com"
export const asnZone = "asn.cymru.com"

const fieldsOf = (record: string) => record.split("|").map((field) => field.trim())

export interface Origin {
  readonly asns: ReadonlyArray<string>
  readonly prefix: string
  readonly country: string
  readonly registry: string
  readonly allocated: string
}

/** One origin record, or undefined when it is not `ASNs | prefix | CC | registry | date`. */
export const parseOrigin = (record: string): Origin | undefined => {
  const [asns = "", prefix = "", country = "", registry = "", allocated = ""] = fieldsOf(record)
  const numbers = asns.split(/\s+/).filter((asn) => asn !== "")
  if (numbers.length === 0 || !numbers.every((asn) => /^\d{1,10}$/.test(asn)) || !prefix.includes("/")) {
    return undefined
  }
  return { asns: numbers.map((asn) => `AS${asn}`), prefix, country, registry, allocated }
}

export interface Holder {
  readonly asn: string
  readonly country: string
  readonly registry: string
  readonly allocated: string
  /** As registered: `GOOGLE - Google LLC, US`. */
  readonly name: string
}

/** One AS record, or undefined when it is not `ASN | CC | registry | date | name`. */
export const parseHolder = (record: string): Holder | undefined => {
  const [asn = "", country = "", registry = "", allocated = "", ...name] = fieldsOf(record)
  const full = name.join("|").trim()
  return /^\d{1,10}$/.test(asn) && full !== ""
    ? { asn: `AS${asn}`, country, registry, allocated, name: full }
    : undefined
}

/** "GOOGLE - Google LLC, US" → "Google LLC"; a name with no handle part ("CLOUDFLARENET, US") as it is. */
export const organizationName = (name: string): string => {
  const withoutCountry = name.replace(/,\s*[A-Z]{2}$/, "").trim()
  const dash = withoutCountry.indexOf(" - ")
  return dash < 0 ? withoutCountry : withoutCountry.slice(dash + 3).trim()
}

const records = (answers: ReadonlyArray<Answer>) =>
  answers.flatMap((answer) => (answer.type === "TXT" ? answer.records : []))

/** Each record read, those that do not counted. */
const readAll = <A>(texts: ReadonlyArray<string>, parse: (text: string) => A | undefined, what: string) => {
  const read = texts.map(parse).filter((row) => row !== undefined)
  const skipped = texts.length - read.length
  return { read, skipped, reason: skipped === 0 ? undefined : `a TXT record is not ${what}` }
}

const originFindings = (origins: ReadonlyArray<Origin>, ip: string): ReadonlyArray<Finding> => {
  const asns = new Map<string, Set<string>>()
  const netblocks = origins.flatMap((origin) => {
    for (const asn of origin.asns) asns.set(asn, (asns.get(asn) ?? new Set()).add(origin.prefix))
    return Option.toArray(finding("NETBLOCK", origin.prefix, { confidence: 0.9, metadata: { ip, ...origin } }))
  })
  return [
    ...Array.from(
      asns,
      ([asn, prefixes]) =>
        Option.toArray(
          finding("ASN", asn, { confidence: 0.9, metadata: { ip, prefixes: Array.from(prefixes).sort() } })
        )
    )
      .flat(),
    ...netblocks
  ]
}

const holderFindings = (holders: ReadonlyArray<Holder>): ReadonlyArray<Finding> =>
  holders.flatMap(({ name, ...details }) =>
    Option.toArray(finding("ORGANIZATION", organizationName(name), {
      confidence: 0.85,
      metadata: { ...details, as_name: name, role: "AS holder" }
    }))
  )

export const cymruQuestions = (target: Target): ReadonlyArray<Question> => {
  if (target.type === "ASN") return [{ type: "TXT", name: `${target.value}.${asnZone}` }]
  const labels = reversedLabels(target.value)
  if (labels === undefined) return []
  return [{ type: "TXT", name: `${labels}.${target.value.includes(":") ? origin6Zone : originZone}` }]
}

export const cymruFindings = (answers: ReadonlyArray<Answer>, target: Target): DecodedRows<Finding> => {
  const texts = records(answers)
  if (target.type === "ASN") {
    const { read, ...skipped } = readAll(texts, parseHolder, "an AS record")
    return { rows: holderFindings(read), ...skipped }
  }
  const { read, ...skipped } = readAll(texts, parseOrigin, "an origin record")
  return { rows: originFindings(read, target.value), ...skipped }
}

export const teamCymruAsn = dnsModule({
  name: "team_cymru_asn",
  title: "Team Cymru IP to ASN",
  description: "Finds the AS and announced prefix of an address, and the holder of an AS, via Team Cymru's DNS",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["IP", "ASN"],
  output_types: ["ASN", "NETBLOCK", "ORGANIZATION"],
  questions: cymruQuestions,
  findings: cymruFindings
})
