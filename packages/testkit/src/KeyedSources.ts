/**
 * The sandbox's keyed subdomain sources, each an HTTP server answering in its real API's shape from
 * the same sightings as the keyless ones (Censys from CT issuances), and only to the key it is given,
 * where the real one puts it: SecurityTrails, Chaos, C99, FullHunt, ZoomEye, Netlas, BeVigil, Censys,
 * BuiltWith, WhoisXML, LeakIX (whose key is optional), BinaryEdge and PassiveTotal.
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"
import type { Sighting } from "./PassiveSources.js"
import * as ScannerHosts from "./ScannerHosts.js"
import type { Host } from "./ShodanServer.js"

type Server = Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope>

const under = (host: string, domain: string) => host === domain || host.endsWith(`.${domain}`)
const hostsUnder = (sightings: ReadonlyArray<Sighting>, domain: string) =>
  Array.from(new Set(sightings.filter((sighting) => under(sighting.host, domain)).map((sighting) => sighting.host)))
const sightingsUnder = (sightings: ReadonlyArray<Sighting>, domain: string) =>
  sightings.filter((sighting) => under(sighting.host, domain))
/** The labels of the names strictly under the domain (`www`, `dev.api`). */
const labelsUnder = (sightings: ReadonlyArray<Sighting>, domain: string) =>
  hostsUnder(sightings, domain).filter((host) => host !== domain).map((host) => host.slice(0, -domain.length - 1))
const basic = (credentials: string) => `Basic ${Buffer.from(credentials, "utf8").toString("base64")}`
const segment = (path: string, pattern: RegExp) => decodeURIComponent(pattern.exec(path)?.[1] ?? "").toLowerCase()

/** Seconds since the epoch of the sightings' first and last observation. */
const firstSeen = 1_556_668_800
const lastSeen = 1_748_563_200

/** `GET /v1/domain/{domain}/subdomains` with `APIKEY`: the labels under the domain; 403 without the key. */
export const securitytrails = (sightings: ReadonlyArray<Sighting>, options: { readonly key: string }): Server =>
  HttpFixture.make("https://api.securitytrails.com", (request) => {
    if (request.headers["apikey"] !== options.key) {
      return HttpFixture.json({ message: "Invalid authentication credentials" }, 403)
    }
    const domain = segment(request.url.pathname, /^\/v1\/domain\/([^/]+)\/subdomains$/)
    if (domain === "") return HttpFixture.json({ message: "Not found" }, 404)
    const labels = labelsUnder(sightings, domain)
    return HttpFixture.json({
      endpoint: `/v1/domain/${domain}/subdomains`,
      meta: { limit_reached: false },
      subdomain_count: labels.length,
      subdomains: labels
    })
  })

/** `GET /dns/{domain}/subdomains` with the raw key in `Authorization`: `{domain, subdomains: [labels], count}`. */
export const chaos = (sightings: ReadonlyArray<Sighting>, options: { readonly key: string }): Server =>
  HttpFixture.make("https://dns.projectdiscovery.io", (request) => {
    if (request.headers.authorization !== options.key) return HttpFixture.json({ error: "unauthorized" }, 401)
    const domain = segment(request.url.pathname, /^\/dns\/([^/]+)\/subdomains$/)
    if (domain === "") return HttpFixture.notFound()
    const labels = labelsUnder(sightings, domain)
    return HttpFixture.json({ domain, subdomains: labels, count: labels.length })
  })

/** `GET /subdomainfinder?key=&domain=&json`: `{success, subdomains: [{subdomain, ip, cloudflare}]}`; a bad key in a 200. */
export const c99 = (sightings: ReadonlyArray<Sighting>, options: { readonly key: string }): Server =>
  HttpFixture.make("https://api.c99.nl", (request) => {
    if (request.url.pathname !== "/subdomainfinder") return HttpFixture.notFound()
    if (request.url.searchParams.get("key") !== options.key) {
      return HttpFixture.json({ success: false, error: "Invalid API key." })
    }
    const domain = (request.url.searchParams.get("domain") ?? "").toLowerCase()
    return HttpFixture.json({
      success: true,
      subdomains: sightingsUnder(sightings, domain).map((sighting) => ({
        subdomain: sighting.host,
        ip: sighting.ip,
        cloudflare: false
      }))
    })
  })

/** `GET /api/v1/domain/{domain}/subdomains` with `X-API-KEY`: `{domain, hosts, message, metadata, status}`. */
export const fullhunt = (sightings: ReadonlyArray<Sighting>, options: { readonly key: string }): Server =>
  HttpFixture.make("https://fullhunt.io", (request) => {
    if (request.headers["x-api-key"] !== options.key) {
      return HttpFixture.json({ message: "Unauthorized access", status: 401 }, 401)
    }
    const domain = segment(request.url.pathname, /^\/api\/v1\/domain\/([^/]+)\/subdomains$/)
    if (domain === "") return HttpFixture.notFound()
    const hosts = hostsUnder(sightings, domain)
    return HttpFixture.json({
      domain,
      hosts,
      message: "",
      metadata: { all_results_count: hosts.length, available_results_for_user: hosts.length, domain },
      status: 200
    })
  })

/**
 * ZoomEye's asset search v2 (`POST /v2/search` with `API-KEY`): `domain="…"` searches answer the web assets of the
 * domain and its subdomains (`{domain, ip, update_time}`), `ip="…"` ones an address's services (ScannerHosts).
 */
export const zoomeye = (
  sightings: ReadonlyArray<Sighting>,
  options: { readonly key: string; readonly hosts?: ReadonlyArray<Host> }
): Server =>
  HttpFixture.make("https://api.zoomeye.ai", (request) => {
    if (request.headers["api-key"] !== options.key) {
      return HttpFixture.json({ code: 60003, message: "Invalid API key" }, 401)
    }
    if (request.url.pathname !== "/v2/search") return HttpFixture.notFound()
    const search = ScannerHosts.zoomeyeSearchOf(request)
    if (search === undefined) return HttpFixture.json({ code: 60002, message: "invalid request" }, 400)
    const host = ScannerHosts.zoomeyeHost(search, options.hosts ?? [])
    if (host !== undefined) return host
    const domain = /^domain="([^"]+)"$/.exec(search.query)?.[1]?.toLowerCase()
    const found = domain === undefined ? [] : sightingsUnder(sightings, domain)
    return ScannerHosts.zoomeyeAnswer(
      search,
      found.map((sighting) => ({ domain: sighting.host, ip: sighting.ip, update_time: "2025-05-01T00:00:00" }))
    )
  })

/** `GET /api/domains/?q=domain:*.{d} AND NOT domain:{d}&start=n` with `X-API-Key`: twenty `items` a page. */
export const netlas = (sightings: ReadonlyArray<Sighting>, options: { readonly key: string }): Server =>
  HttpFixture.make("https://app.netlas.io", (request) => {
    if (request.headers["x-api-key"] !== options.key) return HttpFixture.json({ detail: "Invalid API key." }, 401)
    if (request.url.pathname !== "/api/domains/") return HttpFixture.notFound()
    const query = /^domain:\*\.(\S+) AND NOT domain:(\S+)$/.exec(request.url.searchParams.get("q") ?? "")
    const domain = (query?.[1] ?? "").toLowerCase()
    const start = Number(request.url.searchParams.get("start") ?? "0")
    const items = sightingsUnder(sightings, domain)
      .filter((sighting) => sighting.host !== domain)
      .slice(start, start + 20)
      .map((sighting) => ({
        data: {
          domain: sighting.host,
          level: sighting.host.split(".").length,
          zone: domain.split(".").pop(),
          a: [sighting.ip],
          last_updated: "2025-05-01T00:00:00.000Z"
        }
      }))
    return HttpFixture.json({ items, took: 3 })
  })

/** `GET /api/{domain}/subdomains/` with `X-Access-Token`: `{domain, subdomains}`. */
export const bevigil = (sightings: ReadonlyArray<Sighting>, options: { readonly key: string }): Server =>
  HttpFixture.make("https://osint.bevigil.com", (request) => {
    if (request.headers["x-access-token"] !== options.key) {
      return HttpFixture.json({ message: "Invalid API key" }, 401)
    }
    const domain = segment(request.url.pathname, /^\/api\/([^/]+)\/subdomains\/$/)
    if (domain === "") return HttpFixture.notFound()
    const hosts = hostsUnder(sightings, domain).filter((host) => host !== domain)
    return HttpFixture.json({ domain, subdomains: hosts.length === 0 ? null : hosts })
  })

/** A certificate as Censys indexes it: its fingerprint and names. */
export interface IndexedCertificate {
  readonly fingerprint: string
  readonly names: ReadonlyArray<string>
}

/**
 * `GET /api/v2/certificates/search?q=names: {domain}&per_page=` with HTTP Basic `API_ID:API_SECRET`: hits of
 * certificates naming a host under the domain, `per_page` a page, paged by `cursor` (`result.links.next`).
 */
export const censys = (
  certificates: ReadonlyArray<IndexedCertificate>,
  options: { readonly key: string; readonly hosts?: ReadonlyArray<Host> }
): Server =>
  HttpFixture.make("https://search.censys.io", (request) => {
    if (request.headers.authorization !== basic(options.key)) {
      return HttpFixture.json({ code: 401, status: "Unauthorized", error: "Unauthorized" }, 401)
    }
    const host = ScannerHosts.censysHost(request, options.hosts ?? [])
    if (host !== undefined) return host
    if (request.url.pathname !== "/api/v2/certificates/search") return HttpFixture.notFound()
    const params = request.url.searchParams
    const query = params.get("q") ?? ""
    const domain = query.replace(/^names:\s*/, "").toLowerCase()
    const perPage = Number(params.get("per_page") ?? "50")
    const offset = Number(params.get("cursor") ?? "0")
    const hits = certificates.filter((certificate) =>
      certificate.names.some((name) => under(name.toLowerCase().replace(/^\*\./, ""), domain))
    )
    const next = offset + perPage < hits.length ? String(offset + perPage) : ""
    return HttpFixture.json({
      code: 200,
      status: "OK",
      result: {
        query,
        total: hits.length,
        hits: hits.slice(offset, offset + perPage).map((hit) => ({
          names: hit.names,
          fingerprint_sha256: hit.fingerprint
        })),
        links: { next, prev: "" }
      }
    })
  })

/** `GET /v21/api.json?KEY=&LOOKUP=…`: the domain's paths (`SubDomain` under `Domain`); a bad key in `Errors`. */
export const builtwith = (sightings: ReadonlyArray<Sighting>, options: { readonly key: string }): Server =>
  HttpFixture.make("https://api.builtwith.com", (request) => {
    if (request.url.pathname !== "/v21/api.json") return HttpFixture.notFound()
    if (request.url.searchParams.get("KEY") !== options.key) {
      return HttpFixture.json({ Errors: [{ Lookup: null, Message: "Invalid API key" }], Results: [] })
    }
    const domain = (request.url.searchParams.get("LOOKUP") ?? "").toLowerCase()
    const paths = hostsUnder(sightings, domain).map((host) => ({
      Domain: domain,
      Url: "",
      SubDomain: host === domain ? "" : host.slice(0, -domain.length - 1),
      FirstIndexed: firstSeen * 1000,
      LastIndexed: lastSeen * 1000
    }))
    return HttpFixture.json({
      Results: paths.length === 0 ? [] : [{ Result: { Paths: paths }, Lookup: domain }],
      Errors: []
    })
  })

/** `GET /api/v1?apiKey=&domainName=&outputFormat=JSON`: `{search, result: {count, records}}`; 403 for a bad key. */
export const whoisxml = (sightings: ReadonlyArray<Sighting>, options: { readonly key: string }): Server =>
  HttpFixture.make("https://subdomains.whoisxmlapi.com", (request) => {
    if (request.url.pathname !== "/api/v1") return HttpFixture.notFound()
    if (request.url.searchParams.get("apiKey") !== options.key) {
      return HttpFixture.json({
        code: 403,
        messages: "Access restricted. Check credits balance or enter the correct API key."
      }, 403)
    }
    const domain = (request.url.searchParams.get("domainName") ?? "").toLowerCase()
    const records = hostsUnder(sightings, domain).filter((host) => host !== domain).map((host) => ({
      domain: host,
      firstSeen,
      lastSeen
    }))
    return HttpFixture.json({ search: domain, result: { count: records.length, records } })
  })

/** `GET /api/subdomains/{domain}` (JSON when asked), `api-key` optional but checked when sent; 204 when none. */
export const leakix = (sightings: ReadonlyArray<Sighting>, options: { readonly key: string }): Server =>
  HttpFixture.make("https://leakix.net", (request) => {
    const key = request.headers["api-key"]
    if (key !== undefined && key !== options.key) return HttpFixture.json({ Error: "Invalid API key" }, 401)
    const domain = segment(request.url.pathname, /^\/api\/subdomains\/([^/]+)$/)
    if (domain === "") return HttpFixture.notFound()
    const found = sightingsUnder(sightings, domain).filter((sighting) => sighting.host !== domain)
    if (found.length === 0) return { status: 204 }
    return HttpFixture.json(found.map((sighting) => ({
      subdomain: sighting.host,
      distinct_ips: 1,
      last_seen: "2025-05-01T09:38:30.02Z"
    })))
  })

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
    const domain = segment(request.url.pathname, /^\/v2\/query\/domains\/subdomain\/([^/]+)$/)
    if (domain === "") return HttpFixture.json({ message: "Not Found", status: 404 }, 404)
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
    return HttpFixture.json({
      queryValue: domain,
      primaryDomain: domain,
      success: true,
      subdomains: labelsUnder(sightings, domain)
    })
  })

/** A malware-distribution URL URLhaus saw on a host. */
export interface MalwareUrl {
  readonly host: string
  readonly url: string
  readonly status: "online" | "offline"
  readonly threat: string
  readonly tags: ReadonlyArray<string>
}

/**
 * URLhaus: `POST /v1/host/` with the form `host=` and the key in `Auth-Key`: `{"query_status": "ok",
 * "blacklists", "urls": [...]}` for a host it saw, `no_results` otherwise, `unknown_auth_key` (HTTP 401)
 * for another key; a GET is refused as the real one refuses it.
 */
export const urlhaus = (urls: ReadonlyArray<MalwareUrl>, options: { readonly key: string }): Server =>
  HttpFixture.make("https://urlhaus-api.abuse.ch", (request) => {
    if (request.headers["auth-key"] !== options.key) return HttpFixture.json({ query_status: "unknown_auth_key" }, 401)
    if (request.url.pathname !== "/v1/host/") return HttpFixture.notFound()
    if (request.method !== "POST") return HttpFixture.json({ query_status: "http_post_expected" })
    const host = (new URLSearchParams(request.body).get("host") ?? "").toLowerCase()
    const found = urls.filter((entry) => entry.host === host)
    if (host === "") return HttpFixture.json({ query_status: "invalid_host" })
    if (found.length === 0) return HttpFixture.json({ query_status: "no_results" })
    return HttpFixture.json({
      query_status: "ok",
      urlhaus_reference: `https://urlhaus.abuse.ch/host/${host}/`,
      host,
      firstseen: "2025-02-01 08:00:00 UTC",
      url_count: String(found.length),
      blacklists: { spamhaus_dbl: "not listed", surbl: "not listed" },
      urls: found.map((entry, i) => ({
        id: String(3_100_000 + i),
        urlhaus_reference: `https://urlhaus.abuse.ch/url/${3_100_000 + i}/`,
        url: entry.url,
        url_status: entry.status,
        date_added: "2025-02-01 08:00:00 UTC",
        threat: entry.threat,
        reporter: "sandbox",
        larted: "true",
        takedown_time_seconds: null,
        tags: entry.tags
      }))
    })
  })
