/** Whether an address lies in a CIDR block, or two blocks overlap (node's BlockList does the arithmetic). */
import { BlockList, isIPv6 } from "node:net"

const family = (ip: string) => (isIPv6(ip) ? "ipv6" : "ipv4")

const split = (cidr: string): { readonly network: string; readonly prefix: number } | undefined => {
  const [network, bits] = cidr.trim().split("/")
  const prefix = Number(bits)
  return network === undefined || !Number.isInteger(prefix) ? undefined : { network, prefix }
}

export const contains = (cidr: string, ip: string): boolean => {
  const block = split(cidr)
  if (block === undefined || family(block.network) !== family(ip)) return false
  try {
    const list = new BlockList()
    list.addSubnet(block.network, block.prefix, family(block.network))
    return list.check(ip, family(ip))
  } catch {
    return false
  }
}

/** Two blocks overlap when either holds the other's first address. */
export const overlaps = (a: string, b: string): boolean => {
  const first = split(a)
  const second = split(b)
  if (first === undefined || second === undefined) return false
  return contains(a, second.network) || contains(b, first.network)
}
