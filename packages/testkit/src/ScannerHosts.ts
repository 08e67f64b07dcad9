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

/** A ZoomEye asset search v2 (`POST /v2/search`, JSON `{qbase64, sub_type, page, pagesize, fields}`), decoded. */
export interface ZoomeyeSearch {
  readonly query: string
  readonly fields: ReadonlyArray<string>
  readonly page: number
  readonly pagesize: number
}

/** The search a request makes, or none when it is not a readable `POST /v2/search`. */
export const zoomeyeSearchOf = (request: FixtureRequest): ZoomeyeSearch | undefined => {
  if (request.url.pathname !== "/v2/search" || request.method !== "POST") return undefined
  const body = parseJson(request.body)
  if (!Predicate.isRecord(body)) return undefined
  const { fields, page, pagesize, qbase64 } = body
  return {
    query: typeof qbase64 === "string" ? Buffer.from(qbase64, "base64").toString("utf8") : "",
    fields: typeof fields === "string" && fields !== ""
      ? fields.split(",").map((field) => field.trim())
      : ["ip", "port", "domain", "update_time"],
    page: typeof page === "number" ? page : 1,
    pagesize: typeof pagesize === "number" ? pagesize : 10
  }
}

/** Only the fields a search asked for, as ZoomEye answers. */
export const zoomeyeFields = (search: ZoomeyeSearch, record: Readonly<Record<string, unknown>>) =>
  Object.fromEntries(search.fields.filter((field) => field in record).map((field) => [field, record[field]]))

/** ZoomEye's answer to a search: `{code: 60000, message, total, query, data}`. */
export const zoomeyeAnswer = (search: ZoomeyeSearch, all: ReadonlyArray<Readonly<Record<string, unknown>>>) =>
  HttpFixture.json({
    code: 60000,
    message: "success",
    total: all.length,
    query: search.query,
    data: all.slice((search.page - 1) * search.pagesize, search.page * search.pagesize).map((record) =>
      zoomeyeFields(search, record)
    )
  })

/** ZoomEye's records of an address's services, for `ip="…"` searches; undefined for other searches. */
export const zoomeyeHost = (search: ZoomeyeSearch, hosts: ReadonlyArray<Host>): FixtureResponse | undefined => {
  const ip = /^ip="([^"]+)"$/.exec(search.query)?.[1]
  if (ip === undefined) return undefined
  const records = hosts.filter((host) => host.ip === ip).flatMap((host) =>
    host.services.map((service) => ({
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
    }))
  )
  return zoomeyeAnswer(search, records)
}
