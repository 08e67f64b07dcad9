/**
 * The sandbox's reputation, threat and vulnerability sources, each an HTTP server answering in its
 * real API's shape from ThreatData, and only to the key it is given where the real one puts it:
 * GreyNoise (key optional), AbuseIPDB, CrowdSec CTI, ipapi.is (key optional), ONYPHE, ThreatFox
 * (a JSON POST), Google Safe Browsing (a JSON POST), OpenPhish's feed, Spamhaus DROP (NDJSON), the
 * NVD (key optional), CISA's KEV catalog and FIRST's EPSS scores.
 */
import { Effect, type Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"
import { addressKinds, cves, dropBlocks, misbehaving, phishingUrls, threatKeys, unsafeUrls } from "./ThreatData.js"

type Server = Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope>

const segment = (path: string, pattern: RegExp) => decodeURIComponent(pattern.exec(path)?.[1] ?? "")
const find = (ip: string) => misbehaving.find((entry) => entry.ip === ip)
const jsonBody = (body: string): unknown => {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

/** `GET /v3/community/{ip}` with an optional `key`: the verdict, or 404 for an address never seen scanning. */
export const greynoise: Server = HttpFixture.make("https://api.greynoise.io", (request) => {
  const key = request.headers["key"]
  if (key !== undefined && key !== threatKeys.greynoise) return HttpFixture.json({ message: "invalid key" }, 401)
  const ip = segment(request.url.pathname, /^\/v3\/community\/([^/]+)$/)
  const entry = find(ip)
  if (entry === undefined) {
    return HttpFixture.json({ ip, noise: false, riot: false, message: "IP not observed scanning the internet." }, 404)
  }
  return HttpFixture.json({
    ip,
    noise: true,
    riot: false,
    classification: "malicious",
    name: "unknown",
    link: `https://viz.greynoise.io/ip/${ip}`,
    last_seen: "2026-12-01",
    message: "Success"
  })
})

/** `GET /api/v2/check?ipAddress=&maxAgeInDays=&verbose` with `Key`: `{data}`; `{errors}` with 401 otherwise. */
export const abuseipdb: Server = HttpFixture.make("https://api.abuseipdb.com", (request) => {
  if (request.headers["key"] !== threatKeys.abuseipdb) {
    return HttpFixture.json({ errors: [{ detail: "Authentication failed.", status: 401 }] }, 401)
  }
  if (request.url.pathname !== "/api/v2/check") return HttpFixture.notFound()
  const ip = request.url.searchParams.get("ipAddress") ?? ""
  const entry = find(ip)
  return HttpFixture.json({
    data: {
      ipAddress: ip,
      isPublic: true,
      ipVersion: ip.includes(":") ? 6 : 4,
      isWhitelisted: false,
      abuseConfidenceScore: entry?.abuseScore ?? 0,
      countryCode: "NL",
      usageType: "Data Center/Web Hosting/Transit",
      isp: entry?.holder ?? "Mirage Sandbox Ltd",
      domain: null,
      hostnames: [],
      isTor: false,
      totalReports: entry?.reports ?? 0,
      numDistinctUsers: entry === undefined ? 0 : 9,
      lastReportedAt: entry === undefined ? null : "2026-12-01T03:00:00+00:00",
      reports: entry === undefined ? [] : [{ reportedAt: "2026-12-01T03:00:00+00:00", categories: entry.categories }]
    }
  })
})

/** `GET /v2/smoke/{ip}` with `x-api-key`: what the address did; 404 for one never seen. */
export const crowdsec: Server = HttpFixture.make("https://cti.api.crowdsec.net", (request) => {
  if (request.headers["x-api-key"] !== threatKeys.crowdsec) return HttpFixture.json({ message: "Forbidden" }, 403)
  const entry = find(segment(request.url.pathname, /^\/v2\/smoke\/([^/]+)$/))
  if (entry === undefined) return HttpFixture.json({ message: "IP address information not found" }, 404)
  return HttpFixture.json({
    ip: entry.ip,
    ip_range: entry.range,
    ip_range_score: 3,
    as_name: entry.holder,
    as_num: entry.asn,
    reverse_dns: null,
    behaviors: entry.behaviors.map((label) => ({ name: label.toLowerCase().replace(/ /g, ":"), label })),
    attack_details: [],
    classifications: { false_positives: [], classifications: [] },
    history: { first_seen: "2026-11-01T00:00:00+00:00", last_seen: "2026-12-01T00:00:00+00:00" },
    scores: { overall: { aggressiveness: 4, threat: 3, trust: 4, anomaly: 1, total: 4 } },
    background_noise_score: 6,
    cves: entry.cves
  })
})

/** `GET /?q={ip}` with an optional `key` parameter: the AS, route, holder and kind of network. */
export const ipapiIs: Server = HttpFixture.make("https://api.ipapi.is", (request) => {
  const key = request.url.searchParams.get("key")
  if (key !== null && key !== threatKeys.ipapi_is) return HttpFixture.json({ error: "Invalid API key" })
  const ip = request.url.searchParams.get("q") ?? ""
  const kind = addressKinds.find((entry) => entry.ip === ip)
  if (kind === undefined) return HttpFixture.json({ ip, is_bogon: true })
  return HttpFixture.json({
    ip,
    rir: "RIPE",
    is_bogon: false,
    is_datacenter: true,
    is_tor: false,
    is_proxy: false,
    is_vpn: kind.vpn,
    is_abuser: false,
    company: { name: kind.holder, type: "hosting", network: kind.route },
    asn: { asn: kind.asn, route: kind.route, org: kind.holder, type: "hosting" },
    location: { country_code: "GB" }
  })
})

/** `GET /api/v2/summary/ip/{ip}` with `Authorization: bearer`: geoloc and threatlist rows; `{error, text}` on refusal. */
export const onyphe: Server = HttpFixture.make("https://www.onyphe.io", (request) => {
  if (request.headers.authorization !== `bearer ${threatKeys.onyphe}`) {
    return HttpFixture.json({ error: 3, text: "Invalid API key", status: "nok" }, 401)
  }
  const ip = segment(request.url.pathname, /^\/api\/v2\/summary\/ip\/([^/]+)$/)
  const entry = find(ip)
  const results = entry === undefined ? [] : [
    { "@category": "geoloc", ip, asn: `AS${entry.asn}`, organization: entry.holder, subnet: entry.range },
    { "@category": "threatlist", ip, threatlist: entry.threatlist, seen_date: "2026-12-01" }
  ]
  return HttpFixture.json({ count: results.length, error: 0, page: 1, results, status: "ok", total: results.length })
})

/** `POST /api/v1/` JSON `{query: "search_ioc", search_term}` with `Auth-Key`: the IOCs on the address. */
export const threatfox: Server = HttpFixture.make("https://threatfox-api.abuse.ch", (request) => {
  if (request.headers["auth-key"] !== threatKeys.threatfox) {
    return HttpFixture.json({ query_status: "unknown_auth_key" })
  }
  if (request.url.pathname !== "/api/v1/" || request.method !== "POST") return HttpFixture.notFound()
  const body = jsonBody(request.body) as { query?: string; search_term?: string } | undefined
  if (body?.query !== "search_ioc") return HttpFixture.json({ query_status: "unknown_query" })
  const iocs = misbehaving.filter((entry) => entry.ip === body.search_term).flatMap((entry) => entry.iocs)
  if (iocs.length === 0) {
    return HttpFixture.json({ query_status: "no_result", data: "Your search did not yield any results" })
  }
  return HttpFixture.json({
    query_status: "ok",
    data: iocs.map((ioc, i) => ({
      id: String(1_500_000 + i),
      ioc: ioc.ioc,
      threat_type: "botnet_cc",
      ioc_type: "ip:port",
      malware_printable: ioc.malware,
      confidence_level: 90,
      first_seen: "2026-11-20 12:00:00 UTC",
      last_seen: null,
      reference: null,
      tags: ["c2"]
    }))
  })
})

/** `POST /v4/threatMatches:find?key=`: the asked URLs that are listed; a bad key is a 400 naming it. */
export const safeBrowsing: Server = HttpFixture.make("https://safebrowsing.googleapis.com", (request) => {
  if (request.url.searchParams.get("key") !== threatKeys.google_safebrowsing) {
    return HttpFixture.json({ error: { code: 400, message: "API key not valid.", status: "INVALID_ARGUMENT" } }, 400)
  }
  if (request.url.pathname !== "/v4/threatMatches:find" || request.method !== "POST") return HttpFixture.notFound()
  const body = jsonBody(request.body) as { threatInfo?: { threatEntries?: ReadonlyArray<{ url?: string }> } }
  const asked = new Set((body?.threatInfo?.threatEntries ?? []).map((entry) => entry.url))
  const matches = unsafeUrls.filter((entry) => asked.has(entry.url)).map((entry) => ({
    threatType: entry.threatType,
    platformType: "ANY_PLATFORM",
    threat: { url: entry.url },
    cacheDuration: "300s",
    threatEntryType: "URL"
  }))
  return HttpFixture.json(matches.length === 0 ? {} : { matches })
})

/** `GET /feed.txt`: one phishing URL a line. */
export const openphish: Server = HttpFixture.make(
  "https://openphish.com",
  (request) =>
    request.url.pathname === "/feed.txt" ? HttpFixture.text(`${phishingUrls.join("\n")}\n`) : HttpFixture.notFound()
)

/** `GET /drop/drop_v4.json` and `drop_v6.json`: NDJSON netblocks, then a metadata line. */
export const spamhausDrop: Server = HttpFixture.make("https://www.spamhaus.org", (request) => {
  const version = /^\/drop\/drop_v([46])\.json$/.exec(request.url.pathname)?.[1]
  if (version === undefined) return HttpFixture.notFound()
  const blocks = dropBlocks.filter((block) => block.cidr.includes(":") === (version === "6"))
  const lines = [
    ...blocks.map((block) => JSON.stringify(block)),
    JSON.stringify({ type: "metadata", timestamp: 1764900000, size: 0, records: blocks.length })
  ]
  return HttpFixture.text(`${lines.join("\n")}\n`, 200, "application/x-ndjson")
})

const nvdItem = (cve: typeof cves[number]) => ({
  cve: {
    id: cve.id,
    published: cve.published,
    lastModified: "2025-06-01T00:00:00.000",
    vulnStatus: "Analyzed",
    ...(cve.kev === undefined ? {} : {
      cisaExploitAdd: cve.kev.added,
      cisaActionDue: cve.kev.due,
      cisaRequiredAction: "Apply mitigations per vendor instructions or discontinue use of the product.",
      cisaVulnerabilityName: cve.kev.name
    }),
    descriptions: [{ lang: "en", value: cve.description }],
    metrics: {
      cvssMetricV31: [{
        source: "nvd@nist.gov",
        type: "Primary",
        cvssData: { version: "3.1", vectorString: "CVSS:3.1/AV:N", baseScore: cve.score, baseSeverity: cve.severity }
      }]
    },
    weaknesses: [{ source: "nvd@nist.gov", type: "Primary", description: [{ lang: "en", value: cve.cwe }] }],
    references: []
  }
})

/** `GET /rest/json/cves/2.0?cveId=` with an optional `apiKey` header: the CVE, or an empty list. */
export const nvd: Server = HttpFixture.make("https://services.nvd.nist.gov", (request) => {
  const key = request.headers["apikey"]
  if (key !== undefined && key !== threatKeys.nvd) return HttpFixture.text("", 404)
  if (request.url.pathname !== "/rest/json/cves/2.0") return HttpFixture.notFound()
  const id = (request.url.searchParams.get("cveId") ?? "").toUpperCase()
  const found = cves.filter((cve) => cve.id === id)
  return HttpFixture.json({
    resultsPerPage: found.length,
    startIndex: 0,
    totalResults: found.length,
    format: "NVD_CVE",
    version: "2.0",
    timestamp: "2026-12-05T00:00:00.000",
    vulnerabilities: found.map(nvdItem)
  })
})

/** `GET /sites/default/files/feeds/known_exploited_vulnerabilities.json`: the catalog. */
export const cisaKev: Server = HttpFixture.make("https://www.cisa.gov", (request) => {
  if (request.url.pathname !== "/sites/default/files/feeds/known_exploited_vulnerabilities.json") {
    return HttpFixture.notFound()
  }
  const listed = cves.flatMap((cve) => (cve.kev === undefined ? [] : [{ ...cve.kev, id: cve.id, cve }]))
  return HttpFixture.json({
    title: "CISA Catalog of Known Exploited Vulnerabilities",
    catalogVersion: "2026.12.04",
    dateReleased: "2026-12-04T17:00:00.000Z",
    count: listed.length,
    vulnerabilities: listed.map((entry) => ({
      cveID: entry.id,
      vendorProject: entry.vendor,
      product: entry.product,
      vulnerabilityName: entry.name,
      dateAdded: entry.added,
      shortDescription: entry.cve.description,
      requiredAction: "Apply mitigations per vendor instructions or discontinue use of the product.",
      dueDate: entry.due,
      knownRansomwareCampaignUse: entry.ransomware,
      notes: "",
      cwes: [entry.cve.cwe]
    }))
  })
})

/** FIRST's EPSS API answer around its rows: the envelope of every page. */
export const epssAnswer = (data: ReadonlyArray<unknown>) => ({
  status: "OK",
  "status-code": 200,
  version: "1.0",
  access: "public",
  total: data.length,
  offset: 0,
  limit: 100,
  data
})

/** `GET /data/v1/epss?cve=`: the CVE's exploit probability and percentile as decimal strings, no row for another. */
export const epss: Server = HttpFixture.make("https://api.first.org", (request) => {
  if (request.url.pathname !== "/data/v1/epss") return HttpFixture.notFound()
  const id = (request.url.searchParams.get("cve") ?? "").toUpperCase()
  const data = cves.filter((cve) => cve.id === id).map((cve) => ({
    cve: cve.id,
    epss: cve.epss.toFixed(9),
    percentile: cve.epssPercentile.toFixed(9),
    date: "2026-12-04"
  }))
  return HttpFixture.json(epssAnswer(data))
})

/** Every threat source, by the source id its modules use. */
export const makeAll = Effect.all({
  greynoise,
  abuseipdb,
  crowdsec,
  ipapi_is: ipapiIs,
  onyphe,
  threatfox,
  google_safebrowsing: safeBrowsing,
  openphish,
  spamhaus_drop: spamhausDrop,
  nvd,
  cisa_kev: cisaKev,
  epss
}, { concurrency: "unbounded" })

export type ThreatServers = Effect.Effect.Success<typeof makeAll>
