/**
 * The base of every emulated HTTP source in the fixture world: a server on 127.0.0.1 with an
 * ephemeral port that answers from a handler, logs what it receives (with arrival times, so
 * tests can check request rates), and can be told to fail the next requests like the real
 * source under load or quota.
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import { createServer } from "node:http"
import type { IncomingHttpHeaders } from "node:http"

export interface FixtureRequest {
  readonly method: string
  /** Path and raw query string as received, e.g. `/?q=%25.example.test&output=json`. */
  readonly path: string
  readonly url: URL
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

export interface FixtureResponse {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  /** Text (sent as UTF-8) or bytes, for a binary answer such as an image. */
  readonly body?: string | Uint8Array
}

/** A canned answer for the next requests, e.g. `{ status: 429, retryAfter: "120" }` or a broken body. */
export interface Failure {
  readonly status: number
  readonly retryAfter?: string
  readonly body?: string
  readonly contentType?: string
}

export interface LoggedRequest extends FixtureRequest {
  /** Wall-clock arrival in ms: what an upstream would see, for rate checks across processes. */
  readonly at: number
}

export interface HttpFixture {
  /** "http://127.0.0.1:PORT" */
  readonly url: string
  readonly requests: () => number
  /** Paths with raw query strings as received. */
  readonly requestLog: () => ReadonlyArray<string>
  readonly received: () => ReadonlyArray<LoggedRequest>
  /** Answer the next `count` requests with `failure` instead of the handler. */
  readonly failNext: (count: number, failure: Failure) => Effect.Effect<void>
  /** Delay every answer by `ms` from now on, as a slow or distant source would (0 for none). */
  readonly setLatency: (ms: number) => Effect.Effect<void>
}

export const json = (body: unknown, status = 200, headers: Readonly<Record<string, string>> = {}): FixtureResponse => ({
  status,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body)
})

export const text = (body: string, status = 200, contentType = "text/plain; charset=utf-8"): FixtureResponse => ({
  status,
  headers: { "content-type": contentType },
  body
})

export const notFound = (): FixtureResponse => text("Not found", 404)

/** Starts the server; closing the Scope stops it. `origin` is the real source's, for parsing paths. */
export const make = (
  origin: string,
  handler: (request: FixtureRequest) => FixtureResponse
): Effect.Effect<HttpFixture, never, Scope.Scope> =>
  Effect.gen(function*() {
    const log: Array<LoggedRequest> = []
    const failures: Array<Failure> = []
    let latencyMs = 0
    const server = yield* Effect.acquireRelease(
      Effect.async<ReturnType<typeof createServer>>((resume) => {
        const server = createServer((request, response) => {
          const chunks: Array<Buffer> = []
          request.on("data", (chunk: Buffer) => chunks.push(chunk))
          request.on("end", () => {
            const path = request.url ?? "/"
            const url = URL.canParse(path, origin) ? new URL(path, origin) : new URL("/", origin)
            const received: LoggedRequest = {
              method: request.method ?? "GET",
              path,
              url,
              headers: request.headers,
              body: Buffer.concat(chunks).toString("utf8"),
              at: Date.now()
            }
            log.push(received)
            const failure = failures.shift()
            const answer: FixtureResponse = failure !== undefined
              ? {
                status: failure.status,
                headers: {
                  "content-type": failure.contentType ?? "text/plain; charset=utf-8",
                  ...(failure.retryAfter === undefined ? {} : { "retry-after": failure.retryAfter })
                },
                body: failure.body ?? `${failure.status}`
              }
              : handler(received)
            const respond = () => {
              response.writeHead(answer.status, answer.headers ?? {})
              response.end(answer.body ?? "")
            }
            if (latencyMs > 0) {
              // A client that gives up (or a fixture closed meanwhile) ends the wait: a long latency must not keep
              // the process alive after everyone has left.
              const timer = setTimeout(respond, latencyMs)
              response.on("close", () => clearTimeout(timer))
            } else {
              respond()
            }
          })
        })
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          // Keep-alive connections from the client would otherwise hold close() open.
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    return {
      url: `http://127.0.0.1:${port}`,
      requests: () => log.length,
      requestLog: () => log.map((r) => r.path),
      received: () => log.slice(),
      failNext: (count, failure) =>
        Effect.sync(() => {
          for (let i = 0; i < count; i++) failures.push(failure)
        }),
      setLatency: (ms) =>
        Effect.sync(() => {
          latencyMs = Math.max(0, ms)
        })
    }
  })
