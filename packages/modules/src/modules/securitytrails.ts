/**
 * securitytrails: names under a domain from SecurityTrails (`GET {base}/v1/domain/{domain}/subdomains`,
 * key in the `APIKEY` header). The answer lists labels (`www`, `dev.api`) under the domain, inactive
 * ones included on request; a plan's cap shows as `meta.limit_reached`, with no paging past it.
 */
import { Schema } from "effect"
import { NoConfig } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { labelUnder, subdomainSource } from "../kinds/SubdomainSource.js"

export const securitytrails = subdomainSource({
  name: "securitytrails",
  description: "Finds subdomains in SecurityTrails' DNS history",
  flags: ["passive", "safe"],
  config: NoConfig,
  source: {
    id: "securitytrails",
    name: "SecurityTrails",
    baseUrl: "https://api.securitytrails.com",
    // Keys are held to about one request a second; the plan's monthly quota is the real bound.
    rateLimit: { requests: 1, perSeconds: 1 },
    requiresKey: true,
    proxy: true
  },
  auth: Auth.header("APIKEY"),
  format: Formats.json,
  request: (domain) => ({
    path: `/v1/domain/${domain}/subdomains`,
    query: { children_only: "false", include_inactive: "true" }
  }),
  rows: (body) => {
    const labels = Rows.at(body, "subdomains")
    return Array.isArray(labels) ? labels : undefined
  },
  row: Schema.String,
  names: (label, domain) => [labelUnder(label, domain)]
})
