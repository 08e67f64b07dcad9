/**
 * The generic fixture server of module tests: a test declares the upstream exchanges it expects —
 * request (method, path, query, the headers that matter) → response (status, headers, body) — and
 * one server on 127.0.0.1 answers them, checking each request's exact shape. A request that matches
 * no exchange is answered 599 and recorded; `verify` then fails the test, naming the closest
 * exchange and how the request differed, and also fails on an exchange that was never asked for.
 * Exchanges are plain data (a Schema), so the same fixtures can be loaded from JSON files.
 */
import { Data, Effect, Schema } from "effect"
import type { Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

export const ExpectedRequest = Schema.Struct({
  method: Schema.optionalWith(Schema.String, { default: () => "GET", exact: true }),
  /** The path, without the query string. */
  path: Schema.String,
  /**
   * Every query parameter, exactly: a missing or extra one is a mismatch (keys in query are checked too).
   * A list is a parameter sent once per value, in that order (`filter=a&filter=b`).
   */
  query: Schema.optionalWith(
    Schema.Record({ key: Schema.String, value: Schema.Union(Schema.String, Schema.Array(Schema.String)) }),
    {
      default: () => ({}),
      exact: true
    }
  ),
  /** The body, exactly (a POST's form or JSON); not checked when absent. */
  body: Schema.optionalWith(Schema.String, { exact: true }),
  /** Headers that matter (names in lower case): a value must be sent as given, null must not be sent at all. */
  headers: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.String) }), {
    default: () => ({}),
    exact: true
  })
})
export type ExpectedRequest = typeof ExpectedRequest.Type

export const CannedResponse = Schema.Struct({
  status: Schema.optionalWith(Schema.Int, { default: () => 200, exact: true }),
  headers: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), {
    default: () => ({}),
    exact: true
  }),
  /** A JSON body (sent with `content-type: application/json` unless headers say otherwise)… */
  json: Schema.optionalWith(Schema.Unknown, { exact: true }),
  /** …or a body as text… */
  body: Schema.optionalWith(Schema.String, { exact: true }),
  /** …or a binary body (an image), written in base64. */
  body_base64: Schema.optionalWith(Schema.String, { exact: true })
})
export type CannedResponse = typeof CannedResponse.Type

export const Exchange = Schema.Struct({
  request: ExpectedRequest,
  response: CannedResponse,
  /** How often it may be served: once by default; "any" serves it every time (and never says it was unused). */
  times: Schema.optionalWith(Schema.Union(Schema.Int.pipe(Schema.positive()), Schema.Literal("any")), {
    default: () => 1,
    exact: true
  })
})
export type Exchange = typeof Exchange.Type
export type ExchangeInput = typeof Exchange.Encoded

/** The test's expectation of the upstream was not met. */
export class FixtureMismatch extends Data.TaggedError("FixtureMismatch")<{ readonly problems: ReadonlyArray<string> }> {
  override get message() {
    return `fixture server: ${this.problems.join("; ")}`
  }
}

export interface FixtureServer extends HttpFixture.HttpFixture {
  /** Fails with every unexpected request and every exchange that was not used as often as declared. */
  readonly verify: Effect.Effect<void, FixtureMismatch>
}

/** The status an unexpected request is answered with: no real source sends it, so a module cannot take it for data. */
export const unexpectedStatus = 599

const show = (method: string, path: string, query: Readonly<Record<string, string | ReadonlyArray<string>>>) => {
  const search = new URLSearchParams(
    Object.entries(query).flatMap(([name, value]) =>
      typeof value === "string"
        ? [[name, value] as [string, string]]
        : value.map((one): [string, string] => [name, one])
    )
  ).toString()
  return `${method} ${path}${search === "" ? "" : `?${search}`}`
}

/** How a request differs from an exchange; empty when it matches. */
const differences = (expected: ExpectedRequest, request: HttpFixture.FixtureRequest): ReadonlyArray<string> => {
  const found: Array<string> = []
  if (request.method !== expected.method) found.push(`method ${request.method}, expected ${expected.method}`)
  if (request.url.pathname !== expected.path) found.push(`path ${request.url.pathname}, expected ${expected.path}`)
  const names = new Set([...request.url.searchParams.keys(), ...Object.keys(expected.query)])
  for (const name of names) {
    const sent = request.url.searchParams.getAll(name)
    const want = expected.query[name]
    const wanted = typeof want === "string" ? [want] : want
    if (wanted === undefined) found.push(`unexpected query parameter ${name}`)
    else if (sent.length !== wanted.length || sent.some((value, i) => value !== wanted[i])) {
      found.push(`query ${name}=${sent.length === 0 ? "(absent)" : sent.join(",")}, expected ${wanted.join(",")}`)
    }
  }
  if (expected.body !== undefined && request.body !== expected.body) {
    found.push(`body ${JSON.stringify(request.body.slice(0, 200))}, expected ${JSON.stringify(expected.body)}`)
  }
  for (const [name, want] of Object.entries(expected.headers)) {
    const raw = request.headers[name.toLowerCase()]
    const sent = Array.isArray(raw) ? raw.join(", ") : raw
    if (want === null && sent !== undefined) found.push(`header ${name} sent, expected none`)
    if (want !== null && sent !== want) found.push(`header ${name}=${sent ?? "(absent)"}, expected ${want}`)
  }
  return found
}

const answer = (response: CannedResponse): HttpFixture.FixtureResponse => {
  const isJson = response.json !== undefined
  const body = isJson
    ? JSON.stringify(response.json)
    : response.body_base64 !== undefined
    ? Buffer.from(response.body_base64, "base64")
    : response.body ?? ""
  const type = Object.keys(response.headers).some((name) => name.toLowerCase() === "content-type")
    ? {}
    : { "content-type": isJson ? "application/json" : "text/plain; charset=utf-8" }
  return { status: response.status, headers: { ...type, ...response.headers }, body }
}

/** Starts the server for `exchanges`; closing the Scope stops it. Decoding the exchanges checks them. */
export const make = (
  exchanges: ReadonlyArray<ExchangeInput>
): Effect.Effect<FixtureServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const declared = yield* Schema.decode(Schema.Array(Exchange))(exchanges).pipe(Effect.orDie)
    const served = declared.map(() => 0)
    const problems: Array<string> = []
    const fixture = yield* HttpFixture.make("http://fixture.invalid", (request) => {
      const index = declared.findIndex((exchange, i) =>
        (exchange.times === "any" || served[i]! < exchange.times) && differences(exchange.request, request).length === 0
      )
      if (index >= 0) {
        served[index]!++
        return answer(declared[index]!.response)
      }
      const query = Object.fromEntries(request.url.searchParams)
      const closest = declared
        .map((exchange) => ({ exchange, diff: differences(exchange.request, request) }))
        .filter(({ exchange }) => exchange.request.path === request.url.pathname)
        .sort((a, b) => a.diff.length - b.diff.length)[0]
      problems.push(
        `unexpected request ${show(request.method, request.url.pathname, query)}` +
          (closest === undefined
            ? " (no exchange for this path)"
            : closest.diff.length === 0
            ? " (its exchange was already used up)"
            : ` (closest exchange: ${closest.diff.join(", ")})`)
      )
      return HttpFixture.text(`no fixture for ${request.method} ${request.url.pathname}`, unexpectedStatus)
    })
    const verify = Effect.suspend(() => {
      const unused = declared.flatMap((exchange, i) =>
        exchange.times !== "any" && served[i]! < exchange.times
          ? [
            `exchange ${show(exchange.request.method, exchange.request.path, exchange.request.query)} served ${
              served[i]
            } of ${exchange.times} times`
          ]
          : []
      )
      const all = [...problems, ...unused]
      return all.length === 0 ? Effect.void : Effect.fail(new FixtureMismatch({ problems: all }))
    })
    return { ...fixture, verify }
  })

// -- Responses real APIs send, for exchanges ---------------------------------------------------

/** 429 with `Retry-After` in seconds, and the body the source sends with it. */
export const rateLimited = (retryAfterSeconds: number, body: unknown = { error: "rate limited" }): ExchangeInput[
  "response"
] => ({ status: 429, headers: { "retry-after": String(retryAfterSeconds) }, json: body })

export const json = (body: unknown, status = 200): ExchangeInput["response"] => ({ status, json: body })

export const text = (body: string, status = 200, contentType = "text/plain; charset=utf-8"): ExchangeInput[
  "response"
] => ({ status, headers: { "content-type": contentType }, body })
