/**
 * Property tests generated from `/openapi.json`: for every operation, requests whose path parameters, query and body
 * the document accepts get a status it documents, and requests with one thing the document refuses get a 400
 * problem. No answer is a 5xx. A schema-valid request is refused (400) only for what depends on the server's state or
 * configuration, listed in `stateDependent`; any other 400 means the document promises what the API refuses.
 * Cases come from fast-check with a fixed seed per operation, so a failure is reproducible.
 */
import { Headers, HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer, Logger, LogLevel } from "effect"
import * as Gateway from "./Gateway.js"
import type { Caller } from "./Gateway.js"
import * as JsonSchemaArbitrary from "./JsonSchemaArbitrary.js"
import type { JsonSchema } from "./JsonSchemaArbitrary.js"

const TestLayer = Gateway.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.None)))

/** Cases of each kind per operation. */
const runs = 10

interface Parameter {
  readonly name: string
  readonly in: "path" | "query" | "header"
  readonly required?: boolean
  readonly schema: JsonSchema
}

interface Operation {
  readonly method: string
  readonly path: string
  readonly parameters: ReadonlyArray<Parameter>
  readonly body: JsonSchema | undefined
  readonly documented: ReadonlySet<number>
}

interface Case {
  readonly path: Readonly<Record<string, string>>
  readonly query: Readonly<Record<string, string>>
  readonly body?: unknown
}

/** A stream that takes no path parameter (the organization's alerts) stays open by contract: it has tests of its own. */
const endless = (path: string, operation: Record<string, unknown>) =>
  !path.includes("{") &&
  (operation["responses"] as Record<string, { content?: Record<string, unknown> }>)["200"]?.content?.[
      "text/event-stream"
    ] !== undefined

const operationsOf = (document: JsonSchema): ReadonlyArray<Operation> =>
  Object.entries(document["paths"] as Record<string, Record<string, Record<string, unknown>>>).flatMap(([path, item]) =>
    Object.entries(item).filter(([, operation]) => !endless(path, operation)).map(([method, operation]): Operation => {
      const content = (operation["requestBody"] as { content?: Record<string, { schema: JsonSchema }> } | undefined)
        ?.content
      return {
        method,
        path,
        parameters: (operation["parameters"] as ReadonlyArray<Parameter> | undefined) ?? [],
        body: content?.["application/json"]?.schema,
        documented: new Set(Object.keys(operation["responses"] as object).map(Number))
      }
    })
  )

/**
 * Why the API may refuse a body its document accepts: what no schema can say, since it depends on the server's state
 * or configuration. Each is a field (a pattern over the problem's `errors[].field`) and what its message says.
 */
const stateDependent: ReadonlyArray<{ readonly field: RegExp; readonly message: RegExp; readonly why: string }> = [
  { field: /^(modules\[\d+\]\.id|module_id)$/, message: /^unknown module /, why: "the installed modules" },
  { field: /^modules$/, message: /^no module can process /, why: "the installed modules" },
  { field: /^target\.type$/, message: /^module .* takes .* targets/, why: "the installed module's input types" },
  { field: /^(modules\[\d+\]\.config|module_config)/, message: /./, why: "each module's configuration schema" },
  { field: /^template_id$/, message: /^no template |^template .* takes /, why: "the organization's templates" },
  { field: /^depends_on\.scan_ids(\[\d+\])?$/, message: /^no such scan|cycle|itself/, why: "the organization's scans" },
  { field: /^webhook\.url$/, message: /^out of scope: /, why: "the network policy (MIRAGE_ALLOW_NETWORKS, sandbox)" },
  { field: /^select$/, message: /^no installed module has /, why: "the installed modules' flags" },
  {
    field: /^modules$/,
    message: /^name at least one module, or choose some by flag/,
    why: "modules or select: one of the two (a rule across fields)"
  },
  {
    field: /^target\.(url|webhook_url)$/,
    message: /^an https URL is required/,
    why: "the channel policy (http only to loopback, or with MIRAGE_ALERT_CHANNEL_HTTP)"
  },
  { field: /^target\.(url|webhook_url|host)$/, message: /^out of scope: /, why: "the network policy" },
  { field: /^yaml$/, message: /^line \d+: /, why: "the rule file's own format, read by the rule parser" }
]

/** The problem's errors that no state explains: each is a mismatch between the document and the API. */
const unexplained = (answer: Gateway.Answer): ReadonlyArray<string> => {
  const errors = (answer.body as { errors?: ReadonlyArray<{ field: string; message: string }> } | undefined)?.errors
  if (errors === undefined || errors.length === 0) return [`a 400 without errors: ${answer.text.slice(0, 200)}`]
  // A schedule's run is a scan: its refusals are named under `scan.`.
  const explained = (field: string, message: string) =>
    stateDependent.some((reason) => reason.field.test(field.replace(/^scan\./, "")) && reason.message.test(message))
  return errors.filter((e) => !explained(e.field, e.message)).map((e) => `${e.field}: ${e.message}`)
}

/** A parameter's value as the URL carries it. */
const text = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value))

const validCase = (generator: JsonSchemaArbitrary.Generator, operation: Operation): fc.Arbitrary<Case> => {
  const of = (where: Parameter["in"]) =>
    operation.parameters
      // A cursor is opaque: only a previous page's next_cursor is one.
      .filter((p) => p.in === where && p.name !== "cursor")
  const path = fc.record(Object.fromEntries(of("path").map((p) => [p.name, generator.valid(p.schema).map(text)])))
  const query = fc.record(
    Object.fromEntries(of("query").map((p) => [p.name, generator.valid(p.schema).map(text)])),
    { requiredKeys: of("query").filter((p) => p.required === true).map((p) => p.name) }
  )
  return operation.body === undefined
    ? fc.record({ path, query })
    : fc.record({ path, query, body: generator.valid(operation.body) })
}

/** A valid case with exactly one thing the document refuses: a path parameter, a query parameter or the body. */
const invalidCase = (
  generator: JsonSchemaArbitrary.Generator,
  operation: Operation
): fc.Arbitrary<Case> | undefined => {
  const base = validCase(generator, operation)
  const carried = (p: Parameter) =>
    generator.outOfRange(p.schema)
      .filter((value) => typeof value === "string" || typeof value === "number")
      .map(String)
      // An empty segment is another path, not a bad parameter.
      .filter((value) => value !== "")
  const numeric = (p: Parameter) => ["integer", "number"].includes(String(generator.resolve(p.schema)["type"]))
  const sites: Array<fc.Arbitrary<Case>> = []
  for (const p of operation.parameters) {
    const bad = [...carried(p), ...(numeric(p) ? ["x", "NaN"] : [])]
    if (bad.length === 0 || p.in === "header") continue
    sites.push(
      fc.tuple(base, fc.constantFrom(...bad)).map(([c, value]) =>
        p.in === "path"
          ? { ...c, path: { ...c.path, [p.name]: value } }
          : { ...c, query: { ...c.query, [p.name]: value } }
      )
    )
  }
  const body = operation.body === undefined ? undefined : generator.invalid(operation.body)
  if (body !== undefined) sites.push(fc.tuple(base, body).map(([c, value]) => ({ ...c, body: value })))
  return sites.length === 0 ? undefined : fc.oneof(...sites)
}

const requestOf = (operation: Operation, c: Case, caller: Caller) => {
  const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(c.path[name] ?? ""))
  const search = new URLSearchParams(c.query).toString()
  const url = search === "" ? path : `${path}?${search}`
  const base = HttpClientRequest.make(operation.method.toUpperCase() as "GET")(url)
  return Gateway.as(caller)(c.body === undefined ? base : HttpClientRequest.bodyUnsafeJson(base, c.body))
}

layer(TestLayer, { excludeTestServices: true, timeout: "120 seconds" })("OpenAPI properties", (it) => {
  it.effect(
    "every operation: valid requests get a documented status, invalid ones a 400 problem, none a 5xx",
    () =>
      Effect.gen(function*() {
        // A ready cluster as far as Redis tells: /ready answers 200.
        yield* Gateway.standInNode("properties")
        const caller = yield* Gateway.newCaller("admin")
        const document = (yield* Gateway.get("/openapi.json")).body as JsonSchema
        const generator = JsonSchemaArbitrary.make(document)
        const operations = operationsOf(document)
        expect(operations.length).toBeGreaterThan(30)
        const failures: Array<string> = []
        let invalidSent = 0
        for (const [index, operation] of operations.entries()) {
          const invalid = invalidCase(generator, operation)
          const cases = [
            ...fc.sample(validCase(generator, operation), { numRuns: runs, seed: 7000 + index })
              .map((c) => ["valid", c] as const),
            ...(invalid === undefined ? [] : fc.sample(invalid, { numRuns: runs, seed: 9000 + index }))
              .map((c) => ["invalid", c] as const)
          ]
          for (const [kind, c] of cases) {
            const answer = yield* Gateway.send(requestOf(operation, c, caller)).pipe(
              Effect.timeout("10 seconds"),
              Effect.catchAll((error): Effect.Effect<Gateway.Answer> =>
                Effect.succeed({ status: 0, text: String(error), headers: Headers.empty, body: undefined })
              )
            )
            const label = `${kind} ${operation.method.toUpperCase()} ${operation.path} ${
              JSON.stringify(c).slice(0, 300)
            }`
            const wrong = (why: string) =>
              failures.push(`${label} → ${answer.status} (${why}) ${answer.text.slice(0, 300)}`)
            if (answer.status === 0 || answer.status >= 500) {
              wrong("no 5xx")
            } else if (kind === "invalid") {
              invalidSent++
              if (answer.status !== 400) wrong("400 expected")
              else if (!String(answer.headers["content-type"]).includes("application/problem+json")) wrong("a problem")
            } else if (!operation.documented.has(answer.status)) {
              wrong("a documented status")
            } else if (answer.status === 400 && operation.body === undefined) {
              wrong("path and query are documented in full")
            } else if (answer.status === 400) {
              const mismatches = unexplained(answer)
              if (mismatches.length > 0) wrong(`a schema-valid body refused for ${mismatches.join("; ")}`)
            }
          }
        }
        expect(invalidSent).toBeGreaterThan(100)
        expect(failures).toEqual([])
      }),
    300_000
  )
})
