/**
 * virustotal_subdomains: the names VirusTotal lists under a domain, from the API v3 relationship
 * descriptors (`GET {base}/api/v3/domains/{domain}/relationships/subdomains?limit=40`, key in
 * `x-apikey`): ids only, so a page is small, following `links.next` (kept on VirusTotal's origin, the
 * key with it). virustotal_domain reads the full objects, DNS records included, for the same quota.
 */
import { Schema } from "effect"
import { maxPagesField } from "../kinds/PagedApi.js"
import * as Paging from "../kinds/Paging.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { subdomainSource } from "../kinds/SubdomainSource.js"
import { virustotalSource } from "./virustotal_domain.js"

export const VirustotalSubdomainsConfig = Schema.Struct({
  /** Pages of 40 names fetched at most per domain (each counts against the quota). */
  max_pages: maxPagesField(5, 50)
})

export const Descriptor = Schema.Struct({ type: Schema.Literal("domain"), id: Schema.String })

export const virustotalSubdomains = subdomainSource({
  name: "virustotal_subdomains",
  title: "VirusTotal subdomains",
  description: "Lists the subdomains VirusTotal has seen under a domain",
  flags: ["passive", "safe"],
  config: VirustotalSubdomainsConfig,
  source: virustotalSource,
  auth: Auth.header("x-apikey"),
  format: Formats.json,
  request: (domain) => ({ path: `/api/v3/domains/${domain}/relationships/subdomains`, query: { limit: 40 } }),
  // VirusTotal has never seen the domain.
  empty: [404],
  rows: (body) => {
    const data = Rows.at(body, "data")
    return Array.isArray(data) ? data : undefined
  },
  row: Descriptor,
  paging: Paging.nextLink((body) => Rows.at(body, "links.next")),
  maxPages: (config) => config.max_pages,
  names: (descriptor) => [descriptor.id],
  confidence: 0.75
})
