/**
 * An HTTP server that answers like VirusTotal's API v3 relationship listing
 * (`/api/v3/domains/{domain}/subdomains?limit=…&cursor=…`, key in `x-apikey`), with cursor
 * paging (`meta.cursor`, `links.next`) and VT's error objects (`WrongCredentialsError` 401,
 * `QuotaExceededError` 429, `NotFoundError` 404).
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

export interface DomainReport {
  readonly name: string
  readonly records: ReadonlyArray<{ readonly type: string; readonly value: string }>
}

/** What VirusTotal's address report says of an address. */
export interface AddressReport {
  readonly ip: string
  readonly asn: number
  readonly owner: string
  readonly network: string
  /** Engines that flag it. */
  readonly malicious: number
}

export interface VirustotalOptions {
  readonly key: string
  /** Addresses `GET /api/v3/ip_addresses/{ip}` knows. */
  readonly addresses?: ReadonlyArray<AddressReport>
  /** At most this many items per page whatever `limit` asks (the real API caps it at 40). */
  readonly pageSize?: number
}

const error = (status: number, code: string, message: string) => HttpFixture.json({ error: { code, message } }, status)

/** VirusTotal's 429 body (sent without Retry-After), for `failNext`. */
export const quotaExceededBody = JSON.stringify({ error: { code: "QuotaExceededError", message: "Quota exceeded" } })

const encodeCursor = (offset: number) => Buffer.from(JSON.stringify({ limit: 40, offset })).toString("base64")

const decodeCursor = (cursor: string): number | undefined => {
  const match = /"offset":\s*(\d+)/.exec(Buffer.from(cursor, "base64").toString("utf8"))
  return match === null ? undefined : Number(match[1])
}

/** `GET /api/v3/ip_addresses/{ip}`: the address object, or NotFoundError. */
const addressReport = (ip: string, addresses: ReadonlyArray<AddressReport>) => {
  const report = addresses.find((candidate) => candidate.ip === ip)
  if (report === undefined) return error(404, "NotFoundError", `IP address "${ip}" not found`)
  return HttpFixture.json({
    data: {
      id: ip,
      type: "ip_address",
      links: { self: `https://www.virustotal.com/api/v3/ip_addresses/${ip}` },
      attributes: {
        asn: report.asn,
        as_owner: report.owner,
        network: report.network,
        country: "NL",
        reputation: report.malicious > 0 ? -5 : 0,
        tags: [],
        last_analysis_date: 1764892800,
        last_analysis_stats: { malicious: report.malicious, suspicious: 0, harmless: 60, undetected: 30, timeout: 0 }
      }
    }
  })
}

/** Starts the server on 127.0.0.1 with an ephemeral port; closing the Scope stops it. */
export const make = (
  domains: ReadonlyArray<DomainReport>,
  options: VirustotalOptions
): Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope> =>
  HttpFixture.make("https://www.virustotal.com", (request) => {
    const address = /^\/api\/v3\/ip_addresses\/([^/]+)$/.exec(request.url.pathname)?.[1]
    const match = /^\/api\/v3\/domains\/([^/]+)\/subdomains$/.exec(request.url.pathname)
    if (match === null && address === undefined) {
      return error(404, "NotFoundError", `Resource not found: ${request.url.pathname}`)
    }
    const key = request.headers["x-apikey"]
    if (key === undefined) return error(401, "AuthenticationRequiredError", "X-Apikey header is missing")
    if (key !== options.key) return error(401, "WrongCredentialsError", "Wrong API key")
    if (match === null) return addressReport(decodeURIComponent(address ?? ""), options.addresses ?? [])
    const parent = decodeURIComponent(match[1] ?? "").toLowerCase()
    if (!domains.some((domain) => domain.name === parent)) {
      return error(404, "NotFoundError", `Domain "${parent}" not found`)
    }
    const params = request.url.searchParams
    const limit = Math.min(Number(params.get("limit") ?? "10"), 40, options.pageSize ?? 40)
    if (!Number.isInteger(limit) || limit < 1) return error(400, "InvalidArgumentError", "Invalid limit")
    const cursor = params.get("cursor")
    const offset = cursor === null ? 0 : decodeCursor(cursor)
    if (offset === undefined) return error(400, "InvalidArgumentError", "Wrong cursor")
    const children = domains.filter((domain) => domain.name.endsWith(`.${parent}`))
    const page = children.slice(offset, offset + limit)
    const more = offset + limit < children.length
    const origin = `http://${request.headers.host ?? "127.0.0.1"}`
    const self = `${origin}/api/v3/domains/${parent}/subdomains?limit=${limit}`
    return HttpFixture.json({
      meta: { count: children.length, ...(more ? { cursor: encodeCursor(offset + limit) } : {}) },
      data: page.map((domain) => ({
        attributes: {
          last_dns_records: domain.records.map((record) => ({ ...record, ttl: 300 })),
          last_dns_records_date: 1748736000,
          tld: domain.name.split(".").pop(),
          reputation: 0,
          last_analysis_stats: { harmless: 0, malicious: 0, suspicious: 0, undetected: 94, timeout: 0 },
          tags: []
        },
        type: "domain",
        id: domain.name,
        links: { self: `${origin}/api/v3/domains/${domain.name}` },
        context_attributes: { timestamp: 1748736000 }
      })),
      links: {
        self,
        ...(more
          ? {
            next: `${origin}/api/v3/domains/${parent}/subdomains?cursor=${encodeCursor(offset + limit)}&limit=${limit}`
          }
          : {})
      }
    })
  })
