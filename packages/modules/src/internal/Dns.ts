/** What the modules that ask the configured DNS resolvers share: their data source, a counted session, addresses. */
import { Effect, Either } from "effect"
import type { DataSource, DnsClient } from "../Module.js"
import { countedSession } from "../ModuleContext.js"

/** The resolvers, one source for every DNS module: one rate limit over all their lookups. */
export const dnsSource: DataSource = {
  id: "dns",
  name: "DNS resolvers",
  rateLimit: { requests: 50, perSeconds: 1, burst: 100 },
  requiresKey: false,
  proxy: false
}

/** A DNS module's session, counting its lookups. */
export const dnsSession = <Config>(module: string) => countedSession<Config>(module, "lookups")

/**
 * A name's addresses (A, then AAAA) and the lookups that failed: one family failing leaves the other's.
 * One after the other, in the caller's fiber: forking two fibers per name was most of what a
 * 50,000-word dns_brute allocated (and so of its garbage-collection pauses).
 */
export const addressesOf = (dns: DnsClient, name: string) =>
  Effect.map(
    Effect.all([Effect.either(dns.resolve4(name)), Effect.either(dns.resolve6(name))]),
    (lookups) => ({
      addresses: lookups.filter(Either.isRight).flatMap((lookup) => lookup.right),
      failures: lookups.filter(Either.isLeft).map((lookup) => lookup.left)
    })
  )
