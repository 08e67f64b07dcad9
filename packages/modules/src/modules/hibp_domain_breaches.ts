/**
 * hibp_domain_breaches: the breaches Have I Been Pwned lists for a site (`GET {base}/api/v3/breaches?domain={d}`,
 * no key, a user agent required): each a BREACH with its date, accounts and data classes. An empty list is none.
 */
import { Option } from "effect"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Formats } from "../kinds/Request.js"
import { finding } from "../Module.js"
import { breachFacts, hibpHeaders, hibpPublicSource } from "./hibp_breach.js"
import { Breach } from "./hibp_breached_account.js"

export const hibpDomainBreaches = pagedApi({
  name: "hibp_domain_breaches",
  title: "HIBP breaches of a site",
  description: "Finds the breaches Have I Been Pwned lists for a domain's own site",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["DOMAIN"],
  output_types: ["BREACH"],
  source: hibpPublicSource,
  format: Formats.json,
  request: (target) => ({ path: "/api/v3/breaches", query: { domain: target.value }, headers: hibpHeaders }),
  rows: (body) => (Array.isArray(body) ? body : undefined),
  row: Breach,
  findings: (rows, target) =>
    rows.flatMap((breach) =>
      Option.toArray(finding("BREACH", breach.Name, {
        confidence: breach.IsVerified === false || breach.IsFabricated === true ? 0.5 : 0.9,
        source_data: { ...breach },
        metadata: { ...breachFacts(breach), site: target.value }
      }))
    )
})
