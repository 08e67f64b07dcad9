/**
 * reverse_dns: the names an address's PTR records point back to, asked of the configured
 * resolvers. An address without a PTR record simply has no findings. With `verify_forward`, a name
 * whose forward lookups fail is not confirmed (a warning), and the other names are still checked.
 */
import { Array as Arr, Effect, Option, Ref, Schema } from "effect"
import { addressesOf, dnsSession, dnsSource } from "../internal/Dns.js"
import { uniqueBy } from "../internal/Unique.js"
import { type CollectionNotes, defineModule, type DnsClient, finding, targetValue } from "../Module.js"

export const ReverseDnsConfig = Schema.Struct({
  /** Only report names that resolve back to the address (forward-confirmed reverse DNS). */
  verify_forward: Schema.optionalWith(Schema.Boolean, { default: () => false, exact: true })
})
export type ReverseDnsConfig = typeof ReverseDnsConfig.Type

const canonicalIp = (address: string) =>
  Option.getOrUndefined(Option.map(finding("IP", address, { confidence: 1 }), (found) => found.value))

/** Whether `name` resolves back to `ip` (A or AAAA); lookups that fail are noted, the others still count. */
const resolvesBack = (dns: DnsClient, notes: CollectionNotes, name: string, ip: string) =>
  Effect.gen(function*() {
    const { addresses, failures } = yield* addressesOf(dns, name)
    const confirmed = addresses.some((address) => canonicalIp(address) === ip)
    if (!confirmed && failures[0] !== undefined) {
      yield* notes.warn(`${name} could not be checked forward: ${failures[0].message}`)
    }
    return confirmed
  })

export const reverseDns = defineModule({
  name: "reverse_dns",
  description: "Finds the names an IP address's PTR records point to",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["IP"],
  output_types: ["DOMAIN"],
  flags: ["active", "safe"],
  configSchema: ReverseDnsConfig,
  default_config: { verify_forward: false },
  source: dnsSource,
  setup: (config: ReverseDnsConfig, ctx) =>
    Effect.map(
      dnsSession<ReverseDnsConfig>("reverse_dns")(config, ctx),
      (session) => ({ ...session, notes: ctx.notes })
    ),
  collect: (session, task) =>
    Effect.gen(function*() {
      const ip = yield* targetValue("reverse_dns", task, "IP")
      yield* Ref.update(session.count, (n) => n + 1)
      const names = yield* session.dns.reverse(ip)
      const confirmed = session.config.verify_forward
        ? yield* Effect.filter(names, (name) => resolvesBack(session.dns, session.notes, name, ip), { concurrency: 4 })
        : names
      const findings = Arr.filterMap(confirmed, (name) =>
        finding("DOMAIN", name, {
          confidence: session.config.verify_forward ? 1 : 0.9,
          source_data: { ip, ptr: name },
          metadata: { record_type: "PTR", forward_confirmed: session.config.verify_forward }
        }))
      return uniqueBy(findings, (found) => found.value)
    })
})
