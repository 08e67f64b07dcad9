/**
 * shodan_dns: names under a domain from Shodan's DNS data (`GET {base}/dns/domain/{domain}?key=…&page=n`),
 * paged while the answer says `more`; each page past the first costs a query credit, hence `max_pages`.
 * The answer lists labels (`""` for the domain itself); 404 is a domain Shodan knows nothing of.
 */
import { Schema } from "effect"
import { maxPagesField } from "../kinds/PagedApi.js"
import * as Paging from "../kinds/Paging.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { labelUnder, subdomainSource } from "../kinds/SubdomainSource.js"
import { shodanSource } from "./shodan_host.js"

export const ShodanDnsConfig = Schema.Struct({
  /** Pages fetched at most per domain (the second and later cost a query credit each). */
  max_pages: maxPagesField(5, 20)
})

export const shodanDns = subdomainSource({
  name: "shodan_dns",
  description: "Finds subdomains in Shodan's DNS data",
  flags: ["passive", "safe"],
  config: ShodanDnsConfig,
  source: shodanSource,
  auth: Auth.query("key"),
  format: Formats.json,
  request: (domain) => ({ path: `/dns/domain/${domain}`, query: { page: 1 } }),
  empty: [404],
  rows: (body) => {
    const labels = Rows.at(body, "subdomains")
    return Array.isArray(labels) ? labels : undefined
  },
  row: Schema.String,
  paging: Paging.pageNumberWhile("page", (page) => Rows.at(page.body, "more") === true),
  maxPages: (config) => config.max_pages,
  names: (label, domain) => [labelUnder(label, domain)]
})
