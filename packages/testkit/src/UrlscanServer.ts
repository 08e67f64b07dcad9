/**
 * An HTTP server that answers like urlscan.io's Search API (`/api/v1/search/?q=domain:…&size=…`,
 * optional `API-Key` header) from a table of scans, with its 401 for a bad key and its 429
 * carrying `X-Rate-Limit-Reset-After` and `Retry-After`.
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

/** A public scan: what was submitted (`url`) and where the browser ended up (`page`). */
export interface Scan {
  readonly uuid: string
  readonly time: string
  readonly url: string
  readonly page: {
    readonly url: string
    readonly ip: string
    readonly asn: string
    readonly asnname: string
    readonly server: string
    readonly title: string
    readonly status: string
  }
}

export interface UrlscanOptions {
  readonly key: string
  /** Searches allowed in the current window, and the seconds until it resets (as urlscan.io reports them). */
  readonly searchQuota?: { readonly limit: number; readonly resetAfterSeconds: number }
}

const rateLimited = { message: "Rate limit for 'search' exceeded, limit is 120 per minute.", status: 429 }

/** urlscan.io's 429 body; its headers say when the window resets. */
export const rateLimitedBody = JSON.stringify(rateLimited)

const hostOf = (url: string) => (URL.canParse(url) ? new URL(url).hostname.toLowerCase() : "")

const apex = (host: string) => host.split(".").slice(-2).join(".")

const under = (host: string, domain: string) => host === domain || host.endsWith(`.${domain}`)

/** Starts the server on 127.0.0.1 with an ephemeral port; closing the Scope stops it. */
export const make = (
  scans: ReadonlyArray<Scan>,
  options: UrlscanOptions
): Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope> => {
  let searches = 0
  return HttpFixture.make("https://urlscan.io", (request) => {
    if (request.url.pathname !== "/api/v1/search/") {
      return HttpFixture.json({ message: "Not Found", status: 404 }, 404)
    }
    const key = request.headers["api-key"]
    if (key !== undefined && key !== options.key) {
      return HttpFixture.json({ message: "API key supplied but not found in database!", status: 401 }, 401)
    }
    searches++
    const quota = options.searchQuota
    if (quota !== undefined && searches > quota.limit) {
      // urlscan.io's own headers say when the window resets; it sends no Retry-After.
      return HttpFixture.json(rateLimited, 429, {
        "x-rate-limit-scope": "ip-address",
        "x-rate-limit-action": "search",
        "x-rate-limit-window": "minute",
        "x-rate-limit-limit": String(quota.limit),
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset-after": String(quota.resetAfterSeconds)
      })
    }
    const q = request.url.searchParams.get("q") ?? ""
    const match = /^domain:([a-z0-9.-]+)$/i.exec(q.trim())
    if (match === null) {
      return HttpFixture.json({ message: "Invalid query", description: `Cannot parse query: ${q}`, status: 400 }, 400)
    }
    const domain = (match[1] ?? "").toLowerCase()
    const size = Math.min(Number(request.url.searchParams.get("size") ?? "100"), 10_000)
    const matching = scans.filter((scan) => under(hostOf(scan.url), domain) || under(hostOf(scan.page.url), domain))
    const results = matching.slice(0, size).map((scan) => {
      const taskDomain = hostOf(scan.url)
      const pageDomain = hostOf(scan.page.url)
      const epoch = Date.parse(scan.time)
      return {
        task: {
          visibility: "public",
          method: "api",
          domain: taskDomain,
          apexDomain: apex(taskDomain),
          time: scan.time,
          uuid: scan.uuid,
          url: scan.url
        },
        stats: { uniqIPs: 3, uniqCountries: 1, dataLength: 48213, encodedDataLength: 20114, requests: 12 },
        page: {
          country: "GB",
          server: scan.page.server,
          ip: scan.page.ip,
          mimeType: "text/html",
          title: scan.page.title,
          url: scan.page.url,
          domain: pageDomain,
          apexDomain: apex(pageDomain),
          asnname: scan.page.asnname,
          asn: scan.page.asn,
          status: scan.page.status
        },
        _id: scan.uuid,
        _score: null,
        sort: [epoch, scan.uuid],
        result: `https://urlscan.io/api/v1/result/${scan.uuid}/`,
        screenshot: `https://urlscan.io/screenshots/${scan.uuid}.png`
      }
    })
    return HttpFixture.json({ results, total: matching.length, took: 12, has_more: matching.length > size })
  })
}
