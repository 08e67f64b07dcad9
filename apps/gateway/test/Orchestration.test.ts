/**
 * Orchestration across scans through the HTTP API with a node in this process: quotas (a start
 * beyond the running-scans quota waits visibly and starts in FIFO order; the concurrent-task quota
 * holds across the node), status notifications (Redis stream, signed webhooks) and chaining.
 */
import { HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import type { OrganizationId } from "@mirage/domain/Ids"
import { RedisClient } from "@mirage/runtime/platform/RedisClient"
import { ScanQuotas } from "@mirage/runtime/scans/Quotas"
import * as QuotasPostgres from "@mirage/runtime/scans/Quotas/Postgres"
import { sign } from "@mirage/runtime/scans/Webhooks"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import * as Cluster from "./Cluster.js"
import { pollStatus, untilEnd } from "./Cluster.js"
import * as Gateway from "./Gateway.js"

const TestLayer = Cluster.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Error)))

const footprint = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  target: { type: "DOMAIN", value: "example.test" },
  modules: [{ id: "crtsh" }, { id: "dns_resolve" }, { id: "ip_asn" }],
  configuration: { recursion_depth: 2 },
  ...extra
})

const createScan = (caller: Gateway.Caller, body: unknown) =>
  Effect.map(Gateway.post("/scans", body, caller), (answer) => {
    expect(answer.status, answer.text).toBe(201)
    return (answer.body as { id: string }).id
  })

const setQuota = (
  organizationId: OrganizationId,
  limits: { max_running_scans?: number; max_concurrent_tasks?: number }
) =>
  Effect.flatMap(ScanQuotas, (quotas) => quotas.override(organizationId, limits)).pipe(
    Effect.provide(QuotasPostgres.layerWith({ max_running_scans: 10, max_concurrent_tasks: 64 }))
  )

const putJson = (path: string, body: unknown) =>
  HttpClientRequest.put(path).pipe(HttpClientRequest.bodyUnsafeJson(body))

/** A local HTTP receiver of webhooks that answers the given statuses first, then 200. */
const receiver = (statuses: ReadonlyArray<number>) =>
  Effect.acquireRelease(
    Effect.async<
      {
        url: string
        requests: Array<{ headers: Record<string, unknown>; body: string; status: number }>
        close: () => void
      }
    >(
      (resume) => {
        const requests: Array<{ headers: Record<string, unknown>; body: string; status: number }> = []
        let i = 0
        const server = createServer((req, res) => {
          let body = ""
          req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")))
          req.on("end", () => {
            const status = statuses[i++] ?? 200
            requests.push({ headers: req.headers, body, status })
            res.statusCode = status
            res.end()
          })
        })
        server.listen(0, "127.0.0.1", () => {
          const { port } = server.address() as AddressInfo
          resume(Effect.succeed({ url: `http://127.0.0.1:${port}/hook`, requests, close: () => server.close() }))
        })
      }
    ),
    (r) => Effect.sync(() => r.close())
  )

layer(TestLayer, { excludeTestServices: true, timeout: "120 seconds" })("Orchestration", (it) => {
  it.scoped("a start beyond the running-scans quota waits with its queue position and starts in FIFO order", () =>
    Effect.gen(function*() {
      const script = Cluster.scriptedExecutor({ fanout: 3, delayMs: 60_000 })
      yield* Cluster.startNode("orch-a", script.executor)
      const caller = yield* Gateway.newCaller("analyst")
      yield* setQuota(caller.organization_id, { max_running_scans: 1 })
      const a = yield* createScan(caller, footprint("a"))
      const b = yield* createScan(caller, footprint("b"))
      const c = yield* createScan(caller, footprint("c"))
      expect((yield* Gateway.post(`/scans/${a}/start`, {}, caller)).status).toBe(200)
      const queuedB = yield* Gateway.post(`/scans/${b}/start`, {}, caller)
      expect(queuedB.status, queuedB.text).toBe(202)
      expect(queuedB.body).toMatchObject({ id: b, status: "CREATED" })
      expect((yield* Gateway.post(`/scans/${c}/start`, {}, caller)).status).toBe(202)
      // Asking again changes nothing: same place.
      expect((yield* Gateway.post(`/scans/${b}/start`, {}, caller)).status).toBe(202)
      expect((yield* Gateway.get(`/scans/${b}/status`, caller)).body).toMatchObject({
        status: "CREATED",
        waiting_for: "quota",
        queue_position: 1
      })
      expect((yield* Gateway.get(`/scans/${c}/status`, caller)).body).toMatchObject({ queue_position: 2 })
      // Another organization is not held up by this one's quota.
      const other = yield* Gateway.newCaller("analyst")
      const o = yield* createScan(other, footprint("other"))
      expect((yield* Gateway.post(`/scans/${o}/start`, {}, other)).status).toBe(200)

      // A ends: B (first in line) starts by itself, C moves up.
      expect((yield* Gateway.post(`/scans/${a}/stop`, {}, caller)).status).toBe(200)
      yield* pollStatus(b, caller, (s) => s.status === "RUNNING")
      expect((yield* Gateway.get(`/scans/${c}/status`, caller)).body).toMatchObject({
        status: "CREATED",
        queue_position: 1
      })
      // A queued scan that is deleted gives up its place; stopping B then starts nobody else but C.
      expect((yield* Gateway.post(`/scans/${b}/stop`, {}, caller)).status).toBe(200)
      yield* pollStatus(c, caller, (s) => s.status === "RUNNING")
      expect((yield* Gateway.get(`/scans/${c}/status`, caller)).body).toMatchObject({ queue_position: null })
      yield* Gateway.post(`/scans/${c}/stop`, {}, caller)
      yield* Gateway.post(`/scans/${o}/stop`, {}, other)
    }))

  it.scoped("the concurrent-task quota of an organization holds at dispatch", () =>
    Effect.gen(function*() {
      const script = Cluster.scriptedExecutor({ fanout: 12, delayMs: 150 })
      yield* Cluster.startNode("orch-b", script.executor)
      const caller = yield* Gateway.newCaller("analyst")
      yield* setQuota(caller.organization_id, { max_concurrent_tasks: 2 })
      const ids = [yield* createScan(caller, footprint("t1")), yield* createScan(caller, footprint("t2"))]
      for (const id of ids) expect((yield* Gateway.post(`/scans/${id}/start`, {}, caller)).status).toBe(200)
      for (const id of ids) {
        expect((yield* pollStatus(id, caller, untilEnd)).at(-1)).toMatchObject({ status: "COMPLETED" })
      }
      // 4 scan-level slots per scan and 16 on the node, but never more than 2 tasks of the organization at once.
      expect(script.peak()).toBeLessThanOrEqual(2)
      expect(script.peak()).toBe(2)
      const redis = yield* RedisClient
      const left = yield* Effect.promise(() => redis.redis.zcard(redis.key(`quota:${caller.organization_id}`, "tasks")))
      expect(left).toBe(0)
    }))

  it.scoped("publishes every status change on the notifications stream and POSTs signed events to the scan's webhook", () =>
    Effect.gen(function*() {
      const hook = yield* receiver([500, 503])
      const script = Cluster.scriptedExecutor({ fanout: 1 })
      yield* Cluster.startNode("orch-c", script.executor)
      const caller = yield* Gateway.newCaller("analyst")
      const secret = "a-webhook-secret-of-some-length"
      const id = yield* createScan(caller, footprint("notified", { webhook: { url: hook.url, secret } }))
      expect((yield* Gateway.get(`/scans/${id}`, caller)).text).not.toContain(secret)
      yield* Gateway.post(`/scans/${id}/start`, {}, caller)
      yield* pollStatus(id, caller, untilEnd)

      const redis = yield* RedisClient
      const stream = redis.key("notifications", "scan-status")
      expect(stream).toBe(`${redis.prefix}:{notifications}:scan-status`)
      const entries = yield* Effect.promise(() => redis.redis.xrange(stream, "-", "+"))
      const mine = entries
        .map(([, fields]) => JSON.parse(fields[fields.indexOf("data") + 1]!) as { scan_id: string; status: string })
        .filter((e) => e.scan_id === id)
      expect(mine.map((e) => e.status)).toEqual(["RUNNING", "COMPLETED"])
      expect(mine[0]).toMatchObject({ previous_status: "CREATED", organization_id: caller.organization_id })

      // Two failures, then delivered: retried; every attempt signed over the raw body.
      const delivered = () =>
        new Set(
          hook.requests.filter((r) => r.status === 200).map((r) => (JSON.parse(r.body) as { status: string }).status)
        )
      for (let i = 0; i < 100 && delivered().size < 2; i++) yield* Effect.sleep("50 millis")
      expect(hook.requests.length).toBeGreaterThanOrEqual(4)
      for (const request of hook.requests) {
        expect(request.headers["x-mirage-signature"]).toBe(sign(secret, request.body))
        expect(Number(request.headers["x-mirage-timestamp"])).toBeGreaterThan(1_600_000_000)
        expect(request.headers["content-type"]).toContain("application/json")
      }
      expect(delivered()).toEqual(new Set(["RUNNING", "COMPLETED"]))
    }))

  it.scoped("chaining: a dependent starts by itself when its dependencies complete, with their results as targets", () =>
    Effect.gen(function*() {
      const script = Cluster.scriptedExecutor({ fanout: 3, delayMs: 100 })
      yield* Cluster.startNode("orch-d", script.executor)
      const caller = yield* Gateway.newCaller("analyst")
      const a = yield* createScan(
        caller,
        footprint("a", { modules: [{ id: "crtsh" }], configuration: { recursion_depth: 1 } })
      )
      const b = yield* createScan(caller, {
        name: "b",
        target: { type: "DOMAIN", value: "other.test" },
        modules: [{ id: "dns_resolve" }],
        configuration: { recursion_depth: 0 },
        depends_on: { scan_ids: [a], result_types: ["DOMAIN"] }
      })
      expect((yield* Gateway.get(`/scans/${b}`, caller)).body).toMatchObject({
        depends_on: { scan_ids: [a], result_types: ["DOMAIN"], on_failure: "fail" }
      })
      expect((yield* Gateway.get(`/scans/${b}/status`, caller)).body).toMatchObject({ waiting_for: "dependencies" })
      const early = yield* Gateway.post(`/scans/${b}/start`, {}, caller)
      expect(early.status).toBe(409)
      expect(early.body).toMatchObject({ current_status: "CREATED" })

      expect((yield* Gateway.post(`/scans/${a}/start`, {}, caller)).status).toBe(200)
      yield* pollStatus(a, caller, untilEnd)
      const end = (yield* pollStatus(b, caller, untilEnd)).at(-1)!
      expect(end).toMatchObject({ status: "COMPLETED" })
      // b resolved its own target and a's three subdomains.
      const resolved = script.calls.filter((t) => t.owner === b).map((t) => t.entity.value).sort()
      expect(resolved).toEqual(["host0.example.test", "host1.example.test", "host2.example.test", "other.test"])
      const history = (yield* Gateway.get(`/scans/${b}/history?limit=200`, caller)).body as {
        items: Array<{ type: string }>
      }
      expect(history.items.map((e) => e.type).slice(0, 3)).toEqual(["ScanCreated", "SeedsAdded", "ScanStarted"])

      // Created once its dependency has completed: starts at once.
      const late = yield* createScan(caller, {
        name: "late",
        target: { type: "DOMAIN", value: "late.test" },
        modules: [{ id: "dns_resolve" }],
        configuration: { recursion_depth: 0 },
        depends_on: { scan_ids: [a], result_types: [] }
      })
      expect((yield* pollStatus(late, caller, untilEnd)).at(-1)).toMatchObject({ status: "COMPLETED" })
    }))

  it.scoped("chaining: on_failure fail fails the dependent, continue starts it anyway; cycles through PUT are refused", () =>
    Effect.gen(function*() {
      const script = Cluster.scriptedExecutor({ fanout: 1, delayMs: 60_000 })
      yield* Cluster.startNode("orch-e", script.executor)
      const caller = yield* Gateway.newCaller("analyst")
      const a = yield* createScan(caller, footprint("a"))
      const strict = yield* createScan(caller, footprint("strict", { depends_on: { scan_ids: [a] } }))
      const lenient = yield* createScan(caller, {
        ...footprint("lenient", { modules: [{ id: "ip_asn" }], target: { type: "IP", value: "192.0.2.7" } }),
        depends_on: { scan_ids: [a], on_failure: "continue" }
      })
      // a → strict: making a depend on strict closes a cycle; on itself too.
      const cycle = yield* Gateway.send(
        Gateway.as(caller)(putJson(`/scans/${a}`, { depends_on: { scan_ids: [strict] } }))
      )
      expect(cycle.status, cycle.text).toBe(400)
      expect(cycle.body).toMatchObject({
        errors: [{ field: "depends_on.scan_ids", message: expect.stringContaining("cycle") }]
      })
      const self = yield* Gateway.send(Gateway.as(caller)(putJson(`/scans/${a}`, { depends_on: { scan_ids: [a] } })))
      expect(self.status).toBe(400)

      expect((yield* Gateway.post(`/scans/${a}/start`, {}, caller)).status).toBe(200)
      expect((yield* Gateway.post(`/scans/${a}/stop`, {}, caller)).status).toBe(200)
      const failed = (yield* pollStatus(strict, caller, untilEnd)).at(-1)!
      expect(failed.status).toBe("FAILED")
      expect(failed.status_reason).toContain("CANCELLED")
      const ran = (yield* pollStatus(lenient, caller, (s) => s.status !== "CREATED")).at(-1)!
      expect(["RUNNING", "COMPLETED"]).toContain(ran.status)
      yield* Gateway.post(`/scans/${lenient}/stop`, {}, caller)
    }))
})
