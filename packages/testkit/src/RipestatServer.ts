/**
 * An HTTP server that answers like RIPEstat's Data API: `network-info` (the announcing ASNs
 * and prefix of an address), `as-overview` (an AS's holder) and `announced-prefixes` (an AS's
 * prefixes with the timelines they were seen in), wrapped in RIPEstat's
 * envelope (`status`, `status_code`, `messages`, `data`), with its 400 for a bad resource.
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"
import { parseAddress } from "./RdapServer.js"

export interface Announcement {
  /** CIDR, e.g. "192.0.2.0/24". */
  readonly prefix: string
  readonly asn: number
}

export interface AutonomousSystem {
  readonly asn: number
  /** As RIPEstat shows it: "HANDLE - Organization name". */
  readonly holder: string
}

const envelope = (call: string, data: unknown, status = 200, messages: ReadonlyArray<unknown> = []) =>
  HttpFixture.json({
    messages,
    see_also: [],
    version: "1.1",
    data_call_name: call,
    data_call_status: "supported - connecting to ursa",
    cached: false,
    data,
    query_id: "20250601000000-5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
    process_time: 4,
    server_id: "app142",
    build_version: "live.2025.5.28.213",
    status: status === 200 ? "ok" : "error",
    status_code: status,
    time: "2025-06-01T00:00:00.000000"
  }, status)

/** Whether `address` is in the CIDR block `prefix` (either family). */
export const inPrefix = (address: string, prefix: string) => {
  const [network = "", bits = "0"] = prefix.split("/")
  const ip = parseAddress(address)
  const base = parseAddress(network)
  if (ip === undefined || base === undefined || ip.v6 !== base.v6) return false
  const width = BigInt(ip.v6 ? 128 : 32)
  const shift = width - BigInt(bits)
  return ip.value >> shift === base.value >> shift
}

/** Starts the server on 127.0.0.1 with an ephemeral port; closing the Scope stops it. */
export const make = (
  announcements: ReadonlyArray<Announcement>,
  systems: ReadonlyArray<AutonomousSystem>
): Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope> =>
  HttpFixture.make("https://stat.ripe.net", (request) => {
    const resource = (request.url.searchParams.get("resource") ?? "").trim()
    switch (request.url.pathname) {
      case "/data/network-info/data.json": {
        if (parseAddress(resource) === undefined) {
          return envelope("network-info", {}, 400, [["error", `Invalid IP address: ${resource}`]])
        }
        const found = announcements.find((announcement) => inPrefix(resource, announcement.prefix))
        return envelope("network-info", {
          asns: found === undefined ? [] : [String(found.asn)],
          prefix: found === undefined ? null : found.prefix
        })
      }
      case "/data/announced-prefixes/data.json": {
        const match = /^(?:AS)?(\d+)$/i.exec(resource)
        if (match === null) return envelope("announced-prefixes", {}, 400, [["error", `Invalid ASN: ${resource}`]])
        const asn = Number(match[1])
        return envelope("announced-prefixes", {
          prefixes: announcements.filter((announcement) => announcement.asn === asn).map((announcement) => ({
            prefix: announcement.prefix,
            timelines: [{ starttime: "2025-05-18T00:00:00", endtime: "2025-06-01T00:00:00" }]
          })),
          query_starttime: "2025-05-18T00:00:00",
          query_endtime: "2025-06-01T00:00:00",
          resource: String(asn),
          latest_time: "2025-06-01T00:00:00",
          earliest_time: "2025-05-18T00:00:00"
        })
      }
      case "/data/as-overview/data.json": {
        const match = /^(?:AS)?(\d+)$/i.exec(resource)
        if (match === null) return envelope("as-overview", {}, 400, [["error", `Invalid ASN: ${resource}`]])
        const asn = Number(match[1])
        const found = systems.find((system) => system.asn === asn)
        return envelope("as-overview", {
          type: "as",
          resource: String(asn),
          block: { resource: "64496-64511", desc: "Reserved for use in documentation and sample code", name: "IANA" },
          holder: found === undefined ? null : found.holder,
          announced: found !== undefined,
          query_starttime: "2025-06-01T00:00:00",
          query_endtime: "2025-06-01T00:00:00"
        })
      }
      default:
        return HttpFixture.notFound()
    }
  })
