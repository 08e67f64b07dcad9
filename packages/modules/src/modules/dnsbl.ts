/**
 * dnsbl: whether an address is on DNS blocklists. Each configured zone is asked for the A records
 * of the address's reversed name (`7.100.51.198.zen.spamhaus.org`); no record is no listing, and
 * each `127.0.0.x` answer is one listing reason (Spamhaus ZEN: SBL, CSS, DROP, XBL, PBL, BCL).
 * `127.255.255.x` is the list refusing the query (a public resolver, a typo, too many queries), so
 * it is noted, not reported. The address comes back as an IP finding carrying its listings; a scan
 * stores an entity once, so those listings are seen on the task's result, not as a new result.
 */
import { Schema } from "effect"
import { reversedLabels } from "../internal/ReverseName.js"
import { type Answer, dnsModule, type Question } from "../kinds/DnsSource.js"
import type { Target } from "../kinds/Request.js"
import type { DecodedRows } from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"
import { inScope } from "../Scope.js"

const Zone = Schema.String.pipe(
  Schema.pattern(/^(?=.{1,200}$)([a-z0-9_-]{1,63}\.)+[a-z0-9-]{1,63}$/i, {
    message: () => "must be a DNS zone name such as zen.spamhaus.org"
  })
)

export const defaultZones = ["zen.spamhaus.org", "bl.spamcop.net", "psbl.surriel.com"] as const

export const DnsblConfig = Schema.Struct({
  /** Zones asked, each once per address. */
  zones: Schema.optionalWith(Schema.Array(Zone).pipe(Schema.minItems(1), Schema.maxItems(20)), {
    default: () => defaultZones,
    exact: true
  })
})
export type DnsblConfig = typeof DnsblConfig.Type

/** What Spamhaus's zones (ZEN and its parts) mean by each answer. */
const spamhausCodes: Readonly<Record<string, readonly [list: string, reason: string]>> = {
  "127.0.0.2": ["SBL", "Spamhaus Block List: a direct spam source or spam operation"],
  "127.0.0.3": ["CSS", "Spamhaus CSS: snowshoe or low-reputation mail"],
  "127.0.0.4": ["XBL", "Exploits Block List: a compromised or infected host"],
  "127.0.0.9": ["DROP", "Spamhaus DROP/EDROP: a hijacked or criminal netblock"],
  "127.0.0.10": ["PBL", "Policy Block List: not meant to send mail directly (ISP maintained)"],
  "127.0.0.11": ["PBL", "Policy Block List: not meant to send mail directly (Spamhaus maintained)"],
  "127.0.0.20": ["AuthBL", "Spamhaus AuthBL: SMTP authentication abuse"],
  "127.0.0.30": ["BCL", "Botnet Controller List: a botnet command-and-control server"]
}

/** Spamhaus's answers that are errors, not listings. */
const spamhausErrors: Readonly<Record<string, string>> = {
  "127.255.255.252": "the zone name is mistyped",
  "127.255.255.254": "queried through a public or open resolver, which the list refuses",
  "127.255.255.255": "too many queries from this resolver"
}

export interface Listing {
  readonly zone: string
  readonly code: string
  readonly list: string
  readonly reason: string
}

const isSpamhaus = (zone: string) => inScope(zone, "spamhaus.org")

/** One answer as a listing, an error (`127.255.255.x`), or not a DNSBL answer at all (outside 127/8). */
export const readAnswer = (
  zone: string,
  address: string
): { readonly _tag: "Listing"; readonly listing: Listing } | { readonly _tag: "Refused"; readonly why: string } | {
  readonly _tag: "Other"
} => {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address)) return { _tag: "Other" }
  if (address.startsWith("127.255.255.")) {
    return { _tag: "Refused", why: (isSpamhaus(zone) ? spamhausErrors[address] : undefined) ?? `answered ${address}` }
  }
  const known = isSpamhaus(zone) ? spamhausCodes[address] : undefined
  return {
    _tag: "Listing",
    listing: {
      zone,
      code: address,
      list: known?.[0] ?? zone,
      reason: known?.[1] ?? `listed (${address})`
    }
  }
}

export const dnsblQuestions = (target: Target, config: DnsblConfig): ReadonlyArray<Question> => {
  const labels = reversedLabels(target.value)
  return labels === undefined
    ? []
    : config.zones.map((zone) => ({ type: "A", name: `${labels}.${zone.toLowerCase()}` }))
}

/** The zone a question was asked of: its name after the address's labels. */
const zoneOf = (name: string, ip: string) => {
  const labels = reversedLabels(ip) ?? ""
  return name.toLowerCase().slice(labels.length + 1)
}

export const dnsblFindings = (answers: ReadonlyArray<Answer>, target: Target): DecodedRows<Finding> => {
  const listings: Array<Listing> = []
  const refused: Array<string> = []
  let other = 0
  for (const answer of answers) {
    if (answer.type !== "A") continue
    const zone = zoneOf(answer.name, target.value)
    for (const address of answer.records) {
      const read = readAnswer(zone, address)
      if (read._tag === "Listing") listings.push(read.listing)
      else if (read._tag === "Refused") refused.push(`${zone}: ${read.why}`)
      else other++
    }
  }
  const skipped = refused.length + other
  const reason = skipped === 0
    ? undefined
    : [...refused, ...(other > 0 ? [`${other} answer(s) outside 127.0.0.0/8`] : [])].join("; ")
  if (listings.length === 0) return { rows: [], skipped, reason }
  const zones = Array.from(new Set(listings.map((listing) => listing.zone)))
  const rows = finding("IP", target.value, {
    confidence: 0.9,
    source_data: { answers: listings.map(({ code, zone }) => ({ zone, code })) },
    metadata: { blocklisted: true, blocklists: zones, listings }
  })
  // The listings are about the address asked: its enrichment, kept beside its own result.
  return { rows: rows._tag === "Some" ? [{ ...rows.value, enrichment: true }] : [], skipped, reason }
}

export const dnsbl = dnsModule({
  name: "dnsbl",
  title: "DNS blocklists",
  description: "Checks an address against DNS blocklists (Spamhaus ZEN, SpamCop, PSBL…) and reads why it is listed",
  flags: ["passive", "safe"],
  config: DnsblConfig,
  input_types: ["IP"],
  output_types: ["IP"],
  questions: dnsblQuestions,
  findings: dnsblFindings
})
