/** The scans endpoints over real HTTP and real stores: create, validation, reads, paging, results, the contract. */
import { HttpApiClient, HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { MirageApi } from "@mirage/domain/api/Api"
import { ScanCreated } from "@mirage/domain/api/ScansApi"
import { CollectionResult } from "@mirage/domain/CollectionTask"
import { Entity, resultHash } from "@mirage/domain/Entity"
import { ModuleId, resultIdFor, ScanId, taskIdFor } from "@mirage/domain/Ids"
import { CreateScanRequest, ScanModule } from "@mirage/domain/Scan"
import { ResultStore } from "@mirage/runtime/scans/ResultStore"
import { DateTime, Effect, Layer, Logger, LogLevel } from "effect"
import * as Gateway from "./Gateway.js"

const TestLayer = Gateway.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Warning)))

interface Problem {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly detail: string
  readonly errors?: ReadonlyArray<{ readonly field: string; readonly message: string }>
}

const problem = (answer: Gateway.Answer, status: number): Problem => {
  expect(answer.status).toBe(status)
  expect(answer.headers["content-type"]).toContain("application/problem+json")
  const body = answer.body as Problem
  expect(body.status).toBe(status)
  expect(typeof body.type).toBe("string")
  expect(typeof body.title).toBe("string")
  expect(typeof body.detail).toBe("string")
  return body
}

const fields = (body: Problem) => (body.errors ?? []).map((e) => e.field)

const scanKeys = [
  "completed_at",
  "configuration",
  "correlation_count",
  "created_at",
  "depends_on",
  "description",
  "id",
  "modules",
  "name",
  "organization_id",
  "progress",
  "result_count",
  "started_at",
  "status",
  "status_reason",
  "target",
  "template_id",
  "updated_at",
  "user_id"
]

interface WireScan {
  readonly id: string
  readonly name: string
  readonly status: string
  readonly target: { readonly type: string; readonly value: string }
  readonly created_at: string
}

/** A result as a module of the scan would have stored it, found from the target example.com. */
const storedResult = (
  scanId: ScanId,
  module: string,
  type: CollectionResult["data_type"],
  data: string,
  options: {
    readonly confidence?: number
    readonly metadata?: Readonly<Record<string, unknown>>
    readonly parent?: string | null
  } = {}
) => {
  const hash = resultHash(type, data)
  return CollectionResult.make({
    id: resultIdFor(scanId, hash),
    task_id: taskIdFor(scanId, "DOMAIN:example.com", module),
    scan_id: scanId,
    module_id: ModuleId.make(module),
    data_type: type,
    data,
    source_data: {},
    confidence: options.confidence ?? 1,
    collected_at: DateTime.unsafeMake(Date.UTC(2025, 0, 1)),
    metadata: options.metadata ?? {},
    hash,
    parent: options.parent ?? null
  })
}

const create = (caller: Gateway.Caller, body: unknown) =>
  Effect.map(Gateway.post("/scans", body, caller), (answer) => {
    expect(answer.status, answer.text).toBe(201)
    return answer.body as WireScan & { readonly warnings: ReadonlyArray<string> }
  })

layer(TestLayer, { excludeTestServices: true, timeout: "60 seconds" })("Scans", (it) => {
  it.effect("creates a scan: 201 with the seed's snake_case Scan, a ScanCreated event and a projection row", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const before = { scans: yield* Gateway.count("scans"), events: yield* Gateway.count("scan_events") }
      const answer = yield* Gateway.post("/scans", {
        name: "Footprint",
        description: "the company's domains",
        target: { type: "DOMAIN", value: "WWW.Example.COM." },
        modules: [{ id: "dns_resolve", config: { timeout_ms: 500 } }, { id: "crtsh", enabled: false }],
        configuration: { recursion_depth: 1, priority: "HIGH" }
      }, caller)
      expect(answer.status, answer.text).toBe(201)
      expect(answer.headers["content-type"]).toContain("application/json")
      const body = answer.body as Record<string, unknown>
      expect(Object.keys(body).sort()).toEqual([...scanKeys, "warnings"].sort())
      expect(body).toMatchObject({
        name: "Footprint",
        description: "the company's domains",
        status: "CREATED",
        progress: 0,
        result_count: 0,
        organization_id: caller.organization_id,
        user_id: caller.user_id,
        target: { type: "DOMAIN", value: "www.example.com" },
        modules: [
          { id: "dns_resolve", enabled: true, config: { record_types: ["A", "AAAA"], timeout_ms: 500 } },
          { id: "crtsh", enabled: false, config: { include_expired: false } }
        ],
        configuration: {
          max_duration: 3600,
          max_results: 10000,
          priority: "HIGH",
          recursion_depth: 1,
          task_timeout: 60
        },
        started_at: null,
        completed_at: null,
        status_reason: null,
        template_id: null,
        warnings: []
      })
      expect(body["id"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      expect(Number.isNaN(Date.parse(String(body["created_at"])))).toBe(false)
      expect(yield* Gateway.count("scans")).toBe(before.scans + 1)
      expect(yield* Gateway.count("scan_events")).toBe(before.events + 1)

      const read = yield* Gateway.get(`/scans/${String(body["id"])}`, caller)
      expect(read.status).toBe(200)
      const { warnings: _, ...scan } = body
      expect(read.body).toEqual(scan)
    }))

  it.effect("uses every module that can reach the target when none are given, and warns about unreachable ones", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const all = yield* create(caller, {
        name: "everything",
        target: { type: "DOMAIN", value: "example.org" },
        configuration: { recursion_depth: 1 }
      })
      expect(all.warnings).toEqual([])
      const modules = (all as unknown as { modules: ReadonlyArray<{ id: string }> }).modules.map((m) => m.id)
      expect(modules.sort()).toEqual(["crtsh", "dns_resolve", "ip_asn"])

      const shallow = yield* create(caller, {
        name: "too shallow",
        target: { type: "DOMAIN", value: "example.org" },
        modules: [{ id: "dns_resolve" }, { id: "ip_asn" }],
        configuration: { recursion_depth: 0 }
      })
      expect(shallow.warnings).toHaveLength(1)
      expect(shallow.warnings[0]).toContain("ip_asn")
    }))

  it.effect("refuses invalid bodies with 400 problems naming the field, and creates nothing", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const before = { scans: yield* Gateway.count("scans"), events: yield* Gateway.count("scan_events") }
      const cases: ReadonlyArray<readonly [unknown, string]> = [
        [{ name: 5, target: { type: "DOMAIN", value: "example.com" } }, "name"],
        [{ name: "", target: { type: "DOMAIN", value: "example.com" } }, "name"],
        [{ target: { type: "DOMAIN", value: "example.com" } }, "name"],
        [{ name: "x", target: { type: "SPACESHIP", value: "example.com" } }, "target.type"],
        [
          Gateway.domainScan("x", "example.com", { configuration: { recursion_depth: 99 } }),
          "configuration.recursion_depth"
        ],
        [
          Gateway.domainScan("x", "example.com", { configuration: { max_results: "many" } }),
          "configuration.max_results"
        ],
        [Gateway.domainScan("x", "example.com", { modules: [{ id: "no_such_module" }] }), "modules[0].id"],
        [
          Gateway.domainScan("x", "example.com", { modules: [{ id: "dns_resolve", config: { timeout_ms: "1s" } }] }),
          "modules[0].config"
        ],
        [
          Gateway.domainScan("x", "example.com", { modules: [{ id: "dns_resolve" }, { id: "dns_resolve" }] }),
          "modules[1].id"
        ],
        [Gateway.domainScan("x", "example.com", { modules: [{ id: "dns_resolve", enabled: false }] }), "modules"],
        [Gateway.domainScan("x", "not a domain"), "target.value"],
        [{ name: "x", target: { type: "PHONE", value: "+15551234567" }, modules: [] }, "modules"],
        [
          Gateway.domainScan("x", "example.com", {
            depends_on: { scan_ids: ["6f1c2a9e-0000-4000-8000-000000000000"] }
          }),
          "depends_on.scan_ids[0]"
        ],
        [[], "body"]
      ]
      for (const [body, field] of cases) {
        const answer = yield* Gateway.post("/scans", body, caller)
        const details = problem(answer, 400)
        expect(fields(details), `${JSON.stringify(body)} → ${answer.text}`).toContain(field)
        expect(details.detail).toContain(field)
      }
      const notJson = problem(yield* Gateway.postRaw("/scans", "{\"name\": ", caller), 400)
      expect(fields(notJson)).toEqual(["body"])
      expect(yield* Gateway.count("scans")).toBe(before.scans)
      expect(yield* Gateway.count("scan_events")).toBe(before.events)
    }))

  it.effect("refuses a webhook whose address the network policy refuses, on create and on update; names pass", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const secret = "a-webhook-secret-of-some-length"
      const before = yield* Gateway.count("scans")
      for (const url of ["http://169.254.169.254/latest/meta-data/", "http://192.0.2.1/hook", "http://[::1]:9/hook"]) {
        const answer = yield* Gateway.post(
          "/scans",
          Gateway.domainScan("x", "example.com", { webhook: { url, secret } }),
          caller
        )
        const details = problem(answer, 400)
        expect(fields(details), answer.text).toEqual(["webhook.url"])
        expect(details.detail).toContain("out of scope")
      }
      expect(yield* Gateway.count("scans")).toBe(before)
      const scan = yield* create(
        caller,
        Gateway.domainScan("named", "example.com", { webhook: { url: "https://hooks.example.org/mirage", secret } })
      )
      const update = yield* Gateway.send(
        Gateway.as(caller)(
          HttpClientRequest.put(`/scans/${scan.id}`).pipe(
            HttpClientRequest.bodyUnsafeJson({ webhook: { url: "http://10.1.2.3/hook", secret } })
          )
        )
      )
      expect(fields(problem(update, 400))).toEqual(["webhook.url"])
    }))

  it.effect("reports every fault of a body at once", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const answer = yield* Gateway.post("/scans", {
        name: "",
        target: { type: "DOMAIN", value: "example.com" },
        configuration: { recursion_depth: 99 }
      }, caller)
      expect(fields(problem(answer, 400)).sort()).toEqual(["configuration.recursion_depth", "name"])
    }))

  it.effect("answers 404 for an unknown scan, another organization's scan and unknown routes; 400 for a malformed id", () =>
    Effect.gen(function*() {
      const alice = yield* Gateway.newCaller("analyst")
      const bob = yield* Gateway.newCaller("admin")
      const scan = yield* create(alice, Gateway.domainScan("alice's"))
      problem(yield* Gateway.get("/scans/6f1c2a9e-0000-4000-8000-000000000000", alice), 404)
      problem(yield* Gateway.get(`/scans/${scan.id}`, bob), 404)
      problem(yield* Gateway.get(`/scans/${scan.id}/status`, bob), 404)
      problem(yield* Gateway.get(`/scans/${scan.id}/results`, bob), 404)
      problem(yield* Gateway.post(`/scans/${scan.id}/start`, {}, bob), 404)
      const malformed = problem(yield* Gateway.get("/scans/not-a-uuid", alice), 400)
      expect(fields(malformed)).toEqual(["id"])
      problem(yield* Gateway.get("/no/such/route", alice), 404)
      expect((yield* Gateway.get(`/scans/${scan.id}`, alice)).status).toBe(200)
      const colleague = yield* Gateway.sameOrganization(alice, "viewer")
      expect((yield* Gateway.get(`/scans/${scan.id}`, colleague)).status).toBe(200)
    }))

  it.effect("pages through every scan exactly once, newest first, with filters", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const other = yield* Gateway.newCaller("analyst")
      yield* create(other, Gateway.domainScan("someone else's"))
      const created: Array<WireScan> = []
      for (let i = 0; i < 7; i++) {
        created.push(
          yield* create(caller, Gateway.domainScan(i % 2 === 0 ? `Even ${i}` : `odd ${i}`, `host${i}.example.com`))
        )
      }
      created.push(
        yield* create(caller, {
          name: "an ip",
          target: { type: "IP", value: "192.0.2.1" },
          modules: [{ id: "ip_asn" }]
        })
      )

      const seen: Array<WireScan> = []
      let cursor: string | null = null
      let pages = 0
      do {
        const path: string = `/scans?limit=3${cursor === null ? "" : `&cursor=${cursor}`}`
        const answer = yield* Gateway.get(path, caller)
        expect(answer.status, answer.text).toBe(200)
        const page = answer.body as { items: ReadonlyArray<WireScan>; next_cursor: string | null }
        expect(page.items.length).toBeLessThanOrEqual(3)
        seen.push(...page.items)
        cursor = page.next_cursor
        pages++
      } while (cursor !== null && pages < 10)
      expect(pages).toBe(3)
      expect(seen.map((s) => s.id).sort()).toEqual(created.map((s) => s.id).sort())
      expect(new Set(seen.map((s) => s.id)).size).toBe(seen.length)
      const times = seen.map((s) => Date.parse(s.created_at))
      expect([...times].sort((a, b) => b - a)).toEqual(times)

      const names = (answer: Gateway.Answer) =>
        (answer.body as { items: ReadonlyArray<WireScan> }).items.map((s) => s.name).sort()
      expect(names(yield* Gateway.get("/scans?name=EVEN", caller))).toEqual(["Even 0", "Even 2", "Even 4", "Even 6"])
      expect(names(yield* Gateway.get("/scans?target_type=IP", caller))).toEqual(["an ip"])
      expect(names(yield* Gateway.get("/scans?status=RUNNING", caller))).toEqual([])
      expect(names(yield* Gateway.get("/scans?name=%25", caller))).toEqual([])
      const first = created[0]!
      const after = yield* Gateway.get(`/scans?created_after=${encodeURIComponent(first.created_at)}&limit=200`, caller)
      expect(names(after)).toHaveLength(8)
      const beforeFirst = yield* Gateway.get(`/scans?created_before=${encodeURIComponent(first.created_at)}`, caller)
      expect(names(beforeFirst)).toEqual([])

      expect(fields(problem(yield* Gateway.get("/scans?limit=0", caller), 400))).toEqual(["limit"])
      expect(fields(problem(yield* Gateway.get("/scans?limit=abc", caller), 400))).toEqual(["limit"])
      expect(fields(problem(yield* Gateway.get("/scans?cursor=bm9wZQ", caller), 400))).toEqual(["cursor"])
      expect(fields(problem(yield* Gateway.get("/scans?status=DONE", caller), 400))).toEqual(["status"])
    }))

  it.effect("reports a scan's status", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("viewer")
      const admin = yield* Gateway.sameOrganization(caller, "admin")
      const scan = yield* create(admin, Gateway.domainScan("status"))
      const answer = yield* Gateway.get(`/scans/${scan.id}/status`, caller)
      expect(answer.status).toBe(200)
      expect(answer.body).toEqual({
        id: scan.id,
        status: "CREATED",
        progress: 0,
        result_count: 0,
        correlation_count: 0,
        tasks: { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 },
        started_at: null,
        elapsed_seconds: 0,
        status_reason: null,
        rate_per_second: 0,
        eta_seconds: null,
        estimated_completion_at: null,
        waiting_for: null,
        queue_position: null
      })
    }))

  it.effect("lists a scan's results from the result store, filtered and paged", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const scan = yield* create(caller, Gateway.domainScan("results"))
      const scanId = ScanId.make(scan.id)
      const result = (module: string, type: "IP" | "DOMAIN", data: string, confidence: number) =>
        storedResult(scanId, module, type, data, { confidence, parent: resultHash("DOMAIN", "example.com") })
      yield* Effect.flatMap(ResultStore, (store) =>
        store.insert(scanId, [
          result("dns_resolve", "IP", "192.0.2.1", 1),
          result("dns_resolve", "IP", "192.0.2.2", 0.4),
          result("crtsh", "DOMAIN", "a.example.com", 0.9)
        ]))
      const list = (query: string) =>
        Effect.map(Gateway.get(`/scans/${scan.id}/results${query}`, caller), (answer) => {
          expect(answer.status, answer.text).toBe(200)
          return answer.body as { items: ReadonlyArray<{ data: string }>; next_cursor: string | null }
        })
      const data = (page: { items: ReadonlyArray<{ data: string }> }) => page.items.map((r) => r.data).sort()
      expect(data(yield* list(""))).toEqual(["192.0.2.1", "192.0.2.2", "a.example.com"])
      expect(data(yield* list("?data_type=IP"))).toEqual(["192.0.2.1", "192.0.2.2"])
      expect(data(yield* list("?module=crtsh"))).toEqual(["a.example.com"])
      expect(data(yield* list("?min_confidence=0.5"))).toEqual(["192.0.2.1", "a.example.com"])
      const first = yield* list("?limit=2")
      expect(first.items).toHaveLength(2)
      expect(first.next_cursor).not.toBeNull()
      const second = yield* list(`?limit=2&cursor=${first.next_cursor}`)
      expect([...data(first), ...data(second)].sort()).toEqual(["192.0.2.1", "192.0.2.2", "a.example.com"])
      expect(second.next_cursor).toBeNull()
      expect(fields(problem(yield* Gateway.get(`/scans/${scan.id}/results?min_confidence=2`, caller), 400)))
        .toEqual(["min_confidence"])
      expect(fields(problem(yield* Gateway.get(`/scans/${scan.id}/results?cursor=bm9wZQ`, caller), 400)))
        .toEqual(["cursor"])
    }))

  it.effect("counts a scan's correlation findings apart from its results, wherever the scan is read", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const scan = yield* create(caller, Gateway.domainScan("correlated"))
      const scanId = ScanId.make(scan.id)
      const result = (module: string, type: "DOMAIN" | "CORRELATION", data: string) =>
        storedResult(scanId, module, type, data, {
          metadata: type === "CORRELATION" ? { rule_id: data, risk: "LOW" } : {}
        })
      yield* Effect.flatMap(ResultStore, (store) =>
        store.insert(scanId, [
          result("crtsh", "DOMAIN", "a.example.com"),
          result("correlation", "CORRELATION", "Dev host exposed: dev.example.com"),
          result("correlation", "CORRELATION", "Open database port: 192.0.2.1:5432")
        ]))
      const read = (path: string) =>
        Effect.map(Gateway.get(path, caller), (answer) => {
          expect(answer.status, answer.text).toBe(200)
          return answer.body as Record<string, unknown>
        })
      expect(yield* read(`/scans/${scan.id}`)).toMatchObject({ result_count: 0, correlation_count: 2 })
      expect(yield* read(`/scans/${scan.id}/status`)).toMatchObject({ result_count: 0, correlation_count: 2 })
      const listed = (yield* read("/scans")).items as ReadonlyArray<{ id: string; correlation_count: number }>
      expect(listed.find((item) => item.id === scan.id)?.correlation_count).toBe(2)
      // Other scans count none.
      const other = yield* create(caller, Gateway.domainScan("plain"))
      expect(yield* read(`/scans/${other.id}`)).toMatchObject({ correlation_count: 0 })
    }))

  it.effect("is usable through HttpApiClient: typed successes and typed problems", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const client = yield* HttpApiClient.make(MirageApi, {
        transformClient: Gateway.authorized(caller)
      })
      const answer = yield* client.scans.create({
        urlParams: {},
        payload: CreateScanRequest.make({
          name: "through the client",
          target: Entity.make({ type: "DOMAIN", value: "example.net" }),
          modules: [ScanModule.make({ id: ModuleId.make("dns_resolve") })]
        })
      })
      if (!(answer instanceof ScanCreated)) return expect.unreachable("a created scan, not a plan")
      const created = answer
      expect(created.status).toBe("CREATED")
      expect(created.warnings).toEqual([])
      const read = yield* client.scans.get({ path: { id: created.id } })
      expect(read.id).toBe(created.id)
      const missing = yield* Effect.flip(
        client.scans.get({ path: { id: ScanId.make("6f1c2a9e-0000-4000-8000-000000000000") } })
      )
      expect(missing._tag).toBe("NotFound")
      const page = yield* client.scans.list({ urlParams: { limit: 10 } })
      expect(page.items.map((s) => s.id)).toContain(created.id)
    }))

  it.effect("documents every endpoint in /openapi.json with its request and response schemas", () =>
    Effect.gen(function*() {
      const answer = yield* Gateway.get("/openapi.json")
      expect(answer.status).toBe(200)
      const spec = answer.body as {
        paths: Record<
          string,
          Record<string, {
            requestBody?: { content: Record<string, { schema: unknown }> }
            responses: Record<string, { content?: Record<string, { schema: unknown }> }>
            security?: ReadonlyArray<unknown>
          }>
        >
        components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { scheme?: string }> }
      }
      const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
        Object.entries(item).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as const)
      )
      expect(operations.map(([name]) => name).sort()).toEqual([
        "DELETE /alert-channels/{id}",
        "DELETE /alert-rules/{id}",
        "DELETE /api-keys/{id}",
        "DELETE /collect/{job_id}",
        "DELETE /correlation-rules/{id}",
        "DELETE /scans/{id}",
        "DELETE /schedules/{id}",
        "DELETE /templates/{id}",
        "GET /alert-channels",
        "GET /alert-channels/{id}",
        "GET /alert-rules",
        "GET /alert-rules/{id}",
        "GET /alerts",
        "GET /alerts/events",
        "GET /api-keys",
        "GET /assets",
        "GET /audit",
        "GET /collect/{job_id}",
        "GET /collect/{job_id}/logs",
        "GET /collect/{job_id}/results",
        "GET /correlation-rules",
        "GET /health",
        "GET /metrics",
        "GET /modules",
        "GET /modules/{id}",
        "GET /quotas",
        "GET /ready",
        "GET /retention",
        "GET /scans",
        "GET /scans/{id}",
        "GET /scans/{id}/diff",
        "GET /scans/{id}/events",
        "GET /scans/{id}/history",
        "GET /scans/{id}/results",
        "GET /scans/{id}/status",
        "GET /schedules",
        "GET /schedules/{id}",
        "GET /schedules/{id}/runs",
        "GET /sources",
        "GET /sources/{id}",
        "GET /templates",
        "GET /templates/{id}",
        "PATCH /alert-channels/{id}",
        "PATCH /alert-rules/{id}",
        "POST /alert-channels",
        "POST /alert-rules",
        "POST /api-keys",
        "POST /collect",
        "POST /correlation-rules",
        "POST /scans",
        "POST /scans/{id}/pause",
        "POST /scans/{id}/plan",
        "POST /scans/{id}/resume",
        "POST /scans/{id}/start",
        "POST /scans/{id}/stop",
        "POST /schedules",
        "POST /templates",
        "PUT /quotas",
        "PUT /retention",
        "PUT /scans/{id}",
        "PUT /schedules/{id}",
        "PUT /templates/{id}"
      ])
      const op = (name: string) => operations.find(([n]) => n === name)![1]
      expect(op("POST /scans").requestBody?.content["application/json"]?.schema).toEqual({
        $ref: "#/components/schemas/CreateScanRequest"
      })
      expect(op("POST /scans").responses["201"]?.content?.["application/json"]?.schema).toEqual({
        $ref: "#/components/schemas/ScanCreated"
      })
      expect(Object.keys(op("POST /scans/{id}/start").responses)).toEqual(
        expect.arrayContaining(["200", "202", "400", "401", "403", "404", "409"])
      )
      expect(op("POST /scans/{id}/start").responses["409"]?.content?.["application/problem+json"]?.schema).toEqual({
        $ref: "#/components/schemas/Conflict"
      })
      expect(op("POST /scans").responses["200"]?.content?.["application/json"]?.schema).toEqual({
        $ref: "#/components/schemas/ScanPlan"
      })
      expect(op("PUT /scans/{id}").requestBody?.content["application/json"]?.schema).toEqual({
        $ref: "#/components/schemas/UpdateScanRequest"
      })
      expect(Object.keys(op("GET /scans/{id}/results").responses["200"]?.content ?? {})).toEqual(
        expect.arrayContaining(["application/json", "application/x-ndjson", "text/csv"])
      )
      for (const name of ["POST /scans/{id}/stop", "POST /scans/{id}/pause", "POST /scans/{id}/resume"]) {
        expect(Object.keys(op(name).responses), name).toEqual(expect.arrayContaining(["200", "202", "404", "409"]))
      }
      for (const [name, operation] of operations) {
        const success = ["200", "201", "202", "204"].map((status) => operation.responses[status])
        expect(success.find((response) => response !== undefined), name).toBeDefined()
        expect(operation.responses["400"]?.content?.["application/problem+json"], name).toBeDefined()
        const operational = ["GET /health", "GET /ready", "GET /metrics"].includes(name)
        expect(operation.security, name).toEqual(operational ? [] : [{ bearer: [] }])
      }
      for (
        const schema of [
          "Scan",
          "ScanCreated",
          "ScanPage",
          "ScanStatusReport",
          "ResultPage",
          "CollectionResult",
          "BadRequest",
          "ScanPlan",
          "HistoryPage",
          "TemplateView",
          "TemplateList",
          "UpdateTemplateRequest",
          "AuditPage",
          "AuditEntry",
          "IssuedApiKey",
          "ApiKeyList",
          "CreateApiKeyRequest"
        ]
      ) {
        expect(spec.components.schemas[schema], schema).toBeDefined()
      }
      expect(spec.components.schemas["HttpApiDecodeError"]).toBeUndefined()
      expect(spec.components.securitySchemes["bearer"]?.scheme).toBe("bearer")
    }))
})
