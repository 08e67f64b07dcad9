/**
 * dns_resolve: a domain's addresses (A, AAAA) and the name its CNAME points to, asked of the
 * configured resolvers. A name that does not exist simply has no findings.
 */
import { Array as Arr, Effect, Ref, Schema } from "effect"
import { dnsSession, dnsSource } from "../internal/Dns.js"
import { defineModule, finding, targetValue } from "../Module.js"
import type { Finding } from "../Module.js"

export const DnsResolveConfig = Schema.Struct({
  ipv4: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true }),
  ipv6: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true }),
  cname: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true })
})

const none = Effect.succeed<ReadonlyArray<string>>([])

export const dnsResolve = defineModule({
  name: "dns_resolve",
  description: "Resolves a domain to its IPv4 and IPv6 addresses and its CNAME target",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["DOMAIN"],
  output_types: ["IP", "DOMAIN"],
  flags: ["active", "safe"],
  configSchema: DnsResolveConfig,
  default_config: { ipv4: true, ipv6: true, cname: true },
  source: dnsSource,
  setup: dnsSession<typeof DnsResolveConfig.Type>("dns_resolve"),
  collect: (session, task) =>
    Effect.gen(function*() {
      const name = yield* targetValue("dns_resolve", task, "DOMAIN")
      const { config, dns } = session
      yield* Ref.update(session.count, (n) => n + 1)
      // The three questions are independent; asking them together keeps a task to one round trip.
      const [a, aaaa, cname] = yield* Effect.all([
        config.ipv4 ? dns.resolve4(name) : none,
        config.ipv6 ? dns.resolve6(name) : none,
        config.cname ? dns.resolveCname(name) : none
      ], { concurrency: "unbounded" })
      const of = (type: "IP" | "DOMAIN", record: string, values: ReadonlyArray<string>) =>
        Arr.filterMap(values, (value) =>
          finding(type, value, {
            confidence: 1,
            source_data: { name, record, value },
            metadata: { record_type: record }
          }))
      const findings: ReadonlyArray<Finding> = [
        ...of("IP", "A", a),
        ...of("IP", "AAAA", aaaa),
        ...of("DOMAIN", "CNAME", cname)
      ]
      return Arr.dedupeWith(findings, (x, y) => x.type === y.type && x.value === y.value)
    })
})
