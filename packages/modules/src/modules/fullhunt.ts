/**
 * fullhunt: names under a domain from FullHunt's attack-surface database
 * (`GET {base}/api/v1/domain/{domain}/subdomains`, key in `X-API-KEY`): full host names in `hosts`,
 * as many as the plan's `max_results_for_user` allows, without paging.
 */
import { Schema } from "effect"
import { NoConfig } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { subdomainSource } from "../kinds/SubdomainSource.js"

export const fullhunt = subdomainSource({
  name: "fullhunt",
  description: "Finds subdomains in FullHunt's attack-surface database",
  flags: ["passive", "safe"],
  config: NoConfig,
  source: {
    id: "fullhunt",
    name: "FullHunt",
    baseUrl: "https://fullhunt.io",
    // Each request spends a credit of a monthly allowance (100 on the free plan): no bursts.
    rateLimit: { requests: 1, perSeconds: 2 },
    requiresKey: true,
    proxy: true
  },
  auth: Auth.header("X-API-KEY"),
  format: Formats.json,
  request: (domain) => ({ path: `/api/v1/domain/${domain}/subdomains` }),
  rows: (body) => {
    const hosts = Rows.at(body, "hosts")
    return Array.isArray(hosts) ? hosts : undefined
  },
  row: Schema.String,
  names: (host) => [host]
})
