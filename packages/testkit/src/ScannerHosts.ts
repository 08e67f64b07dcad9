/**
 * What the sandbox's scanners other than Shodan (Censys, ZoomEye) answer about an address, in their
 * own shapes, from the same hosts Shodan's emulation knows: Censys's `GET /api/v2/hosts/{ip}` and
 * ZoomEye's `POST /v2/search` for `ip="…"`. The servers that already answer those sources' other
 * searches route these paths here.
 */
import { Predicate } from "effect"
import * as HttpFixture from "./HttpFixture.js"
import type { FixtureRequest, FixtureResponse } from "./HttpFixture.js"
import type { Host } from "./ShodanServer.js"

const asNumber = (asn: string) => Number(asn.replace(/^AS/i, ""))

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

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

/**
 * ZoomEye's asset search v2 (`POST /v2/search`, JSON `{qbase64, sub_type, page, pagesize, fields}`) for `ip="…"`
 * queries: `{code: 60000, message, total, query, data: [...]}`, one flat record per service with the fields asked for.
 */
export const zoomeyeHost = (request: FixtureRequest, hosts: ReadonlyArray<Host>): FixtureResponse | undefined => {
  if (request.url.pathname !== "/v2/search") return undefined
  if (request.method !== "POST") return HttpFixture.json({ code: 60001, message: "method not allowed" }, 405)
  const body = parseJson(request.body)
  if (!Predicate.isRecord(body)) return HttpFixture.json({ code: 60002, message: "invalid request body" }, 400)
  const { fields, qbase64 } = body
  const query = typeof qbase64 === "string" ? Buffer.from(qbase64, "base64").toString("utf8") : ""
  const ip = /^ip="([^"]+)"$/.exec(query)?.[1]
  const wanted = typeof fields === "string" && fields !== ""
    ? fields.split(",").map((field) => field.trim())
    : ["ip", "port", "domain", "update_time"]
  const data = hosts.filter((host) => host.ip === ip).flatMap((host) =>
    host.services.map((service) => {
      const record: Record<string, unknown> = {
        ip: host.ip,
        port: service.port,
        domain: "",
        protocol: service.transport,
        service: service.port === 443 ? "https" : "unknown",
        product: service.product ?? "",
        version: service.version ?? "",
        os: "",
        hostname: host.hostnames[0] ?? "",
        rdns: "",
        asn: asNumber(host.asn),
        "isp.name": host.isp,
        "organization.name": host.org,
        update_time: "2025-05-30T11:42:07"
      }
      return Object.fromEntries(wanted.filter((field) => field in record).map((field) => [field, record[field]]))
    })
  )
  return HttpFixture.json({ code: 60000, message: "success", total: data.length, query, data })
}
