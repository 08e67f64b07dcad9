/**
 * otx_url_list: URLs AlienVault OTX has seen under a domain
 * (`GET {base}/api/v1/indicators/domain/{domain}/url_list?limit=…&page=…`, pages from 1 while
 * `has_next`), with their host names and the addresses they were fetched from. Keyless calls
 * work at a low rate; a key (`X-OTX-API-KEY`) raises it. Shares OTX's rate limit with otx_passive_dns.
 */
import { Option, Schema } from "effect"
import { addressFindings } from "../internal/Addresses.js"
import { maxPagesField, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { subdomainFindings } from "../kinds/SubdomainSource.js"
import { type Finding, finding } from "../Module.js"
import { inScope } from "../Scope.js"
import { otxPassiveDns } from "./otx_passive_dns.js"

export const ListedUrl = Schema.Struct({
  url: Schema.String,
  hostname: Schema.optionalWith(Schema.String, { exact: true }),
  date: Schema.optionalWith(Schema.String, { exact: true }),
  httpcode: Schema.optionalWith(Schema.Number, { exact: true }),
  /** `null` when OTX did not fetch it. */
  result: Schema.optionalWith(
    Schema.NullOr(Schema.Struct({
      urlworker: Schema.optionalWith(Schema.Struct({ ip: Schema.optionalWith(Schema.String, { exact: true }) }), {
        exact: true
      })
    })),
    { exact: true }
  )
})
export type ListedUrl = typeof ListedUrl.Type

export const OtxUrlConfig = Schema.Struct({
  max_pages: maxPagesField(10, 50),
  /** URLs asked for a page (OTX's `limit`). */
  page_size: Schema.optionalWith(Schema.Int.pipe(Schema.between(10, 500)), { default: () => 50, exact: true })
})

const hostOf = (row: ListedUrl) => row.hostname ?? (URL.canParse(row.url) ? new URL(row.url).hostname : "")
const ipOf = (row: ListedUrl) => row.result?.urlworker?.ip

export const extractFindings = (rows: ReadonlyArray<ListedUrl>, domain: string): ReadonlyArray<Finding> => {
  const urls = new Map<string, Finding>()
  for (const row of rows) {
    const url = finding("URL", row.url, {
      confidence: 0.6,
      metadata: {
        ...(row.date === undefined ? {} : { seen: row.date }),
        ...(row.httpcode ? { status: row.httpcode } : {})
      }
    })
    if (Option.isSome(url) && inScope(new URL(url.value.value).hostname, domain)) urls.set(url.value.value, url.value)
  }
  return [
    ...subdomainFindings(rows, domain, (row) => [hostOf(row)], () => undefined, { confidence: 0.6 }),
    ...addressFindings(rows.flatMap((row) => [[hostOf(row), ipOf(row) ?? ""] as const]), domain, 0.5),
    ...Array.from(urls.values()).sort((a, b) => a.value.localeCompare(b.value))
  ]
}

export const otxUrlList = pagedApi({
  name: "otx_url_list",
  title: "AlienVault OTX URL list",
  description: "Finds URLs, subdomains and their addresses in AlienVault OTX's URL list for a domain",
  flags: ["passive", "safe"],
  config: OtxUrlConfig,
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN", "IP", "URL"],
  source: otxPassiveDns.source,
  auth: Auth.header("X-OTX-API-KEY"),
  format: Formats.json,
  request: (target, config) => ({
    path: `/api/v1/indicators/domain/${target.value}/url_list`,
    query: { limit: config.page_size, page: 1 }
  }),
  rows: (body) => {
    const list = Rows.at(body, "url_list")
    return Array.isArray(list) ? list : undefined
  },
  row: ListedUrl,
  paging: {
    next: (page) =>
      Rows.at(page.body, "has_next") === true && page.size > 0
        ? Option.some({ _tag: "Query", query: { page: page.index + 2 } })
        : Option.none()
  },
  maxPages: (config) => config.max_pages,
  findings: (rows, target) => extractFindings(rows, target.value)
})
