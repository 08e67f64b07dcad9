/**
 * A 429 whose wait a source states in a header of its own (ip-api's `X-Ttl`) instead of
 * Retry-After: RateLimited with that wait, so the runtime backs off as long as the source asks.
 */
import { Effect, Option } from "effect"
import { type HttpResponse, parseRetryAfter } from "../HttpClient.js"
import { type ModuleError, RateLimited } from "../ModuleError.js"

export const ownRateLimit =
  (source: string, header: string) => (response: HttpResponse): Effect.Effect<Option.Option<ModuleError>> =>
    response.status !== 429 || response.headers["retry-after"] !== undefined
      ? Effect.succeed(Option.none())
      : Effect.map(parseRetryAfter(response.headers[header]), (wait) =>
        Option.some(
          new RateLimited({
            reason: `${source} rate limited (HTTP 429)`,
            ...Option.match(wait, { onNone: () => ({}), onSome: (retryAfterMs) => ({ retryAfterMs }) })
          })
        ))
