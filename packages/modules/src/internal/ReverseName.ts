/**
 * An address as the DNS zones keyed by address spell it (`in-addr.arpa`, Team Cymru, DNSBLs):
 * IPv4 octets reversed (`4.3.2.1`), IPv6 as its 32 nibbles reversed (`b.a.9.8.…`).
 */
import { isIPv4, isIPv6 } from "node:net"

/** The eight 16-bit groups of an IPv6 address, each four hex digits. */
const ipv6Groups = (ip: string): ReadonlyArray<string> => {
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(ip)?.[1]
  const hex = dotted === undefined ? ip : ip.replace(dotted, toGroups(dotted))
  const [head = "", tail] = hex.split("::")
  const left = head === "" ? [] : head.split(":")
  const right = tail === undefined || tail === "" ? [] : tail.split(":")
  const zeros = Array<string>(8 - left.length - right.length).fill("0")
  return [...left, ...(tail === undefined ? [] : zeros), ...right].map((group) => group.padStart(4, "0"))
}

/** A dotted IPv4 tail (`::ffff:1.2.3.4`) as two hex groups. */
const toGroups = (dotted: string): string => {
  const [a = 0, b = 0, c = 0, d = 0] = dotted.split(".").map(Number)
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
}

/** The address's labels, least significant first; undefined when it is not an address. */
export const reversedLabels = (ip: string): string | undefined => {
  if (isIPv4(ip)) return ip.split(".").reverse().join(".")
  if (isIPv6(ip)) return ipv6Groups(ip.toLowerCase()).join("").split("").reverse().join(".")
  return undefined
}
