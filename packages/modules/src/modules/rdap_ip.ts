/**
 * rdap_ip: the network an address belongs to and who holds it, from RDAP
 * (`GET {base}/ip/{address}`, RFC 9083): the block as CIDR netblocks (from the `cidr0_cidrs`
 * extension, or computed from `startAddress`/`endAddress`) and the registrant organization.
 */
import { Effect, Either, Option, Schema } from "effect"
import { type Contact, contacts, entitiesOf, rdapGet, rdapSource } from "../internal/Rdap.js"
import * as Rows from "../kinds/Rows.js"
import { BadResponse, defineModule, finding, httpSession, targetValue } from "../Module.js"
import type { Finding } from "../Module.js"

const Cidr0 = Schema.Struct({
  v4prefix: Schema.optionalWith(Schema.String, { exact: true, nullable: true }),
  v6prefix: Schema.optionalWith(Schema.String, { exact: true, nullable: true }),
  length: Schema.Union(Schema.Int, Schema.NumberFromString.pipe(Schema.int()))
})

const text = Schema.optionalWith(Rows.Stringish, { exact: true, nullable: true })

/** The fields of an `ip network` object that are read; entities and CIDRs are read item by item. */
export const RdapNetwork = Schema.Struct({
  objectClassName: Schema.Literal("ip network"),
  handle: text,
  name: text,
  startAddress: Schema.String,
  endAddress: Schema.String,
  country: text,
  cidr0_cidrs: Schema.optionalWith(Schema.Unknown, { exact: true })
})

/** A network answer as read: the object, its CIDRs and its contacts, with what did not read counted. */
export interface Network {
  readonly network: typeof RdapNetwork.Type
  readonly cidrs: ReadonlyArray<typeof Cidr0.Type>
  readonly contacts: ReadonlyArray<Contact>
  readonly skipped: number
  readonly reason: string | undefined
}

export const readNetwork = (body: unknown): Either.Either<Network, string> =>
  Either.map(Either.mapLeft(Schema.decodeUnknownEither(RdapNetwork)(body), Rows.firstIssue), (network) => {
    const cidrs = Rows.list(network.cidr0_cidrs, Cidr0, "cidr0_cidrs")
    const entities = entitiesOf(body)
    let skipped = cidrs.skipped + entities.skipped
    let reason = cidrs.reason ?? entities.reason
    const found = contacts(entities.rows, () => false, (why, count) => {
      skipped += count
      reason ??= why
    })
    return { network, cidrs: cidrs.rows, contacts: found, skipped, reason }
  })

export const RdapIpConfig = Schema.Struct({})

/** An address as a number, with its width in bits, or none. */
const toBigInt = (ip: string): Option.Option<{ readonly value: bigint; readonly bits: 32 | 128 }> =>
  Option.flatMap(finding("IP", ip, { confidence: 0 }), ({ value }) => {
    if (!value.includes(":")) {
      return Option.some({
        value: value.split(".").reduce((sum, octet) => (sum << 8n) + BigInt(octet), 0n),
        bits: 32 as const
      })
    }
    if (value.includes(".")) return Option.none()
    const [head = "", tail = ""] = value.split("::")
    const left = head === "" ? [] : head.split(":")
    const right = tail === "" ? [] : tail.split(":")
    const words = value.includes("::")
      ? [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right]
      : left
    return Option.some({ value: words.reduce((sum, word) => (sum << 16n) + BigInt(parseInt(word, 16)), 0n), bits: 128 })
  })

const fromBigInt = (value: bigint, bits: 32 | 128): string =>
  bits === 32
    ? [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".")
    : Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - i * 16)) & 0xffffn).toString(16)).join(":")

/** The fewest CIDR blocks covering exactly start..end. */
export const rangeToCidrs = (start: string, end: string): ReadonlyArray<string> => {
  const from = toBigInt(start)
  const to = toBigInt(end)
  if (Option.isNone(from) || Option.isNone(to) || from.value.bits !== to.value.bits) return []
  const bits = from.value.bits
  const blocks: Array<string> = []
  let current = from.value.value
  const last = to.value.value
  while (current <= last && blocks.length < 64) {
    let size = 0
    while (
      size < bits &&
      (current & ((1n << BigInt(size + 1)) - 1n)) === 0n &&
      current + (1n << BigInt(size + 1)) - 1n <= last
    ) size++
    blocks.push(`${fromBigInt(current, bits)}/${bits - size}`)
    current += 1n << BigInt(size)
  }
  return blocks
}

export const extractFindings = (read: Network, ip: string): ReadonlyArray<Finding> => {
  const { network } = read
  const cidrs = read.cidrs.length > 0
    ? read.cidrs.flatMap((cidr) => {
      const prefix = cidr.v4prefix ?? cidr.v6prefix
      return prefix === undefined ? [] : [`${prefix}/${cidr.length}`]
    })
    : rangeToCidrs(network.startAddress, network.endAddress)
  const details = {
    handle: network.handle ?? null,
    name: network.name ?? null,
    country: network.country ?? null,
    range: `${network.startAddress} - ${network.endAddress}`,
    ip
  }
  const netblocks = cidrs.flatMap((cidr) =>
    Option.toArray(finding("NETBLOCK", cidr, { confidence: 0.95, metadata: details }))
  )
  // The holder is the registrant; abuse desks and technical contacts are often someone else.
  const holders = read.contacts.filter((contact) => contact.roles.includes("registrant"))
  const organizations = Array.from(new Set(holders.flatMap((contact) => contact.organization ?? []))).flatMap((name) =>
    Option.toArray(finding("ORGANIZATION", name, { confidence: 0.9, metadata: { ...details, role: "registrant" } }))
  )
  return [...netblocks, ...organizations]
}

export const rdapIp = defineModule({
  name: "rdap_ip",
  description: "Finds the network block an address belongs to and its holder via RDAP",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["IP"],
  output_types: ["NETBLOCK", "ORGANIZATION"],
  flags: ["passive", "safe"],
  configSchema: RdapIpConfig,
  default_config: {},
  source: rdapSource,
  setup: (config: typeof RdapIpConfig.Type, ctx) =>
    Effect.map(httpSession<typeof RdapIpConfig.Type>("rdap_ip", "rdap")(config, ctx), (session) => ({
      ...session,
      notes: ctx.notes
    })),
  collect: (session, task) =>
    Effect.gen(function*() {
      const ip = yield* targetValue("rdap_ip", task, "IP")
      const response = yield* rdapGet(session.http, `${session.base}/ip/${ip}`)
      if (Option.isNone(response)) {
        yield* session.log("rdap_ip: not found", { ip })
        return []
      }
      const { status, body } = response.value.response
      const network = yield* Either.match(Either.flatMap(Rows.parseJson(body), readNetwork), {
        onLeft: (reason) => Effect.fail(new BadResponse({ reason: `not an RDAP ip network: ${reason}`, status })),
        onRight: Effect.succeed
      })
      if (network.reason !== undefined) yield* session.notes.skipped(network.reason, network.skipped)
      const findings = extractFindings(network, ip)
      yield* session.log("rdap_ip answered", { ip, findings: findings.length })
      return findings
    })
})
