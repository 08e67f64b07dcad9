/**
 * The DNS client modules use, over node:dns with configurable resolvers so tests query the
 * fixture world's server and production the configured (or system) resolvers.
 */
import { Effect, Option } from "effect"
import { promises as dns } from "node:dns"
import { isIP } from "node:net"
import { BadResponse, ModuleConfigError, SourceUnavailable } from "./ModuleError.js"

export interface MxRecord {
  readonly exchange: string
  readonly priority: number
}

export interface SoaRecord {
  readonly nsname: string
  readonly hostmaster: string
  readonly serial: number
  readonly refresh: number
  readonly retry: number
  readonly expire: number
  readonly minttl: number
}

/** A CAA record (RFC 8659) as node:dns reads it: the issuer-critical flag and one tag with its value. */
export interface CaaRecord {
  readonly critical: number
  readonly issue?: string | undefined
  readonly issuewild?: string | undefined
  readonly iodef?: string | undefined
  readonly contactemail?: string | undefined
  readonly contactphone?: string | undefined
}

export type DnsError = SourceUnavailable | BadResponse

/**
 * Lookups by record type. A name that does not exist (NXDOMAIN) or has no record of the type
 * (NODATA) is an empty answer, not an error; SERVFAIL, refusals and timeouts are SourceUnavailable.
 */
export interface DnsClient {
  readonly resolve4: (name: string) => Effect.Effect<ReadonlyArray<string>, DnsError>
  readonly resolve6: (name: string) => Effect.Effect<ReadonlyArray<string>, DnsError>
  readonly resolveCname: (name: string) => Effect.Effect<ReadonlyArray<string>, DnsError>
  readonly resolveMx: (name: string) => Effect.Effect<ReadonlyArray<MxRecord>, DnsError>
  readonly resolveNs: (name: string) => Effect.Effect<ReadonlyArray<string>, DnsError>
  /** Each record is its character-strings, as sent. */
  readonly resolveTxt: (name: string) => Effect.Effect<ReadonlyArray<ReadonlyArray<string>>, DnsError>
  readonly resolveSoa: (name: string) => Effect.Effect<Option.Option<SoaRecord>, DnsError>
  readonly resolveCaa: (name: string) => Effect.Effect<ReadonlyArray<CaaRecord>, DnsError>
  /** PTR names of an IPv4 or IPv6 address. */
  readonly reverse: (ip: string) => Effect.Effect<ReadonlyArray<string>, DnsError>
}

export interface DnsClientOptions {
  /** Per-attempt timeout. */
  readonly timeoutMs?: number
  readonly tries?: number
}

const notFound = new Set(["ENOTFOUND", "ENODATA", "NXDOMAIN"])
const unavailable = new Set([
  "ESERVFAIL",
  "ETIMEOUT",
  "ECONNREFUSED",
  "EREFUSED",
  "EOF",
  "ECANCELLED",
  "EDESTRUCTION",
  "ENOMEM"
])

const codeOf = (cause: unknown): string =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : "EUNKNOWN"

/** Accepts "ip", "ip:port" and "[ipv6]:port", the forms `Resolver.setServers` takes. */
const validServer = (server: string): boolean => {
  if (isIP(server) !== 0) return true
  const match = /^\[(.+)\]:(\d{1,5})$/.exec(server) ?? /^([^:]+):(\d{1,5})$/.exec(server)
  if (!match) return false
  const port = Number(match[2])
  return isIP(match[1]!) !== 0 && port >= 1 && port <= 65535
}

/**
 * A client asking the given resolvers ("ip" or "ip:port"); no servers means the system's
 * resolvers. Fails when a server is not an address, as the runtime should refuse such config.
 */
export const makeDnsClient = (
  servers: ReadonlyArray<string>,
  options: DnsClientOptions = {}
): Effect.Effect<DnsClient, ModuleConfigError> =>
  Effect.gen(function*() {
    const invalid = servers.filter((server) => !validServer(server))
    if (invalid.length > 0) {
      return yield* new ModuleConfigError({ module: "dns", reason: `not a DNS server address: ${invalid.join(", ")}` })
    }
    const resolver = new dns.Resolver({ timeout: options.timeoutMs ?? 5_000, tries: options.tries ?? 2 })
    if (servers.length > 0) resolver.setServers(servers)

    const lookup = <A>(kind: string, name: string, run: () => Promise<A>, empty: A): Effect.Effect<A, DnsError> =>
      Effect.tryPromise({ try: run, catch: (cause) => cause }).pipe(
        Effect.catchAll((cause): Effect.Effect<A, DnsError> => {
          const code = codeOf(cause)
          if (notFound.has(code)) return Effect.succeed(empty)
          const reason = `DNS ${kind} ${name}: ${code}`
          return unavailable.has(code)
            ? Effect.fail(new SourceUnavailable({ reason, cause }))
            : Effect.fail(new BadResponse({ reason, cause }))
        }),
        // A client span per lookup, as HTTP requests have: what was asked, of which servers.
        Effect.withSpan(`DNS ${kind}`, {
          kind: "client",
          captureStackTrace: false,
          attributes: { "dns.question.name": name, "dns.question.type": kind, "server.address": servers.join(",") }
        })
      )

    return {
      resolve4: (name) => lookup("A", name, () => resolver.resolve4(name), []),
      resolve6: (name) => lookup("AAAA", name, () => resolver.resolve6(name), []),
      resolveCname: (name) => lookup("CNAME", name, () => resolver.resolveCname(name), []),
      resolveMx: (name) => lookup("MX", name, () => resolver.resolveMx(name), []),
      resolveNs: (name) => lookup("NS", name, () => resolver.resolveNs(name), []),
      resolveTxt: (name) => lookup("TXT", name, () => resolver.resolveTxt(name), []),
      resolveSoa: (name) =>
        lookup("SOA", name, () => resolver.resolveSoa(name).then(Option.some<SoaRecord>), Option.none<SoaRecord>()),
      resolveCaa: (name) => lookup("CAA", name, () => resolver.resolveCaa(name), []),
      reverse: (ip) => lookup("PTR", ip, () => resolver.reverse(ip), [])
    }
  })

/** The client with `around` wrapped round every lookup: how the runtime puts its rate limit in front of each. */
export const aroundLookups = (
  dns: DnsClient,
  around: <A>(lookup: Effect.Effect<A, DnsError>) => Effect.Effect<A, DnsError>
): DnsClient => ({
  resolve4: (name) => around(dns.resolve4(name)),
  resolve6: (name) => around(dns.resolve6(name)),
  resolveCname: (name) => around(dns.resolveCname(name)),
  resolveMx: (name) => around(dns.resolveMx(name)),
  resolveNs: (name) => around(dns.resolveNs(name)),
  resolveTxt: (name) => around(dns.resolveTxt(name)),
  resolveSoa: (name) => around(dns.resolveSoa(name)),
  resolveCaa: (name) => around(dns.resolveCaa(name)),
  reverse: (ip) => around(dns.reverse(ip))
})
