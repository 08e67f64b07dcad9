/**
 * The sandbox's keyed subdomain sources, each an HTTP server answering in its real API's shape from
 * the same sightings as the keyless ones, and only to the key it is given: BinaryEdge and PassiveTotal.
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"
import type { Sighting } from "./PassiveSources.js"

type Server = Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope>

const under = (host: string, domain: string) => host === domain || host.endsWith(`.${domain}`)
const hostsUnder = (sightings: ReadonlyArray<Sighting>, domain: string) =>
  Array.from(new Set(sightings.filter((sighting) => under(sighting.host, domain)).map((sighting) => sighting.host)))
const basic = (credentials: string) => `Basic ${Buffer.from(credentials, "utf8").toString("base64")}`

/**
 * `GET /v2/query/domains/subdomain/{domain}?page=n` with `X-Key`: `{query, page, pagesize, total, events}`,
 * `pageSize` names a page (the real 100); 401 without the key.
 */
export const binaryedge = (
  sightings: ReadonlyArray<Sighting>,
  options: { readonly key: string; readonly pageSize?: number }
): Server =>
  HttpFixture.make("https://api.binaryedge.io", (request) => {
    if (request.headers["x-key"] !== options.key) return HttpFixture.json({ message: "Unauthorized", status: 401 }, 401)
    const match = /^\/v2\/query\/domains\/subdomain\/([^/]+)$/.exec(request.url.pathname)
    if (match === null) return HttpFixture.json({ message: "Not Found", status: 404 }, 404)
    const domain = decodeURIComponent(match[1]!).toLowerCase()
    const size = options.pageSize ?? 100
    const page = Number(request.url.searchParams.get("page") ?? "1")
    const hosts = hostsUnder(sightings, domain)
    return HttpFixture.json({
      query: domain,
      page,
      pagesize: size,
      total: hosts.length,
      events: hosts.slice((page - 1) * size, page * size)
    })
  })

/**
 * `GET /v2/enrichment/subdomains?query={domain}` with HTTP Basic `username:api_key`: the labels under the
 * domain, `{queryValue, primaryDomain, success, subdomains}`; 401 `{"error": …}` without the credentials.
 */
export const passivetotal = (sightings: ReadonlyArray<Sighting>, options: { readonly key: string }): Server =>
  HttpFixture.make("https://api.passivetotal.org", (request) => {
    if (request.headers.authorization !== basic(options.key)) {
      return HttpFixture.json({ error: { http_code: 401, message: "Authentication failed" } }, 401)
    }
    if (request.url.pathname !== "/v2/enrichment/subdomains") return HttpFixture.notFound()
    const domain = (request.url.searchParams.get("query") ?? "").toLowerCase()
    const labels = hostsUnder(sightings, domain).filter((host) => host !== domain).map((host) =>
      host.slice(0, -domain.length - 1)
    )
    return HttpFixture.json({ queryValue: domain, primaryDomain: domain, success: true, subdomains: labels })
  })
