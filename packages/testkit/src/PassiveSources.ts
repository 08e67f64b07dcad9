/**
 * The sandbox's keyless passive sources, each an HTTP server answering in its real API's shape
 * from one list of sightings (a host name and the address it had): Anubis-DB, subdomain.center,
 * MySSL, Columbus, RapidDNS, Robtex, BufferOver, SiteDossier, ThreatMiner and Common Crawl's index,
 * and certificatedetails.com from CT issuances. Like the real ones, the loosest of them also answer
 * names that merely contain the domain.
 */
import type { Effect, Scope } from "effect"
import { createHash } from "node:crypto"
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

const html = (body: string, status = 200) => HttpFixture.text(body, status, "text/html; charset=utf-8")

/**
 * `GET /parentdomain/{domain}` and `/parentdomain/{domain}/{first item}`: the sites under the domain,
 * `pageSize` a page (the real 100), each page linking the next; "No data currently available." when none.
 */
export const sitedossier = (sightings: ReadonlyArray<Sighting>, options: { readonly pageSize?: number } = {}): Server =>
  HttpFixture.make("http://www.sitedossier.com", (request) => {
    const match = /^\/parentdomain\/([^/]+)(?:\/(\d+))?$/.exec(request.url.pathname)
    if (match === null) return HttpFixture.notFound()
    const domain = decodeURIComponent(match[1]!).toLowerCase()
    const size = options.pageSize ?? 100
    const first = Number(match[2] ?? "1")
    const hosts = Array.from(new Set(beneath(sightings, domain).map((sighting) => sighting.host)))
    const shown = hosts.slice(first - 1, first - 1 + size)
    const title = `<title>Parent domain: ${domain}</title>`
    if (shown.length === 0) {
      return html(
        `<html><head>${title}</head><body><h1>Parent domain: ${domain}</h1>No data currently available.</body></html>`
      )
    }
    const next = first + size <= hosts.length
      ? `<a href="/parentdomain/${domain}/${first + size}"><b>Show next ${size} items</b></a><br>`
      : "End of list."
    return html(`<html><head>${title}</head><body><h1>Parent domain: ${domain}</h1>
<dd> <i>Displaying items ${first} to ${first + shown.length - 1}, out of a total of ${hosts.length}</i><br>
<ol start=${first}>
${shown.map((host) => `<li> &nbsp; <a href="/site/${host}">http://${host}/</a><br>`).join("\n")}
</ol>
${next}</body></html>`)
  })

/** `GET /v2/domain.php?q={domain}&rt=5`: `{"status_code": "200", "results": [...]}`, `"404"` when none (HTTP 200 both). */
export const threatminer = (sightings: ReadonlyArray<Sighting>): Server =>
  HttpFixture.make("https://api.threatminer.org", (request) => {
    if (request.url.pathname !== "/v2/domain.php") return HttpFixture.notFound()
    const domain = (request.url.searchParams.get("q") ?? "").toLowerCase()
    const hosts = request.url.searchParams.get("rt") === "5"
      ? Array.from(new Set(beneath(sightings, domain).map((sighting) => sighting.host)))
      : []
    return hosts.length === 0
      ? HttpFixture.json({ status_code: "404", status_message: "No results found.", results: [] })
      : HttpFixture.json({ status_code: "200", status_message: "Results found.", results: hosts })
  })

/** A certificate as certificatedetails.com links it: its fingerprint and the names on it. */
export interface ListedCertificate {
  readonly id: string
  readonly names: ReadonlyArray<string>
}

/**
 * `GET /{domain}`: a link per certificate naming a host under the domain and per name on it
 * (`/{sha256}/{name}`); the real site's "not found" is a 404 page, here without links.
 */
export const certificatedetails = (certificates: ReadonlyArray<ListedCertificate>): Server =>
  HttpFixture.make("https://certificatedetails.com", (request) => {
    const domain = segment(request.url.pathname, /^\/([^/]+)$/)
    const bare = (name: string) => name.toLowerCase().replace(/^\*\./, "")
    const links = certificates
      .filter((certificate) => certificate.names.some((name) => under(bare(name), domain)))
      .flatMap((certificate) => {
        const sha256 = createHash("sha256").update(certificate.id).digest("hex")
        return certificate.names.map((name) =>
          `<a href="/${sha256}/${bare(name)}" title="Show the certificate for ${name}">${name}</a><br>`
        )
      })
    return html(
      `<html><head><title>${domain} certificates</title></head><body><nav><a href="/">Home</a></nav>
<div>${links.join("\n")}</div></body></html>`,
      links.length === 0 ? 404 : 200
    )
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
