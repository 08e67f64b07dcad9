/**
 * subdomain_takeover: whether a name can be claimed by someone else. Its CNAME chain is followed to
 * the last target; a target that no longer resolves is a dangling CNAME, and the fingerprints of
 * can-i-take-over-xyz (src/data, CC BY 4.0) say whether its service lets anyone claim it. A target
 * that resolves but is on a claimable service is reported with the page fingerprint to check. A
 * random label is also asked under the name: an answer means wildcard DNS, which makes brute-forced
 * and takeover results there unreliable.
 */
import { Effect, Random, Ref } from "effect"
import fingerprints from "../data/can-i-take-over-xyz.json" with { type: "json" }
import { dnsSession, dnsSource } from "../internal/Dns.js"
import { headerFields, NoConfig } from "../kinds/PagedApi.js"
import { defineModule, type DnsClient, type Finding, targetValue } from "../Module.js"
import { inScope } from "../Scope.js"

export interface Fingerprint {
  readonly service: string
  readonly cname: ReadonlyArray<string>
  readonly fingerprint: string
  readonly nxdomain: boolean
  readonly status: string
  readonly vulnerable: boolean
}

/** The services whose CNAME suffix the target has, the claimable ones first. */
export const servicesFor = (
  target: string,
  table: ReadonlyArray<Fingerprint> = fingerprints
): ReadonlyArray<Fingerprint> =>
  table
    .filter((entry) => entry.cname.some((suffix) => inScope(target, suffix)))
    .sort((a, b) => Number(b.vulnerable) - Number(a.vulnerable))

/** How sure a dangling or claimable CNAME is a takeover, and what to check. */
export const assessTakeover = (cname: string, resolves: boolean) => {
  const service = servicesFor(cname)[0]
  if (resolves) {
    return service?.vulnerable === true && !service.nxdomain
      ? { status: "check fingerprint", confidence: 0.3, service: service.service, fingerprint: service.fingerprint }
      : undefined
  }
  if (service === undefined) return { status: "dangling CNAME", confidence: 0.5, service: null, fingerprint: null }
  return {
    status: service.vulnerable ? "dangling CNAME on a claimable service" : `dangling CNAME (${service.status})`,
    confidence: service.vulnerable ? (service.nxdomain ? 0.9 : 0.7) : 0.3,
    service: service.service,
    fingerprint: service.nxdomain ? null : service.fingerprint
  }
}

const maxHops = 8

const addresses = (dns: DnsClient, name: string) =>
  Effect.map(Effect.all([dns.resolve4(name), dns.resolve6(name)], { concurrency: 2 }), ([v4, v6]) => [...v4, ...v6])

/** The CNAME chain from the name: each target in turn, until one has no CNAME (or a loop). */
const chain = (dns: DnsClient, name: string, count: Ref.Ref<number>) =>
  Effect.gen(function*() {
    const hops: Array<string> = []
    let current = name
    for (let i = 0; i < maxHops; i++) {
      yield* Ref.update(count, (n) => n + 1)
      const [target] = yield* dns.resolveCname(current)
      const next = target?.toLowerCase().replace(/\.$/, "")
      if (next === undefined || next === name || hops.includes(next)) break
      current = next
      hops.push(current)
    }
    return hops
  })

export const subdomainTakeover = defineModule({
  ...headerFields({
    name: "subdomain_takeover",
    title: "Subdomain takeover and wildcard DNS",
    description: "Finds dangling CNAMEs a third party could claim (can-i-take-over-xyz fingerprints) and wildcard DNS",
    flags: ["active", "safe"],
    config: NoConfig,
    input_types: ["DOMAIN"],
    output_types: ["DOMAIN"]
  }),
  source: dnsSource,
  setup: dnsSession<typeof NoConfig.Type>("subdomain_takeover"),
  collect: (session, task) =>
    Effect.gen(function*() {
      const domain = yield* targetValue("subdomain_takeover", task, "DOMAIN")
      const { dns, count } = session
      const hops = yield* chain(dns, domain, count)
      const last = hops.at(-1)
      const takeover = last === undefined
        ? undefined
        : assessTakeover(last, (yield* addresses(dns, last)).length > 0)
      const label = `mirage-wildcard-${(yield* Random.nextIntBetween(0, 2 ** 31)).toString(16)}`
      const probe = `${label}.${domain}`
      const [wildcardAddresses, wildcardCname] = yield* Effect.all([addresses(dns, probe), dns.resolveCname(probe)])
      yield* Ref.update(count, (n) => n + 3)
      const wildcard = wildcardAddresses.length > 0 || wildcardCname.length > 0
        ? { probe, addresses: wildcardAddresses, cname: wildcardCname[0] ?? null }
        : undefined
      if (takeover === undefined && wildcard === undefined) return []
      return [
        {
          type: "DOMAIN",
          value: domain,
          // The name's own confidence: it answered. How sure a takeover is goes in `takeover.confidence`.
          confidence: 1,
          source_data: {},
          metadata: {
            ...(takeover === undefined ? {} : { takeover: { ...takeover, cname_chain: hops } }),
            ...(wildcard === undefined ? {} : { wildcard })
          }
        } satisfies Finding
      ]
    })
})
