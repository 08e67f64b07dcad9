/**
 * What a module is given to reach the outside world: its HTTP and DNS clients, the base URLs
 * of its sources, its credentials, a log and the node's shared lists. All of it comes from configuration.
 */
import type { Redacted } from "effect"
import { Context, Effect, Option, Ref } from "effect"
import type { LookupFunction } from "node:net"
import { type CollectionNotes, makeNotes } from "./CollectionNotes.js"
import { type DnsClient, makeDnsClient } from "./DnsClient.js"
import { type HttpClient, makeHttpClient } from "./HttpClient.js"
import { AuthFailed, ModuleConfigError } from "./ModuleError.js"
import type { ModuleError } from "./ModuleError.js"
import { type SharedLists, unshared } from "./SharedLists.js"

/**
 * The runtime's scope guard, for modules that open sockets themselves (port scans, TLS
 * handshakes): check the host before connecting and connect with `lookup`, which re-checks
 * every address a name resolves to. HTTP requests are guarded inside `http`.
 */
export interface AddressGuard {
  /** Fails (ModuleConfigError) when the host, or an address it resolves to, is out of scope. */
  readonly check: (module: string, host: string) => Effect.Effect<void, ModuleConfigError>
  readonly lookup: LookupFunction
}

export interface ModuleContext {
  /** Absent when nothing guards the addresses (unit tests, the fixture world). */
  readonly guard?: AddressGuard
  readonly http: HttpClient
  readonly dns: DnsClient
  /** Base URLs by source id (`endpoints.crtsh`), without a trailing slash. */
  readonly endpoints: Readonly<Record<string, string>>
  /** The key for the module's source, if one is configured. Never log it. */
  readonly credentials: () => Option.Option<Redacted.Redacted<string>>
  readonly log: (message: string, fields?: Readonly<Record<string, unknown>>) => Effect.Effect<void>
  /** Rows skipped and warnings, for the task's collection log summary. */
  readonly notes: CollectionNotes
  /**
   * Waits for one request's token of the source's rate limit. `http` and `dns` take theirs themselves; a module that
   * speaks another protocol (a database, a socket) takes one before each request it sends.
   */
  readonly throttle: Effect.Effect<void, ModuleError>
  /** Whole lists of the source (a catalog, a feed) loaded once and shared by the node's tasks for the source's TTL. */
  readonly lists: SharedLists
}

export const ModuleContext = Context.GenericTag<ModuleContext>("@mirage/modules/ModuleContext")

/**
 * Where the sources are: base URLs by source id, and the DNS resolvers ("ip" or "ip:port";
 * empty for the system's). Tests get this from the fixture world, production from config.
 */
export interface ModuleEndpoints {
  readonly dnsServers: ReadonlyArray<string>
  readonly [source: string]: string | ReadonlyArray<string>
}

export interface ModuleContextOptions {
  /** The module the context is for: names it in logs and errors. */
  readonly module: string
  readonly endpoints: ModuleEndpoints
  readonly credentials?: Redacted.Redacted<string>
  /** Replace the default clients, e.g. with the runtime's rate-limited wrappers. */
  readonly http?: HttpClient
  readonly dns?: DnsClient
  readonly guard?: AddressGuard
  readonly log?: ModuleContext["log"]
  /** Where rows skipped and warnings go; kept in memory (and logged) when absent. */
  readonly notes?: CollectionNotes
  readonly timeoutMs?: number
  /** The source's rate limit for other protocols; none by default. */
  readonly throttle?: Effect.Effect<void, ModuleError>
  /** The node's shared lists; none by default (every task loads its own). */
  readonly lists?: SharedLists
}

const baseUrls = (module: string, endpoints: ModuleEndpoints) =>
  Effect.gen(function*() {
    const urls: Record<string, string> = {}
    for (const [source, value] of Object.entries(endpoints)) {
      if (typeof value !== "string") continue
      const valid = URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)
      if (!valid) {
        return yield* new ModuleConfigError({ module, reason: `endpoint ${source} is not an http(s) URL: ${value}` })
      }
      urls[source] = value.replace(/\/+$/, "")
    }
    return urls
  })

/** A context over the default undici and node:dns clients, unless given others. */
export const makeModuleContext = (options: ModuleContextOptions): Effect.Effect<ModuleContext, ModuleConfigError> =>
  Effect.gen(function*() {
    const endpoints = yield* baseUrls(options.module, options.endpoints)
    const dns = options.dns ??
      (yield* makeDnsClient(
        options.endpoints.dnsServers,
        options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }
      ))
    const http = options.http ??
      makeHttpClient({
        label: options.module,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs })
      })
    const credentials = Option.fromNullable(options.credentials)
    const log: ModuleContext["log"] = options.log ??
      ((message, fields = {}) =>
        Effect.logDebug(message).pipe(Effect.annotateLogs({ ...fields, module: options.module })))
    return {
      ...(options.guard === undefined ? {} : { guard: options.guard }),
      http,
      dns,
      endpoints,
      credentials: () => credentials,
      log,
      notes: options.notes ?? (yield* makeNotes(log)),
      throttle: options.throttle ?? Effect.void,
      lists: options.lists ?? unshared
    }
  })

/** The base URL configured for `source`, or a configuration error naming it. */
export const endpoint = (
  ctx: ModuleContext,
  module: string,
  source: string
): Effect.Effect<string, ModuleConfigError> =>
  Option.match(Option.fromNullable(ctx.endpoints[source]), {
    onNone: () => Effect.fail(new ModuleConfigError({ module, reason: `no endpoint configured for ${source}` })),
    onSome: Effect.succeed
  })

/** A session that counts what the module does (lookups, probes, pages…) and logs the count when it closes. */
export const countedSession = <Config>(module: string, counted: string) => (config: Config, ctx: ModuleContext) =>
  Effect.gen(function*() {
    const count = yield* Ref.make(0)
    yield* Effect.addFinalizer(() =>
      Effect.flatMap(Ref.get(count), (n) => ctx.log(`${module} session closed`, { [counted]: n }))
    )
    return { config, http: ctx.http, dns: ctx.dns, log: ctx.log, count }
  })

/** The session of a module over one HTTP source: its config, the source's base URL, the client, the log and the
 * source's key when one is configured. */
export const httpSession = <Config>(module: string, source: string) => (config: Config, ctx: ModuleContext) =>
  Effect.map(endpoint(ctx, module, source), (base) => ({
    config,
    base,
    http: ctx.http,
    log: ctx.log,
    key: ctx.credentials()
  }))

/** The source's key, or AuthFailed when none is configured: for modules whose source requires one. */
export const apiKey = (ctx: ModuleContext, source: string): Effect.Effect<Redacted.Redacted<string>, AuthFailed> =>
  Option.match(ctx.credentials(), {
    onNone: () => Effect.fail(new AuthFailed({ reason: `no API key configured for ${source}` })),
    onSome: Effect.succeed
  })
