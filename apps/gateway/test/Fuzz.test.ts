/**
 * Hostile input against every operation `/openapi.json` lists: wrong types, huge values, unicode,
 * injection strings and path traversal in ids, invalid JSON and percent-encoding. No answer may be
 * a 5xx, none may take longer than its timeout, and a refused request (4xx) stores nothing.
 * Cases come from fast-check with a fixed seed, so a failure is reproducible.
 */
import { HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer, Logger, LogLevel } from "effect"
import * as Gateway from "./Gateway.js"
import type { Caller } from "./Gateway.js"

const hostileStrings: ReadonlyArray<string> = [
  "../../../../etc/passwd",
  "..%2f..%2f..%2fetc%2fpasswd",
  "%2e%2e%2f%2e%2e%2f",
  "' OR '1'='1' --",
  "1; DROP TABLE scans; --",
  "\"; db.dropDatabase(); //",
  "{\"$gt\": \"\"}",
  "${jndi:ldap://127.0.0.1/a}",
  "<script>alert(1)</script>",
  "\u0000",
  "\u202e\u0000\ufeff",
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🧨 ☃",
  "null",
  "undefined",
  "NaN",
  "-1",
  "1e308",
  "99999999999999999999999",
  "__proto__",
  "constructor",
  "\\\\server\\share",
  "a".repeat(10_000),
  "00000000-0000-0000-0000-000000000000",
  ""
]

const hostile = fc.oneof(
  fc.constantFrom(...hostileStrings),
  fc.string({ maxLength: 64 }),
  fc.string({ unit: "grapheme", maxLength: 32 }),
  fc.string({ unit: "binary", maxLength: 32 })
)

const value = fc.oneof(
  hostile,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e308),
  fc.array(hostile, { maxLength: 5 })
)

/** Bodies shaped like the API's (so decoding reaches deep) and not (so it fails early). */
const body = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record({
    name: value,
    description: value,
    target: fc.oneof(value, fc.record({ type: fc.oneof(hostile, fc.constantFrom("DOMAIN", "IP", "EMAIL")), value })),
    modules: fc.oneof(
      value,
      fc.array(fc.record({ id: value, config: fc.dictionary(hostile, value) }), { maxLength: 3 })
    ),
    configuration: fc.oneof(
      value,
      fc.dictionary(fc.constantFrom("max_duration", "recursion_depth", "max_results", "task_timeout"), value)
    ),
    role: value,
    target_types: value
  }, { requiredKeys: [] })
)

const rawBody = fc.constantFrom("{", "[]", "\"str\"", "{\"a\":}", "\u0000", "null", "{}".repeat(1000))

/** A path segment as sent: encoded, or raw (traversal, bad percent-encoding). */
const segment = fc.oneof(
  hostile.map(encodeURIComponent),
  fc.constantFrom("..", "%2e%2e", "..%2F..%2Fhealth", "%ff", "%", "%00", "a%2Fb", ";", "%E0%A4%A")
)

interface Operation {
  readonly method: "get" | "post" | "put" | "delete"
  readonly path: string
  readonly query: ReadonlyArray<string>
  readonly hasBody: boolean
}

interface OpenApiDocument {
  readonly paths: Record<
    string,
    Record<
      string,
      {
        readonly parameters?: ReadonlyArray<{ readonly name: string; readonly in: string }>
        readonly requestBody?: unknown
        readonly responses?: Record<string, { readonly content?: Record<string, unknown> }>
      }
    >
  >
}

const operationsOf = (document: OpenApiDocument): ReadonlyArray<Operation> =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).flatMap(([method, operation]) =>
      // A stream that takes no path parameter (the organization's alerts) stays open by contract: it is no hang.
      (method === "get" || method === "post" || method === "put" || method === "delete") &&
        !(operation.responses?.["200"]?.content?.["text/event-stream"] !== undefined && !path.includes("{"))
        ? [{
          method,
          path,
          query: (operation.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name),
          hasBody: operation.requestBody !== undefined
        }]
        : []
    )
  )

interface Case {
  readonly url: string
  readonly body:
    | { readonly _tag: "json"; readonly value: unknown }
    | { readonly _tag: "raw"; readonly text: string }
    | undefined
}

const casesFor = (operation: Operation, runs: number, seed: number): ReadonlyArray<Case> =>
  fc.sample(
    fc.record({
      segments: fc.array(segment, { minLength: 3, maxLength: 3 }),
      query: fc.array(fc.tuple(fc.constantFrom("limit", "cursor", "format", "x", ...operation.query), hostile), {
        maxLength: 4
      }),
      body: fc.oneof(
        body.map((value) => ({ _tag: "json" as const, value })),
        rawBody.map((text) => ({ _tag: "raw" as const, text }))
      )
    }),
    { numRuns: runs, seed }
  ).map(({ body, query, segments }) => {
    let n = 0
    const path = operation.path.replace(/\{[^}]+\}/g, () => segments[n++ % segments.length] ?? "x")
    const search = query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")
    return {
      url: search === "" ? path : `${path}?${search}`,
      body: operation.hasBody || operation.method !== "get" ? body : undefined
    }
  })

const requestOf = (operation: Operation, c: Case, caller: Caller) => {
  const base = operation.method === "get"
    ? HttpClientRequest.get(c.url)
    : operation.method === "post"
    ? HttpClientRequest.post(c.url)
    : operation.method === "put"
    ? HttpClientRequest.put(c.url)
    : HttpClientRequest.del(c.url)
  const withBody = c.body === undefined
    ? base
    : c.body._tag === "json"
    ? HttpClientRequest.bodyUnsafeJson(base, c.body.value)
    : HttpClientRequest.bodyText(base, c.body.text, "application/json")
  return Gateway.as(caller)(withBody)
}

const stored = Effect.all([Gateway.count("scans"), Gateway.count("scan_events")])

layer(Gateway.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.None))), {
  excludeTestServices: true,
  timeout: "180 seconds"
})("Fuzz", (it) => {
  it.effect("every operation in /openapi.json survives hostile input: no 5xx, no hang, nothing stored when refused", () =>
    Effect.gen(function*() {
      // A ready gateway: /ready's 503 would otherwise be its documented answer, not a failure.
      yield* Gateway.standInNode("fuzz")
      const caller = yield* Gateway.newCaller("admin")
      const document = (yield* Gateway.get("/openapi.json")).body as OpenApiDocument
      const operations = operationsOf(document)
      expect(operations.length).toBeGreaterThan(10)
      const failures: Array<string> = []
      const statuses = new Map<number, number>()
      for (const [index, operation] of operations.entries()) {
        for (const c of casesFor(operation, 12, 1000 + index)) {
          const before = yield* stored
          const answer = yield* Gateway.send(requestOf(operation, c, caller)).pipe(
            Effect.timeout("5 seconds"),
            Effect.catchAll((error) => Effect.succeed({ status: 0, text: String(error) }))
          )
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
          const label = `${operation.method.toUpperCase()} ${c.url.slice(0, 200)}`
          if (answer.status === 0 || answer.status >= 500) {
            failures.push(`${label} → ${answer.status} ${answer.text.slice(0, 200)}`)
            continue
          }
          if (answer.status >= 400) {
            const after = yield* stored
            if (after[0] !== before[0] || after[1] !== before[1]) {
              failures.push(`${label} → ${answer.status} but stored`)
            }
          }
        }
      }
      // The cases reached decoding (400), lookups (404) and handlers that accept them (2xx).
      expect([...statuses.keys()]).toEqual(expect.arrayContaining([400, 404]))
      expect(failures).toEqual([])
    }))
})
