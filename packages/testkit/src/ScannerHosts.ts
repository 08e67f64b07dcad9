/**
 * What the sandbox's scanners other than Shodan (Censys, ZoomEye) answer about an address, in their
 * own shapes, from the same hosts Shodan's emulation knows: Censys's `GET /api/v2/hosts/{ip}` and
 * ZoomEye's `GET /host/search?query=ip:"…"`. The servers that already answer those sources' other
 * searches route these paths here.
 */
import * as HttpFixture from "./HttpFixture.js"
import type { FixtureRequest, FixtureResponse } from "./HttpFixture.js"
import type { Host } from "./ShodanServer.js"

const asNumber = (asn: string) => Number(asn.replace(/^AS/i, ""))

/** Censys's host view (`{code, status, result: {ip, services, autonomous_system, dns}}`), 404 for an unknown address. */
export const censysHost = (request: FixtureRequest, hosts: ReadonlyArray<Host>): FixtureResponse | undefined => {
  const ip = /^\/api\/v2\/hosts\/([^/]+)$/.exec(request.url.pathname)?.[1]
  if (ip === undefined) return undefined
  const host = hosts.find((candidate) => candidate.ip === decodeURIComponent(ip))
  if (host === undefined) {
    return HttpFixture.json({ code: 404, status: "Not Found", error: "The requested host could not be found." }, 404)
  }
  return HttpFixture.json({
    code: 200,
    status: "OK",
    result: {
      ip: host.ip,
      services: host.services.map((service) => ({
        port: service.port,
        service_name: service.port === 443 ? "HTTP" : "UNKNOWN",
        extended_service_name: service.port === 443 ? "HTTPS" : "UNKNOWN",
        transport_protocol: service.transport.toUpperCase(),
        software: service.product === undefined
          ? []
          : [{ product: service.product, ...(service.version === undefined ? {} : { version: service.version }) }],
        observed_at: "2025-05-30T11:42:07Z"
      })),
      autonomous_system: { asn: asNumber(host.asn), name: host.org, description: host.org },
      dns: { names: host.hostnames },
      last_updated_at: "2025-05-30T11:42:07Z"
    }
  })
}

/** ZoomEye's host search (`{total, available, matches: [{ip, portinfo, geoinfo}]}`) for `ip:"…"` queries. */
export const zoomeyeHost = (request: FixtureRequest, hosts: ReadonlyArray<Host>): FixtureResponse | undefined => {
  if (request.url.pathname !== "/host/search") return undefined
  const ip = /^ip:"?([^"]+)"?$/.exec(request.url.searchParams.get("query") ?? "")?.[1]
  const matches = hosts.filter((host) => host.ip === ip).flatMap((host) =>
    host.services.map((service) => ({
      ip: host.ip,
      portinfo: {
        port: service.port,
        service: service.port === 443 ? "https" : "unknown",
        app: service.product ?? "",
        version: service.version ?? "",
        hostname: host.hostnames[0] ?? ""
      },
      geoinfo: { asn: asNumber(host.asn), organization: host.org, isp: host.isp },
      timestamp: "2025-05-30T11:42:07"
    }))
  )
  return HttpFixture.json({ total: matches.length, available: matches.length, matches })
}
