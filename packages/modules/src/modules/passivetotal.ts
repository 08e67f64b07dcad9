/**
 * passivetotal: names under a domain from RiskIQ PassiveTotal's subdomain enrichment
 * (`GET {base}/v2/enrichment/subdomains?query={domain}`, HTTP Basic with the key configured as
 * `username:api_key`), which answers `{"queryValue", "primaryDomain", "subdomains": [labels]}`: labels
 * under the domain (`www`, `dev.api`). RiskIQ moved PassiveTotal into Microsoft Defender Threat
 * Intelligence; the module speaks the v2 API for an endpoint that still does (`MIRAGE_MODULE_ENDPOINTS`).
 */
import { Option, Schema } from "effect"
import { refusedWith } from "../internal/Refusal.js"
import { NoConfig } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { labelUnder, subdomainSource } from "../kinds/SubdomainSource.js"

/** An error in a 200 answer: `{"error": {"message": …}}` or `{"success": false, "message": …}`. */
const refusal = (body: unknown) => {
  const error = Rows.at(body, "error")
  const message = Rows.at(body, "error.message") ?? Rows.at(body, "message") ?? error
  if ((error === undefined || error === null) && Rows.at(body, "success") !== false) return Option.none()
  return Option.some(refusedWith("passivetotal", typeof message === "string" ? message : "an error without message"))
}

export const passivetotal = subdomainSource({
  name: "passivetotal",
  title: "PassiveTotal",
  description: "Finds subdomains in RiskIQ PassiveTotal's passive DNS enrichment " +
    "(service closed or blocked as of 2026; see SOURCES.md)",
  flags: ["passive", "safe"],
  config: NoConfig,
  source: {
    id: "passivetotal",
    name: "RiskIQ PassiveTotal",
    baseUrl: "https://api.passivetotal.org",
    // The account's daily search quota is the real bound (`/v2/account/quota`); one request a second.
    rateLimit: { requests: 1, perSeconds: 1 },
    requiresKey: true,
    proxy: true
  },
  auth: Auth.basic,
  format: Formats.json,
  request: (domain) => ({ path: "/v2/enrichment/subdomains", query: { query: domain } }),
  refusal,
  rows: (body) => {
    const labels = Rows.at(body, "subdomains")
    return Array.isArray(labels) ? labels : undefined
  },
  row: Schema.String,
  names: (label, domain) => [labelUnder(label, domain)],
  // RiskIQ's lists are known to hold names that never resolved.
  confidence: 0.6
})
