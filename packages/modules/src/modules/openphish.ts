/**
 * openphish: the phishing URLs OpenPhish's community feed lists on a domain or its subdomains
 * (`GET {base}/feed.txt`, keyless: one URL a line, the active phishing URLs of the last hours; read
 * once per node for the source's cache TTL and shared by its tasks). Each listed URL whose host is
 * the domain or under it is a finding, marked phishing.
 */
import { Schema } from "effect"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Formats } from "../kinds/Request.js"
import { type Finding, finding } from "../Module.js"
import { inScope } from "../Scope.js"

const FeedUrl = Schema.String.pipe(Schema.pattern(/^https?:\/\/\S+$/i))

const hostOf = (url: string) => (URL.canParse(url) ? new URL(url).hostname.toLowerCase().replace(/\.$/, "") : "")

export const phishFindings = (urls: ReadonlyArray<string>, domain: string): ReadonlyArray<Finding> =>
  Array.from(new Set(urls)).flatMap((url) => {
    const host = hostOf(url)
    if (!inScope(host, domain)) return []
    const found = finding("URL", url, {
      confidence: 0.85,
      metadata: { domain, host, phishing: true, malicious: true, feed: "OpenPhish community" }
    })
    return found._tag === "Some" ? [found.value] : []
  })

export const openphish = pagedApi({
  name: "openphish",
  title: "OpenPhish",
  description: "Finds the phishing URLs OpenPhish's community feed lists on a domain and its subdomains",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["DOMAIN"],
  output_types: ["URL"],
  source: {
    id: "openphish",
    name: "OpenPhish community feed",
    baseUrl: "https://openphish.com",
    // The feed changes every few hours: asked rarely, then answered from the cache.
    rateLimit: { requests: 1, perSeconds: 10, burst: 2 },
    requiresKey: false,
    proxy: true
  },
  wholeList: true,
  format: Formats.lines,
  request: () => ({ path: "/feed.txt" }),
  rows: (lines) => lines,
  row: FeedUrl,
  findings: (urls, target) => phishFindings(urls, target.value)
})
