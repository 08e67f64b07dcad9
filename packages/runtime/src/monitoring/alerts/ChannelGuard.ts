/**
 * The guard over alert channels' addresses: webhook, Slack, Teams, Discord and Telegram URLs and SMTP hosts are
 * user input, so they pass the scope guard modules pass (MIRAGE_ALLOW_NETWORKS, MIRAGE_SANDBOX): no private,
 * loopback, link-local (cloud metadata) or reserved address unless the operator allows it. URLs are https; plain
 * http only to loopback or with MIRAGE_ALERT_CHANNEL_HTTP. A target is checked when it is written (a refusal names
 * the field) and again before every delivery, whose connections are checked once more at connect time (a name
 * may resolve elsewhere by then).
 */
import type { ChannelTarget } from "@mirage/domain/AlertChannels"
import { Context, Data, Duration, Effect, Layer, Option } from "effect"
import type { LookupFunction } from "node:net"
import type { Dispatcher } from "undici"
import * as ScopeGuard from "../../collection/ScopeGuard.js"
import type { NetworkPolicy, Resolve } from "../../collection/ScopeGuard.js"
import * as Settings from "./Settings.js"

/** Why a channel's target is refused, and which of its fields (`target.webhook_url`, `target.host`). */
export class ChannelRefused extends Data.TaggedError("ChannelRefused")<{
  readonly field: string
  readonly reason: string
}> {}

export interface ChannelGuardService {
  /** Refuses a target with an address out of scope, or a URL that is not https where https is required. */
  readonly check: (target: ChannelTarget) => Effect.Effect<void, ChannelRefused>
  /** The dispatcher of channels' HTTP requests: every connection checked at connect time. */
  readonly dispatcher: Dispatcher
  /** The lookup of channels' sockets (SMTP): a name resolving out of scope is not connected to. */
  readonly lookup: LookupFunction
  readonly policy: NetworkPolicy
}

export class ChannelGuard extends Context.Tag("@mirage/runtime/ChannelGuard")<ChannelGuard, ChannelGuardService>() {}

export interface ChannelGuardOptions {
  /** Plain http:// to any allowed address (not only loopback). */
  readonly allowHttp: boolean
}

/** The URL fields and host fields of each kind of target, by name. */
const addressesOf = (
  target: ChannelTarget
): {
  readonly urls: ReadonlyArray<readonly [string, string]>
  readonly hosts: ReadonlyArray<readonly [string, string]>
} => {
  switch (target._tag) {
    case "webhook":
      return { urls: [["target.url", target.url]], hosts: [] }
    case "slack":
    case "teams":
    case "discord":
      return { urls: [["target.webhook_url", target.webhook_url]], hosts: [] }
    case "telegram":
      return { urls: [["target.api_base", target.api_base]], hosts: [] }
    case "email":
      return { urls: [], hosts: [["target.host", target.host]] }
  }
}

/** localhost is loopback, whatever the resolver says. */
const localhostOr = (resolve: Resolve): Resolve => (host) =>
  host === "localhost" ? Promise.resolve([{ address: "127.0.0.1", family: 4 }]) : resolve(host)

/** A resolution that takes longer says nothing: the connect-time check still stands. */
const resolveWithin = Duration.seconds(5)

export const make = (policy: NetworkPolicy, resolve: Resolve, options: ChannelGuardOptions) =>
  Effect.map(ScopeGuard.make(policy, resolve), (scope): ChannelGuardService => {
    /** The host's addresses, or the refusal naming the field. */
    const checkHost = (field: string, host: string) =>
      Effect.flatMap(
        ScopeGuard.checkAddresses(policy, localhostOr(resolve), host, resolveWithin),
        ({ addresses, refused }) =>
          Option.match(refused, {
            onNone: () => Effect.succeed(addresses),
            onSome: (reason) =>
              Effect.fail(
                new ChannelRefused({
                  field,
                  reason: `${host} is not an allowed address: ${reason} (MIRAGE_ALLOW_NETWORKS allows a network)`
                })
              )
          })
      )
    const checkUrl = (field: string, text: string) =>
      Effect.gen(function*() {
        const url = URL.canParse(text) ? new URL(text) : undefined
        if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")) {
          return yield* new ChannelRefused({ field, reason: "an https URL is required" })
        }
        const found = yield* checkHost(field, url.hostname)
        const loopback = found.length > 0 && found.every(ScopeGuard.isLoopback)
        if (url.protocol === "http:" && !options.allowHttp && !loopback) {
          return yield* new ChannelRefused({
            field,
            reason: "an https URL is required (http only to loopback, or with MIRAGE_ALERT_CHANNEL_HTTP)"
          })
        }
      })
    return {
      policy,
      dispatcher: scope.dispatcher,
      lookup: scope.lookup,
      check: (target) => {
        const { hosts, urls } = addressesOf(target)
        return Effect.zipRight(
          Effect.forEach(urls, ([field, url]) => checkUrl(field, url), { discard: true }),
          Effect.forEach(hosts, ([field, host]) => checkHost(field, host), { discard: true })
        )
      }
    }
  })

/** The guard over the scope guard's configuration (policy, sandbox resolvers) and MIRAGE_ALERT_CHANNEL_HTTP. */
export const layer = Layer.scoped(
  ChannelGuard,
  Effect.gen(function*() {
    const { policy, resolve } = yield* ScopeGuard.configured
    const allowHttp = yield* Settings.channelHttp
    return yield* make(policy, resolve, { allowHttp })
  })
)

/** A guard over a given policy and resolver (tests). */
export const layerWith = (
  policy: NetworkPolicy,
  options: ChannelGuardOptions = { allowHttp: false },
  resolve: Resolve = ScopeGuard.systemResolve
) => Layer.scoped(ChannelGuard, make(policy, resolve, options))
