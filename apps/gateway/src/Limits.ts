/**
 * Input and rate limits at the edge, before routing: a body larger than the limit is refused
 * with 413 (by its Content-Length, and while reading when it has none), and each API key gets a
 * token bucket (shared by gateways through the RateLimiter, i.e. Redis) — 429 with Retry-After.
 * Both answers are RFC 7807 problems, like every other refusal of the API.
 */
import { HttpIncomingMessage, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { HttpApp } from "@effect/platform"
import { problemContentType, problemType } from "@mirage/domain/api/Errors"
import { RateLimiter } from "@mirage/runtime/RateLimiter"
import type { RateLimit } from "@mirage/runtime/RateLimiter"
import { Config, Context, Effect, Layer, Option } from "effect"
import { createHash } from "node:crypto"

export interface ApiLimitsService {
  readonly maxBodyBytes: number
  /** 0 when the client may go on, otherwise ms until its next token. */
  readonly take: (client: string) => Effect.Effect<number>
}

/** Unlimited rate and a 1 MiB body unless a layer says otherwise (tests that do not care). */
export class ApiLimits extends Context.Reference<ApiLimits>()("@mirage/gateway/ApiLimits", {
  defaultValue: (): ApiLimitsService => ({ maxBodyBytes: 1024 * 1024, take: () => Effect.succeed(0) })
}) {}

export const LimitsConfig = Config.all({
  maxBodyBytes: Config.integer("MIRAGE_MAX_BODY_BYTES").pipe(
    Config.withDefault(1024 * 1024),
    Config.withDescription("largest request body accepted (413 beyond)")
  ),
  rate: Config.number("MIRAGE_API_RATE").pipe(
    Config.withDefault(50),
    Config.withDescription("requests per second per API key (0: unlimited)")
  ),
  burst: Config.integer("MIRAGE_API_BURST").pipe(
    Config.withDefault(100),
    Config.withDescription("requests an idle API key may send at once")
  )
})

export interface LimitsSettings {
  readonly maxBodyBytes: number
  /** None: no rate limit. */
  readonly rate: Option.Option<RateLimit>
}

/** Limits over the RateLimiter provided (Redis in production, memory in simulations). */
export const make = (settings: LimitsSettings) =>
  Effect.map(RateLimiter, (limiter): ApiLimitsService => ({
    maxBodyBytes: settings.maxBodyBytes,
    take: (client) =>
      Option.match(settings.rate, {
        onNone: () => Effect.succeed(0),
        onSome: (limit) =>
          limiter.tryAcquire(`api:${client}`, limit).pipe(
            // The limiter's store is down: serve rather than refuse everyone (the stores the
            // request needs will answer 503 themselves if they share the outage).
            Effect.catchAll((error) => Effect.as(Effect.logWarning("API rate limiter unavailable", error), 0))
          )
      })
  }))

export const layerWith = (settings: LimitsSettings) => Layer.effect(ApiLimits, make(settings))

/** Needs RateLimiter. */
export const layer = Layer.unwrapEffect(
  Effect.map(LimitsConfig, (config) =>
    layerWith({
      maxBodyBytes: config.maxBodyBytes,
      rate: config.rate > 0
        ? Option.some({ requests: config.rate, perSeconds: 1, burst: Math.max(1, config.burst) })
        : Option.none()
    }))
)

const problem = (
  status: number,
  slug: string,
  title: string,
  detail: string,
  headers: Record<string, string> = {}
) =>
  HttpServerResponse.unsafeJson({ type: problemType(slug), title, status, detail }, {
    status,
    contentType: problemContentType,
    headers
  })

/**
 * Whose bucket a request spends: the key's hash (the key itself is never kept), else the peer
 * address. Invalid keys get buckets too, which slows guessing.
 */
export const clientOf = (request: HttpServerRequest.HttpServerRequest): string => {
  const authorization = request.headers["authorization"] ?? ""
  const token = /^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim()
  return token === undefined || token.length === 0
    ? `addr:${Option.getOrElse(request.remoteAddress, () => "unknown")}`
    : `key:${createHash("sha256").update(token).digest("hex").slice(0, 32)}`
}

/** Probes are not rate limited. */
const exempt = (url: string) => /^\/health(\/|\?|$)/.test(url)

export const middleware = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const limits = yield* ApiLimits
    const declared = Number(request.headers["content-length"] ?? "0")
    if (Number.isFinite(declared) && declared > limits.maxBodyBytes) {
      return problem(
        413,
        "payload-too-large",
        "Payload too large",
        `the body is ${declared} bytes; at most ${limits.maxBodyBytes} are accepted`
      )
    }
    if (!exempt(request.url)) {
      const waitMs = yield* limits.take(clientOf(request))
      if (waitMs > 0) {
        const seconds = Math.max(1, Math.ceil(waitMs / 1000))
        return problem(
          429,
          "rate-limited",
          "Too many requests",
          `this API key's request rate is exceeded; retry in ${seconds} s`,
          { "retry-after": String(seconds) }
        )
      }
    }
    // A body without Content-Length (chunked) is cut off at the limit while it is read.
    return yield* HttpIncomingMessage.withMaxBodySize(app, Option.some(limits.maxBodyBytes))
  })
