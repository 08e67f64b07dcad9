/**
 * chaos: names under a domain from ProjectDiscovery's Chaos dataset (`GET {base}/dns/{domain}/subdomains`,
 * the raw key in `Authorization`, no scheme). The answer lists labels, wildcards among them
 * (`*.dev`); Chaos indexes registered domains, so a subdomain target usually finds nothing.
 */
import { Schema } from "effect"
import { NoConfig } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { labelUnder, subdomainSource } from "../kinds/SubdomainSource.js"

export const chaos = subdomainSource({
  name: "chaos",
  title: "ProjectDiscovery Chaos",
  description: "Finds subdomains in ProjectDiscovery's Chaos dataset",
  flags: ["passive", "safe"],
  config: NoConfig,
  source: {
    id: "chaos",
    name: "ProjectDiscovery Chaos",
    baseUrl: "https://dns.projectdiscovery.io",
    // Chaos allows 60 requests a minute per address.
    rateLimit: { requests: 60, perSeconds: 60, burst: 5 },
    requiresKey: true,
    proxy: true
  },
  auth: Auth.header("Authorization"),
  format: Formats.json,
  request: (domain) => ({ path: `/dns/${domain}/subdomains` }),
  rows: (body) => {
    const labels = Rows.at(body, "subdomains")
    return Array.isArray(labels) ? labels : undefined
  },
  row: Schema.String,
  names: (label, domain) => [labelUnder(label, domain)]
})
