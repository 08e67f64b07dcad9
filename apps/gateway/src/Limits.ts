/**
 * Input and rate limits at the edge, before routing: a body larger than the limit is refused
 * with 413 (by its Content-Length, and while reading when it has none), and each API key gets a
 * token bucket (shared by gateways through the RateLimiter, i.e. Redis, and taken a few tokens at a time) — 429 with
 * Retry-After.
 * Both answers are RFC 7807 problems, like every other refusal of the API.
 */
import { HttpIncomingMessage, HttpMethod, HttpServerError, HttpServerRequest, UrlParams } from "@effect/platform"
import type { HttpApp } from "@effect/platform"
import { NodeHttpServerRequest } from "@effect/platform-node"
import { bucketOf, RateLimiter } from "@mirage/runtime/collection/RateLimiter"
import type { RateLimit } from "@mirage/runtime/collection/RateLimiter"
import { Clock, Config, Context, Effect, Layer, Option, Stream } from "effect"
import { hash } from "node:crypto"
import { problemResponse as problem } from "./Problem.js"
import * as Settings from "./Settings.js"

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
  maxBodyBytes: Settings.maxBodyBytes,
  rate: Settings.apiRate,
  burst: Settings.apiBurst
})

export interface LimitsSettings {
  readonly maxBodyBytes: number
  /** None: no rate limit. */
  readonly rate: Option.Option<RateLimit>
}

/**
 * How a gateway spends a key's shared bucket: it takes up to `leaseMost` tokens in one round trip and serves the key's
 * next requests from them, for at most `leaseMs`. Every token served came out of the shared bucket, so a key never gets
 * more than its rate and burst, however many gateways serve it; tokens a gateway took and did not spend in time lapse,
 * so a key sending close to its limit through several gateways may be refused up to that many tokens early. A key the
 * bucket refused is refused by this gateway, without asking, until the bucket said a token may be there.
 */
export const leaseMs = 100
const leaseMost = 100

/** Tokens taken at once for `limit`: what it refills in `leaseMs`, at most a tenth of the burst; one for slow limits. */
export const leaseSize = (limit: RateLimit): number => {
  const { capacity, perMs } = bucketOf(limit)
  return Math.max(1, Math.min(leaseMost, Math.floor(perMs * leaseMs), Math.floor(capacity / 10)))
}

/** Keys holding tokens at most; past that the leases start over (each key then asks the bucket again). */
const leasesKept = 10_000

/** A key's tokens in hand until `until`, or, once the bucket said to wait (`refused`), none until then. */
interface Lease {
  tokens: number
  readonly until: number
  readonly refused: boolean
}

/** Limits over the RateLimiter provided (Redis in production, memory in simulations). */
export const make = (settings: LimitsSettings) =>
  Effect.map(RateLimiter, (limiter): ApiLimitsService => {
    const leases = new Map<string, Lease>()
    const keep = (client: string, lease: Lease) => {
      if (leases.size >= leasesKept) leases.clear()
      leases.set(client, lease)
    }
    const lease = (client: string, limit: RateLimit, size: number) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const held = leases.get(client)
        if (held !== undefined && held.until > now) {
          if (held.tokens > 0) {
            held.tokens--
            return Effect.succeed(0)
          }
          // The shared bucket has no token for anyone before then.
          if (held.refused) return Effect.succeed(held.until - now)
        }
        return limiter.tryAcquireUpTo(`api:${client}`, limit, size).pipe(
          Effect.map(({ taken, waitMs }) => {
            const kept = leases.get(client)
            if (taken === 0) keep(client, { tokens: 0, until: now + waitMs, refused: true })
            else if (kept !== undefined && kept.until > now && !kept.refused) kept.tokens += taken - 1
            else if (taken > 1) keep(client, { tokens: taken - 1, until: now + leaseMs, refused: false })
            else leases.delete(client)
            return waitMs
          }),
          // The limiter's store is down: serve rather than refuse everyone (the stores the
          // request needs will answer 503 themselves if they share the outage).
          Effect.catchAll((error) => Effect.as(Effect.logWarning("API rate limiter unavailable", error), 0))
        )
      })
    return {
      maxBodyBytes: settings.maxBodyBytes,
      take: Option.match(settings.rate, {
        onNone: () => () => Effect.succeed(0),
        onSome: (limit) => {
          const size = leaseSize(limit)
          return (client) => lease(client, limit, size)
        }
      })
    }
  })

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

/**
 * Whose bucket a request spends: the key's hash (the key itself is never kept), else the peer
 * address. Invalid keys get buckets too, which slows guessing.
 */
export const clientOf = (request: HttpServerRequest.HttpServerRequest): string => {
  const authorization = request.headers["authorization"] ?? ""
  const token = /^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim()
  return token === undefined || token.length === 0
    ? `addr:${Option.getOrElse(request.remoteAddress, () => "unknown")}`
    : `key:${hash("sha256", token, "hex").slice(0, 32)}`
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
    if (request.headers["content-length"] === undefined && request.headers["transfer-encoding"] !== undefined) {
      const body = yield* readChunked(request, limits.maxBodyBytes)
      if (body === undefined) {
        return problem(
          413,
          "payload-too-large",
          "Payload too large",
          `the body is larger than ${limits.maxBodyBytes} bytes, the most accepted`,
          { connection: "close" }
        )
      }
      return yield* Effect.provideService(app, HttpServerRequest.HttpServerRequest, withBody(request, body))
    }
    // A method without a body (as the router reads them) has none read: no limit to set for it, nor its context's
    // copy. Any body it declared was checked above.
    if (!HttpMethod.hasBody(request.method)) return yield* app
    return yield* HttpIncomingMessage.withMaxBodySize(app, Option.some(limits.maxBodyBytes))
  })

/**
 * A body without Content-Length (chunked), read up to the limit; undefined beyond it. The platform's own limit
 * destroys the socket when it trips, so the client would get no answer: here the rest is drained unread and the
 * 413 goes out before the connection closes.
 */
const readChunked = (request: HttpServerRequest.HttpServerRequest, maxBytes: number) =>
  Effect.async<Buffer | undefined>((resume) => {
    const source = NodeHttpServerRequest.toIncomingMessage(request)
    const chunks: Array<Buffer> = []
    let size = 0
    let done = false
    const finish = (body: Buffer | undefined) => {
      if (done) return
      done = true
      source.off("data", onData)
      resume(Effect.succeed(body))
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        chunks.length = 0
        // Keeps reading (and dropping) so that the answer is not stuck behind an unread body.
        source.resume()
        return finish(undefined)
      }
      chunks.push(chunk)
    }
    source.on("data", onData)
    source.once("end", () => finish(Buffer.concat(chunks)))
    source.once("error", () => finish(undefined))
  })

/**
 * The request with its body already read: the body accessors answer from it, everything else (headers, socket,
 * the response the server writes to) is the original request's.
 */
const withBody = (request: HttpServerRequest.HttpServerRequest, body: Buffer): HttpServerRequest.HttpServerRequest => {
  const text = body.toString("utf8")
  const decodeError = (cause: unknown) => new HttpServerError.RequestError({ request, reason: "Decode", cause })
  const accessors: Record<PropertyKey, unknown> = {
    text: Effect.succeed(text),
    json: Effect.try({ try: () => JSON.parse(text) as unknown, catch: decodeError }),
    urlParamsBody: Effect.try({ try: () => UrlParams.fromInput(new URLSearchParams(text)), catch: decodeError }),
    arrayBuffer: Effect.sync(() => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)),
    stream: Stream.succeed(new Uint8Array(body)),
    // A router that rewrites the URL (a mounted prefix) keeps the body that was read.
    modify: (options: Parameters<HttpServerRequest.HttpServerRequest["modify"]>[0]) =>
      withBody(request.modify(options), body)
  }
  return new Proxy(request, {
    get: (target, property) =>
      Object.hasOwn(accessors, property) ? accessors[property] : Reflect.get(target, property, target)
  })
}
