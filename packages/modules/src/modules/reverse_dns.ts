/**
 * reverse_dns: the names an address's PTR records point back to, asked of the configured
 * resolvers. An address without a PTR record simply has no findings.
 */
import { Array as Arr, Effect, Option, Ref, Schema } from "effect"
import { dnsSession, dnsSource } from "../internal/Dns.js"
import { defineModule, finding, targetValue } from "../Module.js"

export const ReverseDnsConfig = Schema.Struct({
  /** Only report names that resolve back to the address (forward-confirmed reverse DNS). */
  verify_forward: Schema.optionalWith(Schema.Boolean, { default: () => false, exact: true })
})
export type ReverseDnsConfig = typeof ReverseDnsConfig.Type

const canonicalIp = (address: string) =>
  Option.getOrUndefined(Option.map(finding("IP", address, { confidence: 1 }), (found) => found.value))

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
  setup: dnsSession<typeof ReverseDnsConfig.Type>("reverse_dns"),
  collect: (session, task) =>
    Effect.gen(function*() {
      const ip = yield* targetValue("reverse_dns", task, "IP")
      yield* Ref.update(session.count, (n) => n + 1)
      const names = yield* session.dns.reverse(ip)
      const confirmed = session.config.verify_forward
        ? yield* Effect.filter(names, (name) =>
          Effect.map(
            Effect.all([session.dns.resolve4(name), session.dns.resolve6(name)], { concurrency: "unbounded" }),
            ([v4, v6]) => [...v4, ...v6].some((address) => canonicalIp(address) === ip)
          ), { concurrency: 4 })
        : names
      const findings = Arr.filterMap(confirmed, (name) =>
        finding("DOMAIN", name, {
          confidence: session.config.verify_forward ? 1 : 0.9,
          source_data: { ip, ptr: name },
          metadata: { record_type: "PTR", forward_confirmed: session.config.verify_forward }
        }))
      return Arr.dedupeWith(findings, (x, y) => x.value === y.value)
    })
})
