/**
 * IP addresses and CIDR ranges as numbers, so a range check is two comparisons. IPv4-mapped
 * IPv6 addresses (`::ffff:a.b.c.d`) are their IPv4 address: a guard must not be fooled by them.
 */
import { Either } from "effect"
import { isIPv4, isIPv6 } from "node:net"

export interface Address {
  readonly family: 4 | 6
  readonly value: bigint
}

export interface Cidr {
  readonly family: 4 | 6
  readonly first: bigint
  readonly last: bigint
  readonly text: string
}

const v4Value = (text: string): bigint => text.split(".").reduce((out, part) => (out << 8n) | BigInt(Number(part)), 0n)

const v6Value = (text: string): bigint => {
  // A trailing dotted quad (`::ffff:1.2.3.4`) is the last two groups.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  const head = dotted === null ? text : dotted[1] ?? ""
  const tail = dotted === null ? [] : (() => {
    const v4 = v4Value(dotted[2] ?? "0.0.0.0")
    return [(v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16)]
  })()
  const [left = "", right] = head.split("::")
  const parse = (part: string) => part.split(":").filter((group) => group.length > 0)
  const leftGroups = parse(left)
  const rightGroups = [...(right === undefined ? [] : parse(right)), ...tail]
  const middle = right === undefined && tail.length === 0
    ? []
    : Array.from({ length: 8 - leftGroups.length - rightGroups.length }, () => "0")
  const groups = right === undefined ? [...leftGroups, ...tail] : [...leftGroups, ...middle, ...rightGroups]
  return groups.reduce((out, group) => (out << 16n) | BigInt(parseInt(group, 16)), 0n)
}

const mappedPrefix = 0xffffn << 32n

/** An address, without brackets or zone (`[fe80::1%eth0]` is `fe80::1`); IPv4-mapped IPv6 becomes IPv4. */
export const parseAddress = (input: string): Either.Either<Address, string> => {
  const text = input.replace(/^\[|\]$/g, "").replace(/%.*$/, "")
  if (isIPv4(text)) return Either.right({ family: 4, value: v4Value(text) })
  if (isIPv6(text)) {
    const value = v6Value(text)
    return value >> 32n === mappedPrefix >> 32n
      ? Either.right({ family: 4, value: value & 0xffffffffn })
      : Either.right({ family: 6, value })
  }
  return Either.left(`not an IP address: ${input}`)
}

/** `10.0.0.0/8`, `2001:db8::/32`; a bare address is its own /32 or /128. */
export const parseCidr = (input: string): Either.Either<Cidr, string> => {
  const text = input.trim()
  const [base = "", bits] = text.split("/")
  return Either.flatMap(parseAddress(base), (address) => {
    const width = address.family === 4 ? 32 : 128
    const prefix = bits === undefined ? width : Number(bits)
    if (!/^\d*$/.test(bits ?? "") || !Number.isInteger(prefix) || prefix < 0 || prefix > width) {
      return Either.left(`not a CIDR range: ${input}`)
    }
    const hostBits = BigInt(width - prefix)
    const first = (address.value >> hostBits) << hostBits
    return Either.right({ family: address.family, first, last: first + (1n << hostBits) - 1n, text })
  })
}

export const contains = (cidr: Cidr, address: Address): boolean =>
  cidr.family === address.family && address.value >= cidr.first && address.value <= cidr.last

/** Ranges written in source, known to be valid. */
export const unsafeCidr = (text: string): Cidr =>
  Either.getOrElse(parseCidr(text), () => ({ family: 4, first: 1n, last: 0n, text: "invalid" }))
