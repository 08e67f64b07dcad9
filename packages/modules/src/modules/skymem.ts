/**
 * skymem: the email addresses of a domain that Skymem has seen on the web, scraped from its search
 * page (`GET {base}/srch?q={domain}`) and the domain's listing pages it links to
 * (`/domain/{id}?p={n}`, up to the highest page linked). Each address is a link to its own search
 * (`<a href="/srch?q=alice@example.com">`); a link whose text is not an address is skipped and counted.
 */
import { Option, Schema } from "effect"
import * as Html from "../Html.js"
import { maxPagesField } from "../kinds/PagedApi.js"
import { scraper } from "../kinds/Scraper.js"
import { type Finding, finding } from "../Module.js"
import { inScope } from "../Scope.js"

export const SkymemConfig = Schema.Struct({ max_pages: maxPagesField(5, 20) })

/** The domain's listing id and the highest page a page links to. */
export const listingLinks = (document: Html.Document) => {
  const pages = Html.select(document, "a[href^=\"/domain/\"]").flatMap((link) => {
    const match = /^\/domain\/([a-z0-9]+)\?p=(\d+)/i.exec(Html.attribute(link, "href") ?? "")
    return match ? [{ id: match[1]!, page: Number(match[2]) }] : []
  })
  const id = pages[0]?.id
  return id === undefined ? undefined : { id, last: Math.max(...pages.filter((p) => p.id === id).map((p) => p.page)) }
}

const emailOf = (link: Html.Element): string | undefined =>
  Option.getOrUndefined(Option.map(finding("EMAIL", Html.text(link).trim(), { confidence: 0 }), (f) => f.value))

export const emailFindings = (emails: ReadonlyArray<string>, domain: string): ReadonlyArray<Finding> =>
  Array.from(new Set(emails))
    .filter((email) => inScope(email.slice(email.lastIndexOf("@") + 1), domain))
    .sort()
    .map((value): Finding => ({ type: "EMAIL", value, confidence: 0.6, source_data: {}, metadata: { domain } }))

export const skymem = scraper({
  name: "skymem",
  title: "Skymem",
  description: "Finds email addresses of a domain seen on the web, scraped from Skymem",
  flags: ["passive", "safe"],
  config: SkymemConfig,
  source: {
    id: "skymem",
    name: "Skymem",
    baseUrl: "https://www.skymem.info",
    // A small free site with no stated limit: one page every few seconds.
    rateLimit: { requests: 1, perSeconds: 3, burst: 2 },
    requiresKey: false,
    proxy: true
  },
  input_types: ["DOMAIN"],
  output_types: ["EMAIL"],
  request: (target) => ({ path: "/srch", query: { q: target.value } }),
  select: "a[href*=\"@\"]",
  read: emailOf,
  skipReason: "a link's text is not an email address",
  paging: {
    // The search page is page 0; the listing's pages follow while it links further.
    next: (page) => {
      const links = listingLinks(page.body)
      return links === undefined || page.index + 1 > links.last
        ? Option.none()
        : Option.some({ _tag: "Url", url: `/domain/${links.id}?p=${page.index + 1}` })
    }
  },
  maxPages: (config) => config.max_pages,
  findings: (emails, target) => emailFindings(emails, target.value)
})
