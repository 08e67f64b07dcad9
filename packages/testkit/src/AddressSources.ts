/**
 * The sandbox's address and AS registries beyond RDAP and RIPEstat, answering from the same networks,
 * announcements and AS holders: ip-api.com and IPinfo (where an address is and who routes it) and
 * PeeringDB (who runs an AS), and Team Cymru's IP-to-ASN zones over DNS. The sandbox's documentation-range addresses stand in for public ones,
 * so these answer them as the real services answer public addresses; any other is private or reserved.
 */
import type { Effect, Scope } from "effect"
import type { Zone } from "./DnsServer.js"
import { reverseName } from "./DnsServer.js"
import * as HttpFixture from "./HttpFixture.js"
import type { Network } from "./RdapServer.js"
import { parseAddress } from "./RdapServer.js"
import type { Announcement, AutonomousSystem } from "./RipestatServer.js"
import { inPrefix } from "./RipestatServer.js"

type Server = Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope>

/** What the registries know: networks (their holders and countries), announcements, AS holders, reverse names. */
export interface Registries {
  readonly networks: ReadonlyArray<Network>
  readonly announcements: ReadonlyArray<Announcement>
  readonly systems: ReadonlyArray<AutonomousSystem>
  /** Address → its reverse (PTR) name, where it has one. */
  readonly hostnames: Readonly<Record<string, string>>
}

const places: Readonly<Record<string, { country: string; city: string; region: string; lat: number; lon: number }>> = {
  GB: { country: "United Kingdom", city: "London", region: "England", lat: 51.5072, lon: -0.1276 },
  DE: { country: "Germany", city: "Frankfurt am Main", region: "Hesse", lat: 50.1109, lon: 8.6821 },
  NL: { country: "Netherlands", city: "Amsterdam", region: "North Holland", lat: 52.3676, lon: 4.9041 }
}
const timezones: Readonly<Record<string, string>> = {
  GB: "Europe/London",
  DE: "Europe/Berlin",
  NL: "Europe/Amsterdam"
}

/** "MIRAGE-SANDBOX-AS - Mirage Sandbox Ltd" → its handle and the organization's name. */
const holderParts = (holder: string) => {
  const [handle = holder, ...name] = holder.split(" - ")
  return { handle: handle.trim(), name: name.join(" - ").trim() || handle.trim() }
}

/** An address's network, announcing AS and place, when the registries know it. */
export const addressFacts = (registries: Registries, ip: string) => {
  const address = parseAddress(ip)
  if (address === undefined) return undefined
  const network = registries.networks.find((candidate) => {
    const start = parseAddress(candidate.startAddress)
    const end = parseAddress(candidate.endAddress)
    return start !== undefined && end !== undefined && start.v6 === address.v6 && start.value <= address.value &&
      address.value <= end.value
  })
  const announced = registries.announcements.find((announcement) => inPrefix(ip, announcement.prefix))
  if (network === undefined || announced === undefined) return undefined
  const system = registries.systems.find((candidate) => candidate.asn === announced.asn)
  const holder = holderParts(system?.holder ?? `AS${announced.asn}`)
  const owner = network.entities.find((entity) => entity.roles.includes("registrant"))
  return {
    asn: announced.asn,
    prefix: announced.prefix,
    handle: holder.handle,
    holder: holder.name,
    organization: owner?.org ?? owner?.fn ?? holder.name,
    country: network.country,
    place: places[network.country] ?? places["GB"]!,
    timezone: timezones[network.country] ?? "UTC",
    hostname: registries.hostnames[ip]
  }
}

/** `GET /json/{ip}?fields=…`: `{"status": "success", …}`, or `{"status": "fail", "message": "reserved range"}`. */
export const ipApi = (registries: Registries): Server =>
  HttpFixture.make("http://ip-api.com", (request) => {
    const ip = decodeURIComponent(/^\/json\/([^/]+)$/.exec(request.url.pathname)?.[1] ?? "")
    if (parseAddress(ip) === undefined) return HttpFixture.json({ status: "fail", message: "invalid query", query: ip })
    const facts = addressFacts(registries, ip)
    if (facts === undefined) return HttpFixture.json({ status: "fail", message: "reserved range", query: ip })
    return HttpFixture.json(
      {
        status: "success",
        country: facts.place.country,
        countryCode: facts.country,
        regionName: facts.place.region,
        city: facts.place.city,
        lat: facts.place.lat,
        lon: facts.place.lon,
        timezone: facts.timezone,
        isp: facts.organization,
        org: facts.organization,
        as: `AS${facts.asn} ${facts.holder}`,
        asname: facts.handle,
        hosting: true,
        proxy: false,
        mobile: false,
        query: ip
      },
      200,
      { "x-rl": "44", "x-ttl": "60" }
    )
  })

/** `GET /{ip}/json`, a token optional (`Authorization: Bearer`, checked when sent): the free plan's answer. */
export const ipinfo = (registries: Registries, options: { readonly token: string }): Server =>
  HttpFixture.make("https://ipinfo.io", (request) => {
    const authorization = request.headers.authorization
    if (authorization !== undefined && authorization !== `Bearer ${options.token}`) {
      return HttpFixture.json(
        { status: 403, error: { title: "Unknown token", message: "Please check your token" } },
        403
      )
    }
    const ip = decodeURIComponent(/^\/([^/]+)\/json$/.exec(request.url.pathname)?.[1] ?? "")
    if (parseAddress(ip) === undefined) {
      return HttpFixture.json({
        status: 404,
        error: { title: "Wrong ip", message: "Please provide a valid IP address" }
      }, 404)
    }
    const facts = addressFacts(registries, ip)
    if (facts === undefined) return HttpFixture.json({ ip, bogon: true })
    return HttpFixture.json({
      ip,
      ...(facts.hostname === undefined ? {} : { hostname: facts.hostname }),
      city: facts.place.city,
      region: facts.place.region,
      country: facts.country,
      loc: `${facts.place.lat},${facts.place.lon}`,
      org: `AS${facts.asn} ${facts.holder}`,
      timezone: facts.timezone
    })
  })

/** An AS's PeeringDB record beyond its holder: its website, if any, and what kind of network it is. */
export interface PeeringRecord {
  readonly asn: number
  readonly website: string
  readonly type: string
}

/** `GET /api/net?asn={n}`: `{"data": [net], "meta": {}}`, `data` empty for an AS PeeringDB does not hold. */
export const peeringdb = (
  systems: ReadonlyArray<AutonomousSystem>,
  records: ReadonlyArray<PeeringRecord>,
  options: { readonly key: string }
): Server =>
  HttpFixture.make("https://www.peeringdb.com", (request) => {
    const authorization = request.headers.authorization
    if (authorization !== undefined && authorization !== `Api-Key ${options.key}`) {
      return HttpFixture.json({ meta: { error: "Invalid API key" } }, 401)
    }
    if (request.url.pathname !== "/api/net") return HttpFixture.json({ meta: { error: "Not found" } }, 404)
    const asn = Number(request.url.searchParams.get("asn") ?? "")
    const system = systems.find((candidate) => candidate.asn === asn)
    const record = records.find((candidate) => candidate.asn === asn)
    if (system === undefined || record === undefined) return HttpFixture.json({ data: [], meta: {} })
    const holder = holderParts(system.holder)
    return HttpFixture.json({
      data: [{
        id: 40_000 + (asn % 1000),
        org_id: 50_000 + (asn % 1000),
        name: holder.name,
        aka: holder.handle,
        name_long: "",
        website: record.website,
        asn,
        looking_glass: "",
        route_server: "",
        irr_as_set: `RIPE::AS-${holder.handle}`,
        info_type: record.type,
        info_prefixes4: 4,
        info_prefixes6: 1,
        info_scope: "Europe",
        policy_general: "Open",
        status: "ok"
      }],
      meta: {}
    })
  })

/**
 * Team Cymru's IP-to-ASN zones for `addresses`: `{reversed}.origin.asn.cymru.com` (`origin6` for IPv6)
 * TXT `"ASN | prefix | CC | registry | allocated"`, and `AS{n}.asn.cymru.com` TXT `"ASN | CC | registry |
 * allocated | holder, CC"` for every AS announcing one of them.
 */
export const teamCymruZone = (registries: Registries, addresses: ReadonlyArray<string>): Zone => {
  const entries: Array<readonly [string, { readonly TXT: ReadonlyArray<string> }]> = []
  const systems = new Map<number, string>()
  for (const ip of new Set(addresses)) {
    const facts = addressFacts(registries, ip)
    if (facts === undefined) continue
    const name = reverseName(ip).replace(/\.in-addr\.arpa$/, ".origin.asn.cymru.com").replace(
      /\.ip6\.arpa$/,
      ".origin6.asn.cymru.com"
    )
    entries.push([name, { TXT: [`${facts.asn} | ${facts.prefix} | ${facts.country} | ripencc | 2010-01-01`] }])
    systems.set(facts.asn, facts.country)
  }
  for (const [asn, country] of systems) {
    const holder = registries.systems.find((system) => system.asn === asn)?.holder ?? `AS${asn}`
    entries.push([`AS${asn}.asn.cymru.com`, {
      TXT: [`${asn} | ${country} | ripencc | 2009-06-01 | ${holder}, ${country}`]
    }])
  }
  return Object.fromEntries(entries)
}
