/**
 * GitHub answers its rate limits with 403 (or 429): the secondary one with `retry-after`, the
 * primary one with `x-ratelimit-remaining: 0` and the reset time. Only other 403s are about
 * the token.
 */
import { Clock, Effect, Option, Schema } from "effect"
import { type HttpResponse, parseRetryAfter } from "../HttpClient.js"
import { RateLimited } from "../ModuleError.js"

const ErrorBody = Schema.parseJson(Schema.Struct({ message: Schema.String }))

export const githubRateLimit = (response: HttpResponse) =>
  Effect.gen(function*() {
    if (response.status !== 403 && response.status !== 429) return Option.none<RateLimited>()
    const retryAfter = yield* parseRetryAfter(response.headers["retry-after"])
    if (Option.isSome(retryAfter)) {
      return Option.some(new RateLimited({ reason: "github secondary rate limit", retryAfterMs: retryAfter.value }))
    }
    const reset = Number(response.headers["x-ratelimit-reset"])
    if (response.headers["x-ratelimit-remaining"] === "0" && Number.isFinite(reset)) {
      const now = yield* Clock.currentTimeMillis
      return Option.some(
        new RateLimited({ reason: "github rate limit exhausted", retryAfterMs: Math.max(0, reset * 1000 - now) })
      )
    }
    const message = Schema.decodeUnknownOption(ErrorBody)(response.body)
    if (Option.isSome(message) && /rate limit/i.test(message.value.message)) {
      return Option.some(new RateLimited({ reason: "github rate limit" }))
    }
    return response.status === 429
      ? Option.some<RateLimited>(new RateLimited({ reason: "github rate limit (HTTP 429)" }))
      : Option.none()
  })
