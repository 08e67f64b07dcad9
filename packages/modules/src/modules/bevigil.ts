/**
 * bevigil: names under a domain that CloudSEK's BeVigil found in mobile apps
 * (`GET {base}/api/{domain}/subdomains/`, key in `X-Access-Token`); `subdomains` may be null.
 */
import { Predicate, Schema } from "effect"
import { NoConfig } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { subdomainSource } from "../kinds/SubdomainSource.js"

export const bevigil = subdomainSource({
  name: "bevigil",
  title: "BeVigil OSINT",
  description: "Finds subdomains that BeVigil found referenced in mobile applications",
  flags: ["passive", "safe"],
  config: NoConfig,
  source: {
    id: "bevigil",
    name: "BeVigil OSINT API",
    baseUrl: "https://osint.bevigil.com",
    // The free plan is a small monthly allowance: a request every few seconds at most.
    rateLimit: { requests: 1, perSeconds: 3 },
    requiresKey: true,
    proxy: true
  },
  auth: Auth.header("X-Access-Token"),
  format: Formats.json,
  request: (domain) => ({ path: `/api/${domain}/subdomains/` }),
  rows: (body) => {
    const found = Rows.at(body, "subdomains")
    return Array.isArray(found) ? found : found === null && Predicate.isRecord(body) ? [] : undefined
  },
  row: Schema.String,
  names: (name) => [name]
})
