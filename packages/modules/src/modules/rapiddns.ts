/**
 * rapiddns: names under a domain, their addresses and CNAME targets, scraped from RapidDNS's
 * listing (`GET {base}/subdomain/{domain}?full=1`): an HTML table whose rows read
 * `# | name | A value or CNAME target (trailing dot) | type | date`.
 */
import { Option } from "effect"
import * as Html from "../Html.js"
import { addressFindings } from "../internal/Addresses.js"
import { NoConfig } from "../kinds/PagedApi.js"
import { scraper } from "../kinds/Scraper.js"
import { subdomainFindings } from "../kinds/SubdomainSource.js"
import { finding } from "../Module.js"

export interface Listed {
  readonly name: string
  readonly value: string
  readonly type: string
}

/** A table row's cells; the first column is a `<th>`, so `td`s are name, value, type. */
const read = (row: Html.Element): Listed | undefined => {
  const [name, value, type] = Html.select(row, "td").map((cell) => Html.text(cell))
  if (name === undefined || name === "" || Option.isNone(finding("DOMAIN", name, { confidence: 0 }))) return undefined
  return { name, value: value ?? "", type: (type ?? "").toUpperCase() }
}

const isAddress = (row: Listed) => row.type === "A" || row.type === "AAAA"

export const rapiddns = scraper({
  name: "rapiddns",
  title: "RapidDNS",
  description: "Finds subdomains, their addresses and CNAME targets in RapidDNS's listing",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN", "IP"],
  source: {
    id: "rapiddns",
    name: "RapidDNS",
    baseUrl: "https://rapiddns.io",
    // No published limit; scrapers keep to one page a second.
    rateLimit: { requests: 1, perSeconds: 1, burst: 2 },
    requiresKey: false,
    proxy: true
  },
  request: (target) => ({ path: `/subdomain/${target.value}`, query: { full: 1 } }),
  select: "table tbody tr",
  read,
  skipReason: "a table row without a host name",
  findings: (rows, target) => [
    ...subdomainFindings(
      rows,
      target.value,
      (row) => (isAddress(row) ? [row.name] : [row.name, row.value]),
      (row) => ({ [row.type === "" ? "value" : row.type]: row.value }),
      { confidence: 0.6 }
    ),
    ...addressFindings(rows.filter(isAddress).map((row) => [row.name, row.value] as const), target.value, 0.5)
  ]
})
