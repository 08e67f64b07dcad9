/**
 * An HTTP server that answers like RDAP (RFC 9083) as reached through the rdap.org bootstrap:
 * `/domain/{name}` and `/ip/{address}` redirect to the registry's server (here the same
 * server under `/registry/`), which answers `application/rdap+json` objects with jCard
 * contacts, or a 404 error object for what it does not hold.
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

/** An RDAP entity, rendered with a jCard (RFC 7095) `vcardArray`. */
export interface Contact {
  readonly handle: string
  readonly roles: ReadonlyArray<string>
  readonly kind: "org" | "individual"
  readonly fn: string
  readonly org?: string
  readonly email?: string
  readonly entities?: ReadonlyArray<Contact>
}

export interface Domain {
  readonly handle: string
  readonly ldhName: string
  readonly registered: string
  readonly nameservers: ReadonlyArray<string>
  readonly entities: ReadonlyArray<Contact>
}

export interface Network {
  readonly handle: string
  readonly name: string
  readonly startAddress: string
  readonly endAddress: string
  /** The `cidr0_cidrs` extension; some registries leave it out, giving only start and end. */
  readonly cidrs?: ReadonlyArray<{ readonly prefix: string; readonly length: number }>
  readonly country: string
  readonly entities: ReadonlyArray<Contact>
}

const rdap = (body: unknown, status = 200) => ({
  status,
  headers: { "content-type": "application/rdap+json", "access-control-allow-origin": "*" },
  body: JSON.stringify(body)
})

const notFound = (description: string) =>
  rdap({ rdapConformance: ["rdap_level_0"], errorCode: 404, title: "Not Found", description: [description] }, 404)

const vcard = (contact: Contact) => [
  "vcard",
  [
    ["version", {}, "text", "4.0"],
    ["fn", {}, "text", contact.fn],
    ["kind", {}, "text", contact.kind],
    ...(contact.org === undefined ? [] : [["org", { type: "work" }, "text", contact.org]]),
    ...(contact.email === undefined ? [] : [["email", { type: "work" }, "text", contact.email]]),
    ["adr", { label: "1 Example Street\nLondon\nGB" }, "text", ["", "", "", "", "", "", ""]]
  ]
]

const entity = (contact: Contact): Record<string, unknown> => ({
  objectClassName: "entity",
  handle: contact.handle,
  roles: contact.roles,
  vcardArray: vcard(contact),
  ...(contact.entities === undefined ? {} : { entities: contact.entities.map(entity) })
})

/** An address as a number and its family, or none. */
export const parseAddress = (text: string): { readonly value: bigint; readonly v6: boolean } | undefined => {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const octets = text.split(".").map(Number)
    if (octets.some((octet) => octet > 255)) return undefined
    return { value: octets.reduce((sum, octet) => (sum << 8n) + BigInt(octet), 0n), v6: false }
  }
  if (!/^[0-9a-f:]+$/i.test(text) || !text.includes(":")) return undefined
  const [head = "", tail] = text.split("::")
  const words = (part: string) => (part === "" ? [] : part.split(":"))
  const left = words(head)
  const right = tail === undefined ? [] : words(tail)
  const missing = 8 - left.length - right.length
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined
  const all = [...left, ...Array<string>(missing).fill("0"), ...right]
  if (all.some((word) => word.length > 4)) return undefined
  return { value: all.reduce((sum, word) => (sum << 16n) + BigInt(parseInt(word, 16)), 0n), v6: true }
}

const contains = (network: Network, address: { readonly value: bigint; readonly v6: boolean }) => {
  const start = parseAddress(network.startAddress)
  const end = parseAddress(network.endAddress)
  return start !== undefined && end !== undefined && start.v6 === address.v6 &&
    start.value <= address.value && address.value <= end.value
}

const domainObject = (domain: Domain) => ({
  rdapConformance: ["rdap_level_0", "icann_rdap_response_profile_1", "icann_rdap_technical_implementation_guide_1"],
  objectClassName: "domain",
  handle: domain.handle,
  ldhName: domain.ldhName.toUpperCase(),
  status: ["client transfer prohibited"],
  events: [
    { eventAction: "registration", eventDate: domain.registered },
    { eventAction: "last update of RDAP database", eventDate: "2025-06-01T00:00:00Z" }
  ],
  entities: domain.entities.map(entity),
  nameservers: domain.nameservers.map((name) => ({ objectClassName: "nameserver", ldhName: name.toUpperCase() })),
  secureDNS: { delegationSigned: false },
  notices: [{ title: "Terms of Use", description: ["Sandbox registry data, for tests only."] }]
})

const networkObject = (network: Network) => {
  const v6 = network.startAddress.includes(":")
  return {
    rdapConformance: ["rdap_level_0", "cidr0"],
    objectClassName: "ip network",
    handle: network.handle,
    startAddress: network.startAddress,
    endAddress: network.endAddress,
    ipVersion: v6 ? "v6" : "v4",
    name: network.name,
    type: "ASSIGNED PA",
    country: network.country,
    ...(network.cidrs === undefined ? {} : {
      cidr0_cidrs: network.cidrs.map((cidr) => ({ [v6 ? "v6prefix" : "v4prefix"]: cidr.prefix, length: cidr.length }))
    }),
    entities: network.entities.map(entity),
    events: [{ eventAction: "registration", eventDate: "2019-04-01T00:00:00Z" }]
  }
}

/** Starts the server on 127.0.0.1 with an ephemeral port; closing the Scope stops it. */
export const make = (
  domains: ReadonlyArray<Domain>,
  networks: ReadonlyArray<Network>
): Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope> =>
  HttpFixture.make("https://rdap.org", (request) => {
    const path = request.url.pathname
    const bootstrap = /^\/(domain|ip)\/([^/]+)$/.exec(path)
    if (bootstrap !== null) {
      // rdap.org only knows which registry to ask: it sends the client there.
      return { status: 302, headers: { location: `/registry${path}` }, body: "" }
    }
    const domainPath = /^\/registry\/domain\/([^/]+)$/.exec(path)
    if (domainPath !== null) {
      const name = decodeURIComponent(domainPath[1] ?? "").toLowerCase()
      const found = domains.find((domain) => domain.ldhName === name)
      return found === undefined ? notFound("The domain name is not registered here.") : rdap(domainObject(found))
    }
    const ipPath = /^\/registry\/ip\/([^/]+)$/.exec(path)
    if (ipPath !== null) {
      const address = parseAddress(decodeURIComponent(ipPath[1] ?? ""))
      if (address === undefined) {
        return rdap({ errorCode: 400, title: "Bad Request", description: ["Invalid IP address"] }, 400)
      }
      const found = networks.find((network) => contains(network, address))
      return found === undefined ? notFound("No network contains this address.") : rdap(networkObject(found))
    }
    return notFound("Unknown path")
  })
