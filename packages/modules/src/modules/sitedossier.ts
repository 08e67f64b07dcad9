/**
 * sitedossier: names under a domain scraped from SiteDossier's parent-domain listing
 * (`GET {base}/parentdomain/{domain}`, then `/parentdomain/{domain}/101`, `/201`… as each page's
 * "Show next 100 items" link says), each site a `<li><a href="/site/{name}">`. Asked too often,
 * SiteDossier answers a captcha (a redirect to it, or its page): RateLimited, so a later page's
 * captcha keeps the earlier pages' names; "No data currently available." is a page without sites.
 */
import { Effect, Either, Option, Schema } from "effect"
import * as Html from "../Html.js"
import type { HttpResponse } from "../HttpClient.js"
import { maxPagesField } from "../kinds/PagedApi.js"
import { scraper } from "../kinds/Scraper.js"
import { subdomainFindings } from "../kinds/SubdomainSource.js"
import { finding, RateLimited } from "../Module.js"

export const SitedossierConfig = Schema.Struct({
  /** Pages of 100 sites read at most per domain; more pages make the captcha likelier. */
  max_pages: maxPagesField(10, 50)
})

/** The words of SiteDossier's captcha page. */
const captchaText = /unusual or excessive requests|confirm that you are a human/i

const captcha = () =>
  new RateLimited({ reason: "sitedossier asks for a captcha (too many requests from this address)" })

/** The host name a `/site/{name}` link names, canonical; undefined when it is not one. */
const siteName = (link: Html.Element): string | undefined => {
  const href = Html.attribute(link, "href") ?? ""
  const name = /^\/site\/([^/?#]+)/.exec(href)?.[1]
  if (name === undefined) return undefined
  const decoded = Either.getOrElse(Either.try(() => decodeURIComponent(name)), () => name)
  return Option.getOrUndefined(Option.map(finding("DOMAIN", decoded, { confidence: 0 }), (f) => f.value))
}

/** The page's "Show next 100 items" link, if it has one. */
export const nextPage = (document: Html.Document): string | undefined => {
  const link = Html.select(document, "a[href^=\"/parentdomain/\"]").find((a) => /next/i.test(Html.text(a)))
  return link === undefined ? undefined : Html.attribute(link, "href")
}

export const sitedossier = scraper({
  name: "sitedossier",
  title: "SiteDossier",
  description: "Finds subdomains in SiteDossier's listing of a parent domain's sites " +
    "(service closed or blocked as of 2026; see SOURCES.md)",
  flags: ["passive", "safe"],
  config: SitedossierConfig,
  source: {
    id: "sitedossier",
    name: "SiteDossier",
    // SiteDossier serves plain HTTP only.
    baseUrl: "http://www.sitedossier.com",
    // No published limit, and a captcha soon after a burst: one page every few seconds.
    rateLimit: { requests: 1, perSeconds: 5 },
    requiresKey: false,
    proxy: true
  },
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN"],
  request: (target) => ({ path: `/parentdomain/${target.value}` }),
  // A domain it does not know is a 404 whose page may still list sites.
  answers: [404],
  failure: (response: HttpResponse) =>
    Effect.succeed(response.status >= 300 && response.status < 400 ? Option.some(captcha()) : Option.none()),
  refusal: (_document, response) => (captchaText.test(response.body) ? Option.some(captcha()) : Option.none()),
  select: "li a[href^=\"/site/\"]",
  read: siteName,
  skipReason: "a /site/ link that names no host",
  paging: {
    next: (page) => {
      const next = nextPage(page.body)
      return next === undefined ? Option.none() : Option.some({ _tag: "Url", url: next })
    }
  },
  maxPages: (config) => config.max_pages,
  findings: (names, target) =>
    subdomainFindings(names, target.value, (name) => [name], () => undefined, { confidence: 0.6 })
})
