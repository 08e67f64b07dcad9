/**
 * `/openapi.json` says what the gateway does: no `$id` twice, an example for every request body (each accepted as
 * is), numbers and times in query strings typed with their bounds, `ETag` and `If-Match` where versions are, the
 * operational endpoints; and a method a documented path does not have is a 405 problem with `Allow`.
 */
import { HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel } from "effect"
import * as Gateway from "./Gateway.js"

const TestLayer = Gateway.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Error)))

interface Parameter {
  readonly name: string
  readonly in: string
  readonly schema: Record<string, unknown>
}

interface Operation {
  readonly parameters: ReadonlyArray<Parameter>
  readonly requestBody?: { readonly content: Record<string, { readonly example?: unknown }> }
  readonly responses: Record<string, { readonly headers?: Record<string, unknown> }>
}

interface Document {
  readonly paths: Record<string, Record<string, Operation>>
}

const documentOf = Effect.map(Gateway.get("/openapi.json"), (answer) => {
  expect(answer.status).toBe(200)
  return { document: answer.body as Document, text: answer.text }
})

/** Every `$id` anywhere in the document. */
const ids = (node: unknown): Array<string> =>
  Array.isArray(node)
    ? node.flatMap(ids)
    : typeof node === "object" && node !== null
    ? Object.entries(node).flatMap(([key, value]) => key === "$id" && typeof value === "string" ? [value] : ids(value))
    : []

const request = (method: string, path: string) =>
  method === "get"
    ? HttpClientRequest.get(path)
    : method === "post"
    ? HttpClientRequest.post(path)
    : method === "put"
    ? HttpClientRequest.put(path)
    : method === "patch"
    ? HttpClientRequest.patch(path)
    : HttpClientRequest.del(path)

layer(TestLayer, { excludeTestServices: true, timeout: "60 seconds" })("OpenAPI document", (it) => {
  it.effect("declares no $id twice and an example for every request body", () =>
    Effect.gen(function*() {
      const { document } = yield* documentOf
      const all = ids(document)
      expect(all.filter((id, i) => all.indexOf(id) !== i)).toEqual([])
      const bodies = Object.entries(document.paths).flatMap(([path, item]) =>
        Object.entries(item).flatMap(([method, operation]) =>
          operation.requestBody === undefined ? [] : [[`${method} ${path}`, operation.requestBody] as const]
        )
      )
      expect(bodies.length).toBeGreaterThanOrEqual(6)
      for (const [name, body] of bodies) {
        for (const [media, content] of Object.entries(body.content)) {
          expect(content.example, `${name} ${media}`).toBeDefined()
        }
      }
    }))

  it.effect("every request body example is accepted as is", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("admin")
      const { document } = yield* documentOf
      const example = (method: string, path: string) =>
        document.paths[path]?.[method]?.requestBody?.content["application/json"]?.example
      const send = (method: string, path: string, concrete = path) =>
        Gateway.send(
          Gateway.as(caller)(HttpClientRequest.bodyUnsafeJson(request(method, concrete), example(method, path)))
        )
      const scan = yield* send("post", "/scans")
      expect(scan.status, scan.text).toBe(201)
      const template = yield* send("post", "/templates")
      expect(template.status, template.text).toBe(201)
      const scanId = (scan.body as { id: string }).id
      const templateId = (template.body as { id: string }).id
      // No node runs here: the update is accepted and pending.
      const update = yield* send("put", "/scans/{id}", `/scans/${scanId}`)
      expect(update.status, update.text).toBe(202)
      const templateUpdate = yield* send("put", "/templates/{id}", `/templates/${templateId}`)
      expect(templateUpdate.status, templateUpdate.text).toBe(200)
      const key = yield* send("post", "/api-keys")
      expect(key.status, key.text).toBe(201)
      const quotas = yield* send("put", "/quotas")
      expect(quotas.status, quotas.text).toBe(200)
      const job = yield* send("post", "/collect")
      expect(job.status, job.text).toBe(202)
      const channel = yield* send("post", "/alert-channels")
      expect(channel.status, channel.text).toBe(201)
      const rule = yield* send("post", "/correlation-rules")
      expect(rule.status, rule.text).toBe(201)
    }))

  it.effect("types numbers and times of query strings, with their bounds", () =>
    Effect.gen(function*() {
      const { document } = yield* documentOf
      const parameter = (path: string, name: string) =>
        document.paths[path]?.["get"]?.parameters.find((p) => p.name === name && p.in === "query")?.schema
      for (const path of ["/scans", "/scans/{id}/results", "/scans/{id}/history", "/audit", "/collect/{job_id}/logs"]) {
        expect(parameter(path, "limit"), path).toMatchObject({ type: "integer", minimum: 1, maximum: 200 })
      }
      expect(parameter("/scans/{id}/results", "min_confidence")).toMatchObject({
        type: "number",
        minimum: 0,
        maximum: 1
      })
      for (const [path, name] of [["/scans", "created_after"], ["/scans", "created_before"], ["/audit", "from"]]) {
        expect(parameter(path!, name!), name).toMatchObject({ type: "string", format: "date-time" })
      }
      expect(parameter("/scans/{id}/history", "cursor")).toMatchObject({ pattern: "^[A-Za-z0-9_-]{1,1024}$" })
    }))

  it.effect("declares ETag on versioned reads and writes, If-Match on conditional writes, and /metrics", () =>
    Effect.gen(function*() {
      const { document } = yield* documentOf
      for (const path of ["/scans/{id}", "/templates/{id}"]) {
        for (const method of ["get", "put"]) {
          expect(document.paths[path]?.[method]?.responses["200"]?.headers, `${method} ${path}`).toHaveProperty("ETag")
        }
        for (const method of ["put", "delete"]) {
          expect(document.paths[path]?.[method]?.parameters.map((p) => `${p.in} ${p.name}`), `${method} ${path}`)
            .toContain("header if-match")
        }
      }
      expect(Object.keys(document.paths["/metrics"] ?? {})).toEqual(["get"])
      expect(Object.keys(document.paths["/ready"] ?? {})).toEqual(["get"])
    }))

  it.effect("a method a path does not have is 405 with Allow, an unknown path still 404", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("admin")
      const id = "6f1c2a9e-0000-4000-8000-000000000000"
      for (
        const [method, path, allow] of [
          ["patch", `/scans/${id}`, "GET, PUT, DELETE"],
          ["get", `/scans/${id}/start`, "POST"],
          ["delete", "/scans", "POST, GET"],
          ["post", "/health", "GET"],
          ["put", "/openapi.json", "GET"]
        ] as const
      ) {
        const answer = yield* Gateway.send(Gateway.as(caller)(request(method, path)))
        expect(answer.status, `${method} ${path}: ${answer.text}`).toBe(405)
        expect(answer.headers["allow"], path).toBe(allow)
        expect(answer.headers["content-type"], path).toContain("application/problem+json")
        expect(answer.body).toMatchObject({ status: 405, type: "/problems/method-not-allowed" })
      }
      const unknown = yield* Gateway.send(Gateway.as(caller)(request("patch", "/nowhere")))
      expect(unknown.status).toBe(404)
      expect(unknown.headers["allow"]).toBeUndefined()
    }))
})
