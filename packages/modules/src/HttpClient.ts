/**
 * The HTTP client modules must use for every request, so the runtime can wrap it with rate
 * limiting, proxies and caching. The default implementation speaks HTTP through undici.
 */
import { Clock, Effect, FiberRef, Option, ParseResult, Schema } from "effect"
import { type Dispatcher, request } from "undici"
import { AuthFailed, BadResponse, ModuleConfigError, RateLimited, SourceUnavailable } from "./ModuleError.js"

export interface HttpGetOptions {
  readonly headers?: Readonly<Record<string, string>>
  /** Added to the URL's query string, percent-encoded as a browser would (`%` becomes `%25`). */
  readonly query?: Readonly<Record<string, string | number | boolean>>
  /**
   * How the body's bytes become `body`: UTF-8 text (the default), or `base64` for a binary answer
   * (an image) that text decoding would corrupt.
   */
  readonly bodyEncoding?: "utf8" | "base64"
}

/** A POST: the GET options plus a body of the given media type. */
export interface HttpPostOptions extends HttpGetOptions {
  readonly body: string
  readonly contentType: string
}

/** `fields` as an `application/x-www-form-urlencoded` body. */
export const formBody = (fields: Readonly<Record<string, string>>): Pick<HttpPostOptions, "body" | "contentType"> => ({
  body: new URLSearchParams(fields).toString(),
  contentType: "application/x-www-form-urlencoded"
})

export interface HttpResponse {
  readonly status: number
  /** Lower-case header names; repeated headers are joined with ", ". */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** Parses the body as JSON and decodes it with `schema`; anything else is a BadResponse. */
  readonly json: <A, I>(schema: Schema.Schema<A, I, never>) => Effect.Effect<A, BadResponse>
}

export interface HttpClient {
  /**
   * Any status is a response; only transport failures (refused, reset, timeout) fail, as SourceUnavailable.
   * Redirects are not followed (a 3xx is a response, its target in `location`), and a `host` header is
   * sent as given: the web modules rely on both, so a wrapper (cache, proxy) must keep them.
   */
  readonly get: (
    url: string,
    options?: HttpGetOptions
  ) => Effect.Effect<HttpResponse, SourceUnavailable | BadResponse | ModuleConfigError>
  /**
   * A POST, for sources whose queries are form or JSON bodies; answered as `get` is. A wrapper must rate limit and
   * record it as it does a GET, and never answer it from a cache.
   */
  readonly post: (
    url: string,
    options: HttpPostOptions
  ) => Effect.Effect<HttpResponse, SourceUnavailable | BadResponse | ModuleConfigError>
}

export interface HttpClientOptions {
  /** Names the client in configuration errors (usually the module id). */
  readonly label?: string
  /** Time allowed for the response headers, and between body chunks. */
  readonly timeoutMs?: number
  /** Bodies larger than this are refused rather than buffered. */
  readonly maxBodyBytes?: number
  readonly userAgent?: string
  /** An undici dispatcher (e.g. a ProxyAgent); the global one when absent. */
  readonly dispatcher?: Dispatcher
  /** The data source the requests go to, recorded on their spans. */
  readonly source?: string
}

/** The `code` of the error a scope guard fails a connect with: not worth retrying, so a ModuleConfigError. */
export const outOfScopeCode = "ERR_MIRAGE_OUT_OF_SCOPE"

/** The scope guard's refusal (its message), wherever undici put it in the cause chain. */
export const outOfScope = (cause: unknown, depth = 0): Option.Option<string> => {
  if (typeof cause !== "object" || cause === null || depth > 4) return Option.none()
  if ("code" in cause && cause.code === outOfScopeCode && cause instanceof Error) return Option.some(cause.message)
  return "cause" in cause ? outOfScope(cause.cause, depth + 1) : Option.none()
}

/** The URL without its query string: queries may carry API keys, and errors get logged. */
const redactUrl = (url: URL): string => `${url.origin}${url.pathname}`

const errorCode = (cause: unknown): string => {
  if (typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string") {
    return cause.code
  }
  return cause instanceof Error ? cause.message : String(cause)
}

const flattenHeaders = (headers: Record<string, string | ReadonlyArray<string> | undefined>) => {
  const flat: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    flat[name.toLowerCase()] = typeof value === "string" ? value : value.join(", ")
  }
  return flat
}

/** A response over a body already read, with a JSON decoder that names where the shape went wrong. */
export const makeResponse = (
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string
): HttpResponse => ({
  status,
  headers,
  body,
  json: <A, I>(schema: Schema.Schema<A, I, never>) =>
    Schema.decodeUnknown(Schema.parseJson(schema))(body).pipe(
      Effect.mapError((error) =>
        new BadResponse({
          reason: `unexpected response body: ${ParseResult.TreeFormatter.formatErrorSync(error)}`,
          status,
          cause: error
        })
      )
    )
})

type ReadResult =
  | { readonly _tag: "Read"; readonly status: number; readonly headers: Record<string, string>; readonly body: string }
  | { readonly _tag: "TooLarge"; readonly status: number }

/** The default client: one undici request per call, aborted when the calling fiber is interrupted. */
export const makeHttpClient = (options: HttpClientOptions = {}): HttpClient => {
  const timeoutMs = options.timeoutMs ?? 30_000
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024
  const label = options.label ?? "http"
  const send = (method: "GET" | "POST", url: string, getOptions: HttpGetOptions, payload?: HttpPostOptions) =>
    Effect.gen(function*() {
      const target = yield* Effect.try({
        try: () => new URL(url),
        catch: () => new ModuleConfigError({ module: label, reason: `not a URL: ${url}` })
      })
      if (target.protocol !== "http:" && target.protocol !== "https:") {
        return yield* new ModuleConfigError({ module: label, reason: `not an http(s) URL: ${redactUrl(target)}` })
      }
      for (const [key, value] of Object.entries(getOptions.query ?? {})) {
        target.searchParams.set(key, String(value))
      }
      const result = yield* Effect.tryPromise({
        try: async (signal): Promise<ReadResult> => {
          const response = await request(target, {
            method,
            signal,
            ...(payload === undefined ? {} : { body: payload.body }),
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs,
            headers: {
              "user-agent": options.userAgent ?? "Mirage/0.1",
              accept: "*/*",
              ...(payload === undefined ? {} : { "content-type": payload.contentType }),
              ...getOptions.headers
            },
            ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher })
          })
          const chunks: Array<Buffer> = []
          let size = 0
          for await (const chunk of response.body) {
            const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk))
            size += buffer.length
            if (size > maxBodyBytes) {
              response.body.destroy()
              return { _tag: "TooLarge", status: response.statusCode }
            }
            chunks.push(buffer)
          }
          return {
            _tag: "Read",
            status: response.statusCode,
            headers: flattenHeaders(response.headers),
            body: Buffer.concat(chunks).toString(getOptions.bodyEncoding ?? "utf8")
          }
        },
        catch: (cause) =>
          Option.match(outOfScope(cause), {
            onNone: () =>
              new SourceUnavailable({ reason: `${method} ${redactUrl(target)} failed: ${errorCode(cause)}`, cause }),
            onSome: (reason): ModuleConfigError | SourceUnavailable =>
              new ModuleConfigError({ module: label, reason: `${method} ${redactUrl(target)} refused: ${reason}` })
          })
      })
      // Only when traced: with tracing off, `annotateCurrentSpan` builds an exception per call to say there is no span.
      if (yield* FiberRef.get(FiberRef.currentTracerEnabled)) {
        yield* Effect.annotateCurrentSpan("http.response.status_code", result.status)
      }
      if (result._tag === "TooLarge") {
        return yield* new BadResponse({
          reason: `${method} ${redactUrl(target)}: body larger than ${maxBodyBytes} bytes`,
          status: result.status
        })
      }
      return makeResponse(result.status, result.headers, result.body)
    }).pipe(
      // A client span per request: method, URL without its query (keys travel there), source. Never headers.
      Effect.withSpan(method, {
        kind: "client",
        attributes: {
          "http.request.method": method,
          "url.full": URL.canParse(url) ? redactUrl(new URL(url)) : "(invalid)",
          "server.address": URL.canParse(url) ? new URL(url).hostname : "",
          "mirage.module": label,
          ...(options.source === undefined ? {} : { "mirage.source": options.source })
        }
      })
    )
  return {
    get: (url, getOptions = {}) => send("GET", url, getOptions),
    post: (url, postOptions) => send("POST", url, postOptions, postOptions)
  }
}

/** `Retry-After` as milliseconds from now: either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export const parseRetryAfter = (value: string | undefined): Effect.Effect<Option.Option<number>> => {
  if (value === undefined) return Effect.succeed(Option.none())
  const text = value.trim()
  // Seconds; a number of them too large to wait for (or to compute with) says nothing usable.
  if (/^\d+$/.test(text)) {
    const ms = Number(text) * 1000
    return Effect.succeed(Number.isSafeInteger(ms) ? Option.some(ms) : Option.none())
  }
  const date = Date.parse(text)
  if (Number.isNaN(date)) return Effect.succeed(Option.none())
  return Effect.map(Clock.currentTimeMillis, (now) => Option.some(Math.max(0, date - now)))
}

const retryAfterField = (retryAfter: Option.Option<number>) =>
  Option.match(retryAfter, { onNone: () => ({}), onSome: (retryAfterMs) => ({ retryAfterMs }) })

/**
 * Passes a 2xx response through and turns any other status into the module error the runtime
 * expects: 429 RateLimited, 401/403 AuthFailed, 408/5xx SourceUnavailable, the rest BadResponse.
 */
export const expectOk = (
  response: HttpResponse
): Effect.Effect<HttpResponse, RateLimited | AuthFailed | SourceUnavailable | BadResponse> =>
  Effect.gen(function*() {
    const status = response.status
    if (status >= 200 && status < 300) return response
    if (status === 429) {
      const retryAfter = yield* parseRetryAfter(response.headers["retry-after"])
      return yield* new RateLimited({ reason: "rate limited (HTTP 429)", ...retryAfterField(retryAfter) })
    }
    if (status === 401 || status === 403) {
      return yield* new AuthFailed({ reason: `credentials rejected (HTTP ${status})`, status })
    }
    if (status === 408 || status >= 500) {
      const retryAfter = yield* parseRetryAfter(response.headers["retry-after"])
      return yield* new SourceUnavailable({
        reason: `source unavailable (HTTP ${status})`,
        status,
        ...retryAfterField(retryAfter)
      })
    }
    return yield* new BadResponse({ reason: `unexpected HTTP status ${status}`, status })
  })
