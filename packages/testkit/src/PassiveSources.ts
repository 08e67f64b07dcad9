/**
 * The sandbox's keyless passive sources, each an HTTP server answering in its real API's shape
 * from one list of sightings (a host name and the address it had): Anubis-DB, subdomain.center,
 * MySSL, Columbus, RapidDNS, Robtex, BufferOver and Common Crawl's index. Like the real ones, the
 * loosest of them also answer names that merely contain the domain.
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

export interface Sighting {
  readonly host: string
  readonly ip: string
}

type Server = Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope>

const under = (host: string, domain: string) => host === domain || host.endsWith(`.${domain}`)
/** Anubis and BufferOver match by substring: `mirage-sandbox.test.attacker.example` comes back too. */
const mentioning = (sightings: ReadonlyArray<Sighting>, domain: string) =>
  sightings.filter((sighting) => sighting.host.includes(domain))
const beneath = (sightings: ReadonlyArray<Sighting>, domain: string) =>
  sightings.filter((sighting) => under(sighting.host, domain))
const segment = (path: string, pattern: RegExp) => decodeURIComponent(pattern.exec(path)?.[1] ?? "").toLowerCase()

/** `GET /anubis/subdomains/{domain}`: a JSON array of names. */
export const anubisdb = (sightings: ReadonlyArray<Sighting>): Server =>
  HttpFixture.make("https://anubisdb.com", (request) => {
    const domain = segment(request.url.pathname, /^\/anubis\/subdomains\/([^/]+)$/)
    if (domain === "") return HttpFixture.notFound()
    return HttpFixture.json(mentioning(sightings, domain).map((sighting) => sighting.host))
  })

/** `GET /?domain={domain}`: a JSON array of names; `{"error": …}` with 400 without a domain. */
export const subdomainCenter = (sightings: ReadonlyArray<Sighting>): Server =>
  HttpFixture.make("https://api.subdomain.center", (request) => {
    const domain = (request.url.searchParams.get("domain") ?? "").toLowerCase()
    if (request.url.pathname !== "/" || domain === "") return HttpFixture.json({ error: "domain is required" }, 400)
    return HttpFixture.json(beneath(sightings, domain).map((sighting) => sighting.host))
  })

/** `GET /api/v1/discover_sub_domain?domain=`: `{"code": 0, "data": [...]}`, `data` null when nothing is known. */
export const myssl = (sightings: ReadonlyArray<Sighting>): Server =>
  HttpFixture.make("https://myssl.com", (request) => {
    if (request.url.pathname !== "/api/v1/discover_sub_domain") return HttpFixture.notFound()
    const rows = beneath(sightings, (request.url.searchParams.get("domain") ?? "").toLowerCase()).map((sighting) => ({
      ip: sighting.ip,
      port: "443",
      tips: [],
      level: 2,
      title: "",
      domain: sighting.host,
      is_ats: true,
      server: "",
      level_str: "A",
      ip_location: "英国",
      evaluate_date: "2025-05-01T00:00:00Z"
    }))
    return HttpFixture.json({ code: 0, data: rows.length === 0 ? null : rows })
  })

/** `GET /api/lookup/{domain}`: the labels below the domain; 404 `{"error": "not found"}`. */
export const columbus = (sightings: ReadonlyArray<Sighting>): Server =>
  HttpFixture.make("https://columbus.elmasy.com", (request) => {
    const domain = segment(request.url.pathname, /^\/api\/lookup\/([^/]+)$/)
    const labels = beneath(sightings, domain).map((sighting) =>
      sighting.host.slice(0, -domain.length).replace(/\.$/, "")
    )
    return labels.length === 0 ? HttpFixture.json({ error: "not found" }, 404) : HttpFixture.json(labels)
  })

/** `GET /subdomain/{domain}?full=1`: the HTML table of names and their A records. */
export const rapiddns = (sightings: ReadonlyArray<Sighting>): Server =>
  HttpFixture.make("https://rapiddns.io", (request) => {
    const domain = segment(request.url.pathname, /^\/subdomain\/([^/]+)$/)
    const rows = beneath(sightings, domain).map((sighting, i) =>
      `<tr><th scope="row ">${i + 1}</th><td>${sighting.host}</td>
<td><a href="/sameip/${sighting.ip}#result" target="_blank">${sighting.ip}</a></td><td>A</td><td>2025-05-01</td></tr>`
    )
    return HttpFixture.text(
      `<html><body><table class="table table-striped table-bordered" id="table">
<thead><tr><th>#</th><th>Domain</th><th>Address</th><th>Type</th><th>Date</th></tr></thead>
<tbody>${rows.join("\n")}</tbody></table></body></html>`,
      200,
      "text/html; charset=utf-8"
    )
  })

/** `GET /pdns/forward/{name}`: the name's own records, one JSON object a line. */
export const robtex = (sightings: ReadonlyArray<Sighting>): Server =>
  HttpFixture.make("https://freeapi.robtex.com", (request) => {
    const name = segment(request.url.pathname, /^\/pdns\/forward\/([^/]+)$/)
    const lines = sightings
      .filter((sighting) => sighting.host === name)
      .map((sighting) =>
        JSON.stringify({
          rrname: sighting.host,
          rrdata: sighting.ip,
          rrtype: sighting.ip.includes(":") ? "AAAA" : "A",
          time_first: 1_556_668_800,
          time_last: 1_748_563_200,
          count: 12
        })
      )
    return HttpFixture.text(lines.join("\r\n"), 200, "application/x-ndjson")
  })

/** `GET /dns?q=.{domain}` with `x-api-key`: `{"Meta": {...}, "Results": ["ip,,,,name"]}`. */
export const bufferover = (sightings: ReadonlyArray<Sighting>, options: { readonly key: string }): Server =>
  HttpFixture.make("https://tls.bufferover.run", (request) => {
    if (request.headers["x-api-key"] !== options.key) return HttpFixture.json({ message: "Forbidden" }, 403)
    const domain = (request.url.searchParams.get("q") ?? "").replace(/^\./, "").toLowerCase()
    const results = mentioning(sightings, domain).map((sighting) =>
      `${sighting.ip},${sighting.host},*,*,${sighting.host}`
    )
    return HttpFixture.json({ Meta: { Errors: [], Runtime: "0.01s" }, Results: results })
  })

/** The crawl the sandbox's index serves. */
export const crawl = "CC-MAIN-2025-47"

/**
 * Common Crawl's index server: `/collinfo.json` lists the crawls, `/{crawl}-index?url=*.{domain}&output=json`
 * answers captures one JSON a line, `showNumPages=true` the page count, `page=N` a page of two.
 */
export const commoncrawl = (urls: ReadonlyArray<string>): Server =>
  HttpFixture.make("https://index.commoncrawl.org", (request) => {
    const { pathname, searchParams } = request.url
    if (pathname === "/collinfo.json") {
      return HttpFixture.json([crawl, "CC-MAIN-2025-43"].map((id) => ({
        id,
        name: `${id} Index`,
        timegate: `https://index.commoncrawl.org/${id}/`,
        "cdx-api": `https://index.commoncrawl.org/${id}-index`
      })))
    }
    if (pathname !== `/${crawl}-index`) return HttpFixture.notFound()
    const domain = (searchParams.get("url") ?? "").replace(/^\*\./, "").toLowerCase()
    const captures = urls.filter((url) => under(new URL(url).hostname, domain))
    const pages = Math.ceil(captures.length / 2)
    if (searchParams.get("showNumPages") === "true") return HttpFixture.json({ pages, pageSize: 2, blocks: pages })
    if (captures.length === 0) return HttpFixture.json({ message: `No Captures found for: *.${domain}` }, 404)
    const page = Number(searchParams.get("page") ?? "0")
    const lines = captures.slice(page * 2, page * 2 + 2).map((url) =>
      JSON.stringify({
        urlkey: url,
        timestamp: "20251108123456",
        url,
        mime: "text/html",
        status: "200",
        length: "1234"
      })
    )
    return HttpFixture.text(lines.join("\n"), 200, "text/x-ndjson")
  })
