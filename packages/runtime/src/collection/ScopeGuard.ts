/**
 * The scope and SSRF guard: every address a module is about to contact is checked after DNS
 * resolution, at connect time (so a name that resolves public, then private — DNS rebinding — is
 * caught on the connect that would reach the private one). Loopback, private, link-local
 * (cloud metadata), multicast, reserved and documentation ranges are refused unless the
 * operator's allow-list (MIRAGE_ALLOW_NETWORKS) names them. The sandbox (MIRAGE_SANDBOX) allows
 * loopback only: its world's documentation-range addresses are real networks on some hosts, so they
 * are reached through loopback stand-ins (module overrides), never directly; and its names are
 * resolved by the sandbox's own (loopback) DNS servers, never the system's.
 */
import { contains, parseAddress, parseCidr, unsafeCidr } from "@mirage/domain/Cidr"
import type { Cidr } from "@mirage/domain/Cidr"
import { HttpClient, ModuleError } from "@mirage/modules"
import type { ModuleContext } from "@mirage/modules"
import type { Duration } from "effect"
import { Config, ConfigError, Context, Effect, Either, Layer, Option } from "effect"
import { promises as dns } from "node:dns"
import type { LookupAddress } from "node:dns"
import type { LookupFunction } from "node:net"
import { isIP } from "node:net"
import { Agent, buildConnector } from "undici"
import type { Dispatcher } from "undici"
import * as Settings from "./Settings.js"

/** Special-purpose ranges (IANA registries, RFC 6890): never a scan target unless allowed. */
export const blockedRanges: ReadonlyArray<{ readonly cidr: Cidr; readonly kind: string }> = [
  ["0.0.0.0/8", "this network"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "shared address space (CGNAT)"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local (cloud metadata)"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "IETF protocol assignments"],
  ["192.0.2.0/24", "documentation"],
  ["192.88.99.0/24", "6to4 relay anycast"],
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "benchmarking"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved"],
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["64:ff9b::/96", "NAT64"],
  ["64:ff9b:1::/48", "local-use NAT64"],
  ["100::/64", "discard-only"],
  ["2001::/23", "IETF protocol assignments"],
  ["2001:db8::/32", "documentation"],
  ["2002::/16", "6to4"],
  ["3fff::/20", "documentation"],
  ["fc00::/7", "unique local (private)"],
  ["fe80::/10", "link-local"],
  ["fec0::/10", "site-local"],
  ["ff00::/8", "multicast"]
].map(([text = "", kind = ""]) => ({ cidr: unsafeCidr(text), kind }))

/** What the sandbox may contact: loopback, where its fixture world listens, and nothing else. */
export const sandboxNetworks: ReadonlyArray<string> = ["127.0.0.0/8", "::1/128"]

/** Whether `address` is a loopback address (the only kind a sandbox connects to). */
export const isLoopback = (address: string): boolean =>
  Either.match(parseAddress(address), {
    onLeft: () => false,
    onRight: (parsed) => sandboxNetworks.some((text) => contains(unsafeCidr(text), parsed))
  })

export interface NetworkPolicy {
  /** Always allowed, over the blocked ranges. */
  readonly allow: ReadonlyArray<Cidr>
  /** Whether addresses outside every special range may be contacted (not in the sandbox). */
  readonly publicAllowed: boolean
}

/** Production's default: the public internet only. */
export const defaultPolicy: NetworkPolicy = { allow: [], publicAllowed: true }

/** `allow` parsed (CIDRs); `sandbox` allows exactly the sandbox's networks and those. */
export const makePolicy = (
  options: { readonly allow?: ReadonlyArray<string>; readonly sandbox?: boolean }
): Either.Either<NetworkPolicy, string> =>
  Either.map(
    Either.all([...(options.sandbox === true ? sandboxNetworks : []), ...(options.allow ?? [])].map(parseCidr)),
    (allow) => ({ allow, publicAllowed: options.sandbox !== true })
  )

/** Why `address` may not be contacted, or none when it may. */
export const refusal = (policy: NetworkPolicy, address: string): Option.Option<string> =>
  Either.match(parseAddress(address), {
    onLeft: (reason) => Option.some(reason),
    onRight: (parsed) => {
      if (policy.allow.some((cidr) => contains(cidr, parsed))) return Option.none()
      const blocked = blockedRanges.find((range) => contains(range.cidr, parsed))
      if (blocked !== undefined) return Option.some(`${address} is ${blocked.kind} (${blocked.cidr.text})`)
      return policy.publicAllowed ? Option.none() : Option.some(`${address} is outside the sandbox`)
    }
  })

/** The error a refused connect fails with (a Node error, as sockets and undici expect). */
export class AddressRefused extends Error {
  readonly code = HttpClient.outOfScopeCode
  constructor(readonly reason: string) {
    super(`out of scope: ${reason}`)
  }
}

/** Resolves a name to all its addresses; a stub in tests (a resolver that changes its answer). */
export type Resolve = (hostname: string) => Promise<ReadonlyArray<LookupAddress>>

export const systemResolve: Resolve = (hostname) => dns.lookup(hostname, { all: true, verbatim: true })

/** The host part of a resolver given as "ip", "ip:port" or "[ipv6]:port". */
export const serverHost = (server: string): string =>
  isIP(server) !== 0 ? server : (/^\[(.+)\]:\d+$/.exec(server)?.[1] ?? server.replace(/:\d+$/, ""))

/**
 * Resolution through the given DNS servers only (A and AAAA), never the system's resolvers:
 * the sandbox's names live on its own server, and a query for them must not leave loopback.
 */
export const serversResolve = (servers: ReadonlyArray<string>): Resolve => {
  const resolver = new dns.Resolver({ tries: 1, timeout: 2000 })
  if (servers.length > 0) resolver.setServers([...servers])
  return async (hostname) => {
    if (isIP(hostname) !== 0) return [{ address: hostname, family: isIP(hostname) }]
    if (hostname === "localhost") return [{ address: "127.0.0.1", family: 4 }]
    if (servers.length === 0) throw Object.assign(new Error(`no resolver for ${hostname}`), { code: "ENOTFOUND" })
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)])
    const addresses = [
      ...(v4.status === "fulfilled" ? v4.value.map((address) => ({ address, family: 4 })) : []),
      ...(v6.status === "fulfilled" ? v6.value.map((address) => ({ address, family: 6 })) : [])
    ]
    if (addresses.length === 0) throw Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" })
    return addresses
  }
}

const firstRefusal = (policy: NetworkPolicy, addresses: ReadonlyArray<LookupAddress>) =>
  Option.firstSomeOf(addresses.map((entry) => refusal(policy, entry.address)))

/**
 * A `lookup` for sockets (net, tls, undici): resolves, then refuses the connect when any of the
 * addresses is out of scope, so no answer of a rebinding resolver is ever connected to unchecked.
 */
export const guardedLookup =
  (policy: NetworkPolicy, resolve: Resolve = systemResolve): LookupFunction => (hostname, options, callback) => {
    resolve(hostname).then(
      (all) => {
        const addresses = options.family === 4 || options.family === 6
          ? all.filter((entry) => entry.family === options.family)
          : all
        const refused = firstRefusal(policy, all)
        if (Option.isSome(refused)) return callback(new AddressRefused(refused.value), [], 0)
        const first = addresses[0]
        if (first === undefined) {
          return callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), [], 0)
        }
        return options.all === true ? callback(null, [...addresses]) : callback(null, first.address, first.family)
      },
      (error: NodeJS.ErrnoException) => callback(error, [], 0)
    )
  }

/** A host as URLs write it, without the brackets of an IPv6 literal. */
export const bare = (host: string): string => host.replace(/^\[|\]$/g, "")

/** Why an address literal may not be contacted; none when it may, or when the host is a name (checked later). */
export const literalRefusal = (policy: NetworkPolicy, host: string): Option.Option<string> =>
  isIP(bare(host)) === 0 ? Option.none() : refusal(policy, bare(host))

/**
 * The addresses a host stands for (itself when it is an address literal, else what it resolves to now; none when
 * resolution fails or outlasts `within`) and the first refusal among them.
 */
export const checkAddresses = (
  policy: NetworkPolicy,
  resolve: Resolve,
  host: string,
  within?: Duration.DurationInput
): Effect.Effect<{ readonly addresses: ReadonlyArray<string>; readonly refused: Option.Option<string> }> => {
  const resolved = Effect.tryPromise(() => resolve(host))
  const addresses = isIP(bare(host)) !== 0
    ? Effect.succeed([bare(host)])
    : (within === undefined ? resolved : Effect.timeout(resolved, within)).pipe(
      Effect.map((found) => found.map((entry) => entry.address)),
      Effect.orElseSucceed((): ReadonlyArray<string> => [])
    )
  return Effect.map(addresses, (found) => ({
    addresses: found,
    refused: Option.firstSomeOf(found.map((address) => refusal(policy, address)))
  }))
}

/**
 * An undici dispatcher whose every new connection is checked: an address literal directly, a
 * name through `guardedLookup`. Requests through it never reach a refused address.
 */
export const makeDispatcher = (policy: NetworkPolicy, resolve: Resolve = systemResolve): Agent => {
  const base = buildConnector({ lookup: guardedLookup(policy, resolve) })
  const connect: buildConnector.connector = (options, callback) => {
    const refused = literalRefusal(policy, options.hostname)
    if (Option.isSome(refused)) return callback(new AddressRefused(refused.value), null)
    return base(options, callback)
  }
  return new Agent({ connect })
}

/** For raw sockets (port scans, TLS handshakes): the host, or each address it resolves to, checked. */
export const checkHost =
  (policy: NetworkPolicy, resolve: Resolve = systemResolve) =>
  (module: string, host: string): Effect.Effect<void, ModuleError.ModuleConfigError> =>
    // A name that does not resolve is not reached either: the socket will say so.
    Effect.flatMap(checkAddresses(policy, resolve, host), ({ refused }) =>
      Option.match(refused, {
        onNone: () => Effect.void,
        onSome: (reason) =>
          Effect.fail(new ModuleError.ModuleConfigError({ module, reason: `out of scope: ${reason}` }))
      }))

export interface ScopeGuardService extends ModuleContext.AddressGuard {
  readonly policy: NetworkPolicy
  /** The dispatcher of modules' direct (unproxied) HTTP requests. */
  readonly dispatcher: Dispatcher
}

export class ScopeGuard extends Context.Tag("@mirage/runtime/ScopeGuard")<ScopeGuard, ScopeGuardService>() {}

/** A guard over `policy`; its dispatcher is closed with the scope. */
export const make = (policy: NetworkPolicy, resolve: Resolve = systemResolve) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => makeDispatcher(policy, resolve)),
      (agent) => Effect.promise(() => agent.close().catch(() => undefined))
    ),
    (dispatcher): ScopeGuardService => ({
      policy,
      dispatcher,
      check: checkHost(policy, resolve),
      lookup: guardedLookup(policy, resolve)
    })
  )

export const ScopeGuardConfig = Config.all({
  allow: Settings.allowNetworks,
  sandbox: Settings.sandbox,
  dnsServers: Settings.dnsServers
})

const sandboxDnsRefusal = (servers: ReadonlyArray<string>): Option.Option<string> => {
  if (servers.length === 0) return Option.some("the sandbox needs MIRAGE_DNS_SERVERS on loopback")
  const outside = servers.find((server) => !isLoopback(serverHost(server)))
  return outside === undefined ? Option.none() : Option.some(`the sandbox's DNS server ${outside} is not loopback`)
}

export const policyFromConfig = Effect.flatMap(ScopeGuardConfig, (config) =>
  Either.mapLeft(
    makePolicy({
      allow: config.allow.split(",").map((s) => s.trim()).filter((s) => s.length > 0),
      sandbox: config.sandbox
    }),
    (reason) => ConfigError.InvalidData(["MIRAGE_ALLOW_NETWORKS"], reason)
  ))

/**
 * The policy and the resolver configuration gives. In the sandbox, names resolve through MIRAGE_DNS_SERVERS,
 * which must all be loopback (a process refuses to start otherwise).
 */
export const configured = Effect.gen(function*() {
  const config = yield* ScopeGuardConfig
  const policy = yield* policyFromConfig
  if (!config.sandbox) return { policy, resolve: systemResolve }
  const servers = config.dnsServers.split(",").map((s) => s.trim()).filter((s) => s.length > 0)
  const refused = sandboxDnsRefusal(servers)
  if (Option.isSome(refused)) {
    return yield* Effect.fail(ConfigError.InvalidData(["MIRAGE_DNS_SERVERS"], refused.value))
  }
  return { policy, resolve: serversResolve(servers) }
})

/** The guard from configuration (see `configured`). */
export const layer = Layer.scoped(
  ScopeGuard,
  Effect.flatMap(configured, ({ policy, resolve }) => make(policy, resolve))
)

/** A guard over a given policy (tests). */
export const layerWith = (policy: NetworkPolicy, resolve?: Resolve) => Layer.scoped(ScopeGuard, make(policy, resolve))
