/**
 * threatminer: names under a domain from ThreatMiner's domain report
 * (`GET {base}/v2/domain.php?q={domain}&rt=5`, rt 5 being "subdomains"). The answer is always HTTP 200
 * with its own status as a string: `{"status_code": "200", "status_message": "Results found.",
 * "results": [names]}`, `"404"` ("No results found.") being none and any other a refusal. The service
 * has been unreliable since 2022 (HTTP 500 pages), which the runtime retries as an unavailable source.
 */
import { Option, Schema } from "effect"
import { refusedWith } from "../internal/Refusal.js"
import { NoConfig } from "../kinds/PagedApi.js"
import { Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { subdomainSource } from "../kinds/SubdomainSource.js"

/** The report's own status, sent as a string ("200"), read as text whatever its JSON type. */
const statusOf = (body: unknown): string | undefined => {
  const code = Rows.at(body, "status_code")
  return typeof code === "string" || typeof code === "number" ? String(code) : undefined
}

const refusal = (body: unknown) => {
  const status = statusOf(body)
  if (status === undefined || status === "200" || status === "404") return Option.none()
  const message = Rows.at(body, "status_message")
  return Option.some(refusedWith("threatminer", `status ${status} ${typeof message === "string" ? message : ""}`))
}

export const threatminer = subdomainSource({
  name: "threatminer",
  title: "ThreatMiner",
  description: "Finds subdomains in ThreatMiner's domain reports " +
    "(service closed or blocked as of 2026; see SOURCES.md)",
  flags: ["passive", "safe"],
  config: NoConfig,
  source: {
    id: "threatminer",
    name: "ThreatMiner",
    baseUrl: "https://api.threatminer.org",
    // ThreatMiner documents 10 queries a minute; one at a time, so no minute ever holds more.
    rateLimit: { requests: 10, perSeconds: 60, burst: 1 },
    requiresKey: false,
    proxy: true
  },
  format: Formats.json,
  request: (domain) => ({ path: "/v2/domain.php", query: { q: domain, rt: 5 } }),
  refusal,
  rows: (body) => {
    if (statusOf(body) === "404") return []
    const results = Rows.at(body, "results")
    return Array.isArray(results) ? results : undefined
  },
  row: Schema.String,
  names: (name) => [name],
  confidence: 0.6
})
