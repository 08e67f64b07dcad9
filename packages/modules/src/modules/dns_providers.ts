/**
 * dns_providers: who runs a domain's mail and DNS, and who sends mail for it, by the suffixes of
 * its MX exchanges, NS servers and SPF `include:`/`redirect=` domains (src/internal/Providers.ts).
 * Each provider is an ORGANIZATION with its role and the hosts that name it.
 */
import { Option } from "effect"
import { dnsProviders, mailProviders, providerOf, senders, type SuffixTable } from "../internal/Providers.js"
import { dnsModule } from "../kinds/DnsSource.js"
import { NoConfig } from "../kinds/PagedApi.js"
import { type Finding, finding } from "../Module.js"
import { parseSpf } from "./email_security.js"

type Role = "mail" | "dns" | "email sender"

const tables: Readonly<Record<Role, SuffixTable>> = { mail: mailProviders, dns: dnsProviders, "email sender": senders }

/** One ORGANIZATION per (provider, role), with the hosts that matched. */
export const providerFindings = (
  hosts: ReadonlyArray<readonly [Role, string]>,
  domain: string
): ReadonlyArray<Finding> => {
  const found = new Map<string, { provider: string; role: Role; hosts: Set<string> }>()
  for (const [role, host] of hosts) {
    const provider = providerOf(host, tables[role])
    if (provider === undefined) continue
    const key = `${role}\u0000${provider}`
    const current = found.get(key) ?? { provider, role, hosts: new Set<string>() }
    current.hosts.add(host.toLowerCase().replace(/\.$/, ""))
    found.set(key, current)
  }
  return Array.from(found.values())
    .flatMap(({ hosts, provider, role }) =>
      Option.toArray(finding("ORGANIZATION", provider, {
        confidence: 0.8,
        metadata: { role, domain, hosts: Array.from(hosts).sort() }
      }))
    )
    .sort((a, b) =>
      a.value.localeCompare(b.value) || String(a.metadata["role"]).localeCompare(String(b.metadata["role"]))
    )
}

export const dnsProvidersModule = dnsModule({
  name: "dns_providers",
  title: "Mail and DNS providers",
  description: "Identifies who runs a domain's mail and DNS, and who sends its mail, from its MX, NS and SPF records",
  flags: ["active", "safe"],
  config: NoConfig,
  input_types: ["DOMAIN"],
  output_types: ["ORGANIZATION"],
  questions: (target) => [
    { type: "MX", name: target.value },
    { type: "NS", name: target.value },
    { type: "TXT", name: target.value }
  ],
  findings: (answers, target) => {
    const hosts: Array<readonly [Role, string]> = []
    for (const answer of answers) {
      if (answer.type === "MX") { for (const mx of answer.records) hosts.push(["mail", mx.exchange]) }
      if (answer.type === "NS") { for (const ns of answer.records) hosts.push(["dns", ns]) }
      if (answer.type === "TXT") {
        for (const spf of answer.records.flatMap((text) => parseSpf(text) ?? [])) {
          for (const include of [...spf.includes, ...(spf.redirect === undefined ? [] : [spf.redirect])]) {
            hosts.push(["email sender", include])
          }
        }
      }
    }
    return providerFindings(hosts, target.value)
  }
})
