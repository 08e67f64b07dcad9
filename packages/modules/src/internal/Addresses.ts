/** The addresses sources list beside host names, as IP findings: only those of names under the target domain. */
import { Option } from "effect"
import { type Finding, finding } from "../Module.js"
import { inScope } from "../Scope.js"

/** Each address of an in-scope host once, with the hosts it was listed for (sorted). */
export const addressFindings = (
  pairs: Iterable<readonly [host: string, ip: string]>,
  domain: string,
  confidence: number
): ReadonlyArray<Finding> => {
  const hosts = new Map<string, { readonly finding: Finding; readonly names: Set<string> }>()
  for (const [host, ip] of pairs) {
    const name = finding("DOMAIN", host, { confidence: 0 })
    const address = finding("IP", ip, { confidence })
    if (Option.isNone(name) || Option.isNone(address) || !inScope(name.value.value, domain)) continue
    const current = hosts.get(address.value.value) ?? { finding: address.value, names: new Set<string>() }
    current.names.add(name.value.value)
    hosts.set(address.value.value, current)
  }
  return Array.from(hosts.values(), ({ finding, names }): Finding => ({
    ...finding,
    metadata: { hostnames: Array.from(names).sort() }
  })).sort((a, b) => a.value.localeCompare(b.value))
}
