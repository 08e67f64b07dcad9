/**
 * An HTTP server that answers like Shodan's host API (`/shodan/host/{ip}?key=…`) with its
 * banners, and like its error answers: 401 for a bad key, 404 `{"error": "No information
 * available for that IP."}`, 429 when the plan's rate is exceeded.
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

/** A service Shodan saw on a host: one banner. */
export interface Service {
  readonly port: number
  readonly transport: "tcp" | "udp"
  readonly product?: string
  readonly version?: string
  readonly cpe23?: ReadonlyArray<string>
}

export interface Host {
  readonly ip: string
  readonly hostnames: ReadonlyArray<string>
  readonly org: string
  readonly isp: string
  readonly asn: string
  readonly os?: string
  readonly services: ReadonlyArray<Service>
  /** The hash (`http.favicon.hash`) of the icon its web server serves, if it has one. */
  readonly faviconHash?: number
}

export interface ShodanOptions {
  readonly key: string
  /** Further keys it accepts (an account's several keys, for key pools). */
  readonly alsoAccepts?: ReadonlyArray<string>
}

const error = (status: number, message: string) => HttpFixture.json({ error: message }, status)

const domains = (hostnames: ReadonlyArray<string>) =>
  Array.from(new Set(hostnames.map((name) => name.split(".").slice(-2).join("."))))

const banner = (host: Host, service: Service) => ({
  ip_str: host.ip,
  port: service.port,
  transport: service.transport,
  ...(service.product === undefined ? {} : { product: service.product }),
  ...(service.version === undefined ? {} : { version: service.version }),
  ...(service.cpe23 === undefined ? {} : { cpe23: service.cpe23 }),
  hostnames: host.hostnames,
  domains: domains(host.hostnames),
  org: host.org,
  isp: host.isp,
  asn: host.asn,
  timestamp: "2025-05-30T11:42:07.123456",
  data: `${service.product ?? "unknown"} banner`,
  _shodan: { module: service.port === 443 ? "https" : "http", crawler: "0e2f1c6b" }
})

/** Starts the server on 127.0.0.1 with an ephemeral port; closing the Scope stops it. */
/** `GET /shodan/host/search?query=http.favicon.hash:N`: a banner per web service of the hosts serving that icon. */
const search = (hosts: ReadonlyArray<Host>, query: string) => {
  const hash = /^http\.favicon\.hash:(-?\d+)$/.exec(query)?.[1]
  if (hash === undefined) return error(400, "Only http.favicon.hash searches are emulated")
  const matches = hosts.filter((host) => host.faviconHash === Number(hash)).flatMap((host) =>
    host.services.filter((service) => [80, 443, 8080, 8443].includes(service.port)).map((service) => ({
      ...banner(host, service),
      http: { favicon: { hash: Number(hash), location: "/favicon.ico" } }
    }))
  )
  return HttpFixture.json({ matches, total: matches.length, facets: {} })
}

export const make = (
  hosts: ReadonlyArray<Host>,
  options: ShodanOptions
): Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope> =>
  HttpFixture.make("https://api.shodan.io", (request) => {
    const match = /^\/shodan\/host\/([^/]+)$/.exec(request.url.pathname)
    if (match === null) return error(404, "Not Found")
    const key = request.url.searchParams.get("key")
    if (key === null) return error(401, "Please provide a valid API key")
    if (key !== options.key && !(options.alsoAccepts ?? []).includes(key)) return error(401, "Invalid API key")
    if (match[1] === "search") return search(hosts, request.url.searchParams.get("query") ?? "")
    const ip = decodeURIComponent(match[1] ?? "")
    const host = hosts.find((candidate) => candidate.ip === ip)
    if (host === undefined) return error(404, "No information available for that IP.")
    return HttpFixture.json({
      ip_str: host.ip,
      ports: host.services.map((service) => service.port),
      hostnames: host.hostnames,
      domains: domains(host.hostnames),
      org: host.org,
      isp: host.isp,
      asn: host.asn,
      os: host.os ?? null,
      country_code: "GB",
      last_update: "2025-05-30T11:42:07.123456",
      tags: [],
      data: host.services.map((service) => banner(host, service))
    })
  })

/** Shodan's answer when the plan's request rate is exceeded, for `failNext`. */
export const rateLimitedBody = JSON.stringify({ error: "Rate limit reached (1/second)" })
