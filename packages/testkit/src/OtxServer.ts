/**
 * An HTTP server that answers like AlienVault OTX's indicator API
 * (`/api/v1/indicators/domain/{domain}/passive_dns`, optional `X-OTX-API-KEY`): the passive DNS
 * records of a domain and its subdomains, `{"passive_dns": [], "count": 0}` when it has none,
 * 403 for a bad key; and `…/url_list?limit=&page=`, the URLs seen under the domain, paged
 * while `has_next`; and `/api/v1/indicators/{IPv4|IPv6|domain}/{value}/general`, the threat reports
 * (pulses) listing an indicator and an address's AS.
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

/** A resolution OTX observed; `address` is an IP, a CNAME target or "NXDOMAIN". */
export interface Resolution {
  readonly hostname: string
  readonly address: string
  readonly record_type: string
  readonly first: string
  readonly last: string
  readonly asn: string | null
}

/** A threat report (pulse) listing an indicator. */
export interface Pulse {
  readonly id: string
  readonly name: string
  readonly indicator: string
  readonly tags: ReadonlyArray<string>
  readonly malware: ReadonlyArray<string>
}

export interface OtxOptions {
  readonly key: string
  /** The URLs its URL list knows. */
  readonly urls?: ReadonlyArray<string>
  readonly pulses?: ReadonlyArray<Pulse>
  /** The AS of addresses (`"AS64500 Mirage Sandbox Ltd"`), by address. */
  readonly asns?: Readonly<Record<string, string>>
}

const general = (options: OtxOptions, section: string, indicator: string) => {
  const pulses = (options.pulses ?? []).filter((pulse) => pulse.indicator === indicator)
  return HttpFixture.json({
    indicator,
    type: section,
    reputation: 0,
    pulse_info: {
      count: pulses.length,
      pulses: pulses.map((pulse) => ({
        id: pulse.id,
        name: pulse.name,
        description: "",
        created: "2025-04-01T12:00:00.000000",
        modified: "2025-04-02T12:00:00.000000",
        tags: pulse.tags,
        adversary: "",
        malware_families: pulse.malware.map((family) => ({ id: family, display_name: family, target: null })),
        attack_ids: [],
        references: [],
        TLP: "white"
      })),
      references: [],
      related: {}
    },
    ...(section === "domain" ? {} : { asn: options.asns?.[indicator] ?? null, country_code: "ZZ", city: null })
  })
}

const urlList = (urls: ReadonlyArray<string>, domain: string, params: URLSearchParams) => {
  const listed = urls.filter((url) => {
    const host = new URL(url).hostname
    return host === domain || host.endsWith(`.${domain}`)
  })
  const limit = Number(params.get("limit") ?? "10")
  const page = Number(params.get("page") ?? "1")
  const slice = listed.slice((page - 1) * limit, page * limit).map((url) => ({
    url,
    date: "2025-05-01T10:00:00",
    domain,
    hostname: new URL(url).hostname,
    httpcode: 200,
    encoded: encodeURIComponent(url),
    result: { urlworker: { ip: "192.0.2.11", http_code: 200 }, safebrowsing: { matches: [] } },
    gsb: []
  }))
  return HttpFixture.json({
    url_list: slice,
    page_num: page,
    limit,
    paged: true,
    has_next: page * limit < listed.length,
    full_size: listed.length,
    actual_size: listed.length
  })
}

/** Starts the server on 127.0.0.1 with an ephemeral port; closing the Scope stops it. */
export const make = (
  resolutions: ReadonlyArray<Resolution>,
  options: OtxOptions
): Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope> =>
  HttpFixture.make("https://otx.alienvault.com", (request) => {
    const summary = /^\/api\/v1\/indicators\/(IPv4|IPv6|domain)\/([^/]+)\/general$/.exec(request.url.pathname)
    if (summary !== null) {
      const key = request.headers["x-otx-api-key"]
      if (key !== undefined && key !== options.key) {
        return HttpFixture.json({ detail: "Authentication credentials were not provided." }, 403)
      }
      return general(options, summary[1]!, decodeURIComponent(summary[2]!).toLowerCase())
    }
    const match = /^\/api\/v1\/indicators\/domain\/([^/]+)\/(passive_dns|url_list)$/.exec(request.url.pathname)
    if (match === null) return HttpFixture.json({ detail: "Not found." }, 404)
    const key = request.headers["x-otx-api-key"]
    if (key !== undefined && key !== options.key) {
      return HttpFixture.json({ detail: "Authentication credentials were not provided." }, 403)
    }
    const domain = decodeURIComponent(match[1] ?? "").toLowerCase()
    if (!/^[a-z0-9.-]+\.[a-z]{2,}$/.test(domain)) return HttpFixture.json({ detail: "Invalid domain" }, 400)
    if (match[2] === "url_list") return urlList(options.urls ?? [], domain, request.url.searchParams)
    const records = resolutions
      .filter((record) => record.hostname === domain || record.hostname.endsWith(`.${domain}`))
      .map((record) => ({
        address: record.address,
        first: record.first,
        last: record.last,
        hostname: record.hostname,
        record_type: record.record_type,
        indicator_link: `/indicator/hostname/${record.hostname}`,
        flag_url: "assets/images/flags/gb.png",
        flag_title: "United Kingdom",
        asset_type: "hostname",
        asn: record.asn
      }))
    return HttpFixture.json({ passive_dns: records, count: records.length })
  })
