/**
 * hibp_breach: what Have I Been Pwned knows of a breach by its name (`GET {base}/api/v3/breach/{name}`, no key,
 * a user agent required; 404 for a name it does not know): the breach's enrichment (title, date, accounts, data
 * classes, verified) and the site it was taken from as a DOMAIN.
 */
import { Option } from "effect"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Formats } from "../kinds/Request.js"
import { type Finding, finding } from "../Module.js"
import { Breach } from "./hibp_breached_account.js"

export const hibpPublicSource = {
  id: "hibp_public",
  name: "Have I Been Pwned (public breach catalogue)",
  baseUrl: "https://haveibeenpwned.com",
  // The catalogue endpoints are not rate limited as the keyed ones are; kept gentle all the same.
  rateLimit: { requests: 10, perSeconds: 60, burst: 2 },
  requiresKey: false,
  proxy: true
} as const

/** HIBP refuses requests without a user agent naming the client. */
export const hibpHeaders = { "user-agent": "Mirage-OSINT-Platform" }

/** A breach's facts, as the enrichment of a BREACH and the metadata of what it leads to. */
export const breachFacts = (breach: Breach) => ({
  title: breach.Title ?? breach.Name,
  domain: breach.Domain ?? null,
  breach_date: breach.BreachDate ?? null,
  added_date: breach.AddedDate ?? null,
  pwn_count: breach.PwnCount ?? null,
  data_classes: breach.DataClasses ?? [],
  verified: breach.IsVerified ?? null,
  fabricated: breach.IsFabricated ?? null,
  sensitive: breach.IsSensitive ?? null,
  spam_list: breach.IsSpamList ?? null
})

export const breachFindings = (breach: Breach): ReadonlyArray<Finding> => {
  const facts = breachFacts(breach)
  const confidence = breach.IsVerified === false || breach.IsFabricated === true ? 0.5 : 0.9
  return [
    ...Option.toArray(
      Option.map(
        finding("BREACH", breach.Name, { confidence, source_data: { ...breach }, metadata: facts }),
        (found) => ({ ...found, enrichment: true })
      )
    ),
    ...(breach.Domain === undefined || breach.Domain === "" ? [] : Option.toArray(
      finding("DOMAIN", breach.Domain, { confidence, metadata: { breach: breach.Name, relation: "breached site" } })
    ))
  ]
}

export const hibpBreach = pagedApi({
  name: "hibp_breach",
  title: "HIBP breach details",
  description: "Reads a breach's details from Have I Been Pwned: date, accounts, data classes and the site breached",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["BREACH"],
  output_types: ["BREACH", "DOMAIN"],
  source: hibpPublicSource,
  format: Formats.json,
  request: (target) => ({ path: `/api/v3/breach/${encodeURIComponent(target.value)}`, headers: hibpHeaders }),
  empty: [404],
  rows: (body) => (body !== null && typeof body === "object" && !Array.isArray(body) ? [body] : undefined),
  row: Breach,
  findings: (rows) => rows.flatMap(breachFindings)
})
