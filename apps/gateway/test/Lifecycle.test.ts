/**
 * The scan lifecycle through the HTTP API with a node in this process on the real stores:
 * start, progress, pause/resume (also across a restart of every node), stop, update, delete,
 * illegal transitions, limits, results (paging, filters, exports), history and the dry run.
 */
import { HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { PgClient } from "@mirage/runtime/platform/PgClient"
import { Effect, Layer, Logger, LogLevel } from "effect"
import * as Cluster from "./Cluster.js"
import * as Gateway from "./Gateway.js"

const TestLayer = Cluster.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Error)))

type Status = Cluster.Status
const { pollStatus, untilEnd } = Cluster

const createScan = (caller: Gateway.Caller, body: unknown) =>
  Effect.map(Gateway.post("/scans", body, caller), (answer) => {
    expect(answer.status, answer.text).toBe(201)
    return (answer.body as { id: string }).id
  })

const footprint = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  target: { type: "DOMAIN", value: "example.test" },
  modules: [{ id: "crtsh" }, { id: "dns_resolve" }, { id: "ip_asn" }],
  configuration: { recursion_depth: 2 },
  ...extra
})

const send = (method: "PUT" | "DELETE", path: string, caller: Gateway.Caller, body?: unknown) =>
  Gateway.send(
    Gateway.as(caller)(
      method === "PUT"
        ? HttpClientRequest.put(path).pipe(HttpClientRequest.bodyUnsafeJson(body))
        : HttpClientRequest.del(path)
    )
  )

layer(TestLayer, { excludeTestServices: true, timeout: "120 seconds" })("Lifecycle", (it) => {
  it.scoped("runs a scan to completion: progress only grows, reaches 1 only when COMPLETED; results page and export", () =>
    Effect.gen(function*() {
      const script = Cluster.scriptedExecutor({ fanout: 4, delayMs: 30 })
      yield* Cluster.startNode("life-a", script.executor)
      const caller = yield* Gateway.newCaller("analyst")
      const id = yield* createScan(caller, footprint("complete"))

      const plan = yield* Gateway.post(`/scans/${id}/plan`, {}, caller)
      expect(plan.status, plan.text).toBe(200)
      expect(plan.body).toMatchObject({
        plan: {
          target_type: "DOMAIN",
          steps: expect.arrayContaining([expect.objectContaining({ module_id: "ip_asn", depth: 1 })])
        }
      })

      const started = yield* Gateway.post(`/scans/${id}/start`, {}, caller)
      expect(started.status, started.text).toBe(200)
      expect(started.body).toMatchObject({ id, status: "RUNNING" })

      const seen = yield* pollStatus(id, caller, untilEnd)
      const last = seen.at(-1)!
      expect(last).toMatchObject({ status: "COMPLETED", progress: 1, status_reason: "quiescent", eta_seconds: null })
      seen.reduce((previous, s) => {
        expect(s.progress).toBeGreaterThanOrEqual(previous)
        expect(s.progress).toBeLessThanOrEqual(1)
        if (s.status !== "COMPLETED") expect(s.progress).toBeLessThan(1)
        return s.progress
      }, 0)
      const running = seen.filter((s) => s.status === "RUNNING")
      for (const s of running) expect(s.eta_seconds).not.toBeNull()
      // 1 root + 4 subdomains, each resolved to an IP, each IP to an ASN (some shared).
      expect(last.result_count).toBeGreaterThanOrEqual(9)
      expect(last.rate_per_second).toBeGreaterThan(0)

      // Pages: a stable cursor that ends, no duplicates, everything once.
      const ids: Array<string> = []
      let cursor: string | null = null
      do {
        const answer: Gateway.Answer = yield* Gateway.get(
          `/scans/${id}/results?limit=3${cursor === null ? "" : `&cursor=${cursor}`}`,
          caller
        )
        expect(answer.status, answer.text).toBe(200)
        const page = answer.body as { items: Array<{ id: string }>; next_cursor: string | null }
        ids.push(...page.items.map((r) => r.id))
        cursor = page.next_cursor
      } while (cursor !== null)
      expect(ids.length).toBe(last.result_count)
      expect(new Set(ids).size).toBe(ids.length)

      const ips = yield* Gateway.get(`/scans/${id}/results?data_type=IP&module=dns_resolve&min_confidence=0.5`, caller)
      const ipItems = (ips.body as { items: Array<{ data_type: string; module_id: string }> }).items
      expect(ipItems.length).toBeGreaterThan(0)
      for (const r of ipItems) expect(r).toMatchObject({ data_type: "IP", module_id: "dns_resolve" })
      expect((yield* Gateway.get(`/scans/${id}/results?min_confidence=0.95`, caller)).body).toMatchObject({ items: [] })

      // Exports: every result, by `format=` or by Accept.
      const json = yield* Gateway.get(`/scans/${id}/results?format=json`, caller)
      expect(json.headers["content-type"]).toContain("application/json")
      expect((json.body as Array<{ id: string }>).map((r) => r.id).sort()).toEqual([...ids].sort())
      const ndjson = yield* Gateway.send(
        Gateway.as(caller)(
          HttpClientRequest.get(`/scans/${id}/results`).pipe(
            HttpClientRequest.setHeader("accept", "application/x-ndjson")
          )
        )
      )
      expect(ndjson.headers["content-type"]).toContain("application/x-ndjson")
      const lines = ndjson.text.trim().split("\n")
      expect(lines.length).toBe(ids.length)
      expect(JSON.parse(lines[0]!)).toHaveProperty("data_type")
      const csv = yield* Gateway.get(`/scans/${id}/results?format=csv&data_type=IP`, caller)
      expect(csv.headers["content-type"]).toContain("text/csv")
      const rows = csv.text.trim().split("\r\n")
      expect(rows[0]).toBe("id,scan_id,task_id,module_id,data_type,data,confidence,collected_at,hash,parent")
      expect(rows.length - 1).toBe(ipItems.length)
      const empty = yield* Gateway.get(`/scans/${id}/results?format=json&data_type=EMAIL`, caller)
      expect(empty.body).toEqual([])

      // History: the event log, paged, from ScanCreated on.
      const history = yield* Gateway.get(`/scans/${id}/history?limit=2`, caller)
      expect(history.status, history.text).toBe(200)
      const first = history.body as { items: Array<{ seq: number; type: string }>; next_cursor: string | null }
      expect(first.items.map((e) => e.type)).toEqual(["ScanCreated", "ScanStarted"])
      const rest = yield* Gateway.get(`/scans/${id}/history?limit=200&cursor=${first.next_cursor}`, caller)
      const types = (rest.body as { items: Array<{ seq: number; type: string }> }).items.map((e) => e.type)
      expect(types.at(-1)).toBe("ScanCompleted")
      expect((rest.body as { items: Array<{ seq: number }> }).items[0]!.seq).toBe(3)
    }))

  it.scoped("refuses illegal transitions with 409 naming the current status", () =>
    Effect.gen(function*() {
      const script = Cluster.scriptedExecutor({ fanout: 1 })
      yield* Cluster.startNode("life-b", script.executor)
      const caller = yield* Gateway.newCaller("analyst")
      const id = yield* createScan(caller, footprint("illegal"))
      const pause = yield* Gateway.post(`/scans/${id}/pause`, {}, caller)
      expect(pause.status, pause.text).toBe(409)
      expect(pause.headers["content-type"]).toContain("application/problem+json")
      expect(pause.body).toMatchObject({ status: 409, current_status: "CREATED" })
      expect((pause.body as { detail: string }).detail).toContain("CREATED")
      expect((yield* Gateway.post(`/scans/${id}/resume`, {}, caller)).body).toMatchObject({ current_status: "CREATED" })
      yield* Gateway.post(`/scans/${id}/start`, {}, caller)
      yield* pollStatus(id, caller, untilEnd)
      const resume = yield* Gateway.post(`/scans/${id}/resume`, {}, caller)
      expect(resume.status).toBe(409)
      expect(resume.body).toMatchObject({ current_status: "COMPLETED" })
      expect((yield* Gateway.post(`/scans/${id}/start`, {}, caller)).body).toMatchObject({
        current_status: "COMPLETED"
      })
      expect((yield* Gateway.post(`/scans/${id}/stop`, {}, caller)).body).toMatchObject({ current_status: "COMPLETED" })
      const put = yield* send("PUT", `/scans/${id}`, caller, { name: "too late" })
      expect(put.status).toBe(409)
      expect(put.body).toMatchObject({ current_status: "COMPLETED" })
    }))

  it.scoped("updates a CREATED scan (validated like creation), stops a running one, deletes (running ones cancelled first)", () =>
    Effect.gen(function*() {
      const script = Cluster.scriptedExecutor({ fanout: 6, delayMs: 400 })
      yield* Cluster.startNode("life-c", script.executor)
      const caller = yield* Gateway.newCaller("analyst")
      const id = yield* createScan(caller, footprint("to update"))
      const bad = yield* send("PUT", `/scans/${id}`, caller, {
        modules: [{ id: "nope" }],
        configuration: { recursion_depth: 99 }
      })
      expect(bad.status).toBe(400)
      expect((bad.body as { errors: Array<{ field: string }> }).errors.map((e) => e.field)).toEqual(
        expect.arrayContaining(["configuration.recursion_depth"])
      )
      const unknownModule = yield* send("PUT", `/scans/${id}`, caller, { modules: [{ id: "nope" }] })
      expect(unknownModule.status).toBe(400)
      expect(unknownModule.body).toMatchObject({ errors: [{ field: "modules[0].id" }] })
      const updated = yield* send("PUT", `/scans/${id}`, caller, {
        name: "updated",
        modules: [{ id: "crtsh" }],
        configuration: { max_results: 50, priority: "HIGH" }
      })
      expect(updated.status, updated.text).toBe(200)
      expect(updated.body).toMatchObject({
        name: "updated",
        status: "CREATED",
        modules: [{ id: "crtsh" }],
        configuration: { max_results: 50, priority: "HIGH", recursion_depth: 2 }
      })
      expect((yield* Gateway.get(`/scans/${id}`, caller)).body).toMatchObject({ name: "updated" })

      expect((yield* Gateway.post(`/scans/${id}/start`, {}, caller)).status).toBe(200)
      const stop = yield* Gateway.post(`/scans/${id}/stop`, {}, caller)
      expect(stop.status, stop.text).toBe(200)
      expect(stop.body).toMatchObject({ status: "CANCELLED", status_reason: "stopped by user" })

      const running = yield* createScan(caller, footprint("to delete"))
      expect((yield* Gateway.post(`/scans/${running}/start`, {}, caller)).status).toBe(200)
      const deleted = yield* send("DELETE", `/scans/${running}`, caller)
      expect(deleted.status, deleted.text).toBe(204)
      expect((yield* Gateway.get(`/scans/${running}`, caller)).status).toBe(404)
      expect((yield* Gateway.get(`/scans/${running}/status`, caller)).status).toBe(404)
      expect((yield* send("DELETE", `/scans/${running}`, caller)).status).toBe(404)
      const listed = (yield* Gateway.get(`/scans?limit=200`, caller)).body as { items: Array<{ id: string }> }
      expect(listed.items.map((s) => s.id)).not.toContain(running)
      // The log shows it was cancelled before it was deleted; the audit trail remains.
      const log = yield* Effect.flatMap(
        PgClient,
        (sql) =>
          Effect.promise(() =>
            sql<Array<{ type: string }>>`select type from scan_events where scan_id = ${running} order by seq`
          )
      )
      expect(log.map((e) => e.type).slice(-2)).toEqual(["ScanCancelled", "ScanDeleted"])
      const admin = yield* Gateway.sameOrganization(caller, "admin")
      const audit = yield* Gateway.get(`/audit?resource=scan/${running}`, admin)
      expect((audit.body as { items: Array<{ action: string }> }).items.map((e) => e.action)).toEqual([
        "scan.delete",
        "scan.delete",
        "scan.start"
      ])
    }))

  it.scoped("pause stops dispatching and lets in-flight tasks finish; pause and resume survive a restart of every node", () =>
    Effect.gen(function*() {
      const script = Cluster.scriptedExecutor({ fanout: 8, delayMs: 250 })
      const first = yield* Cluster.startNode("life-d1", script.executor)
      const caller = yield* Gateway.newCaller("analyst")
      const id = yield* createScan(caller, footprint("pause me"))
      expect((yield* Gateway.post(`/scans/${id}/start`, {}, caller)).status).toBe(200)
      yield* pollStatus(id, caller, (s) => s.tasks.completed >= 1)
      const paused = yield* Gateway.post(`/scans/${id}/pause`, {}, caller)
      expect(paused.status, paused.text).toBe(200)
      expect(paused.body).toMatchObject({ status: "PAUSED" })
      // In-flight tasks finish; nothing new starts.
      const settled = yield* pollStatus(id, caller, (s) => s.tasks.running === 0)
      const atRest = settled.at(-1)!
      expect(atRest.status).toBe("PAUSED")
      expect(atRest.tasks.queued).toBeGreaterThan(0)
      const callsAtRest = script.calls.length
      yield* Effect.sleep("600 millis")
      expect(script.calls.length).toBe(callsAtRest)
      const still = (yield* Gateway.get(`/scans/${id}/status`, caller)).body as Status
      expect(still).toMatchObject({ status: "PAUSED", result_count: atRest.result_count, tasks: atRest.tasks })
      expect(still.elapsed_seconds).toBeCloseTo(atRest.elapsed_seconds, 1)

      // Every node goes; a new one comes; the scan is still paused, and resumes there.
      yield* first.stop
      yield* Cluster.startNode("life-d2", script.executor)
      expect((yield* Gateway.get(`/scans/${id}/status`, caller)).body).toMatchObject({ status: "PAUSED" })
      const resumed = yield* Gateway.post(`/scans/${id}/resume`, {}, caller)
      expect(resumed.status, resumed.text).toBe(200)
      expect(resumed.body).toMatchObject({ status: "RUNNING" })
      const end = (yield* pollStatus(id, caller, untilEnd)).at(-1)!
      expect(end).toMatchObject({ status: "COMPLETED", progress: 1 })
      expect(end.result_count).toBeGreaterThan(atRest.result_count)
    }))

  it.scoped("limits: max_results is exact; max_duration counts running time only", () =>
    Effect.gen(function*() {
      const script = Cluster.scriptedExecutor({ fanout: 30, delayMs: 50 })
      yield* Cluster.startNode("life-e", script.executor)
      const caller = yield* Gateway.newCaller("analyst")
      const capped = yield* createScan(
        caller,
        footprint("capped", { configuration: { max_results: 7, recursion_depth: 2 } })
      )
      yield* Gateway.post(`/scans/${capped}/start`, {}, caller)
      const end = (yield* pollStatus(capped, caller, untilEnd)).at(-1)!
      expect(end).toMatchObject({ status: "COMPLETED", status_reason: "max_results", result_count: 7 })
      const all = yield* Gateway.get(`/scans/${capped}/results?format=json`, caller)
      expect((all.body as Array<unknown>).length).toBe(7)
    }))

  it.scoped("max_duration ends a scan after its running time, not counting pauses", () =>
    Effect.gen(function*() {
      const script = Cluster.scriptedExecutor({ fanout: 2, delayMs: 30_000 })
      yield* Cluster.startNode("life-f", script.executor)
      const caller = yield* Gateway.newCaller("analyst")
      const id = yield* createScan(
        caller,
        footprint("timed", { configuration: { max_duration: 2, recursion_depth: 1 } })
      )
      yield* Gateway.post(`/scans/${id}/start`, {}, caller)
      yield* Effect.sleep("500 millis")
      expect((yield* Gateway.post(`/scans/${id}/pause`, {}, caller)).status).toBe(200)
      // Paused for longer than max_duration: it must still be PAUSED.
      yield* Effect.sleep("2500 millis")
      expect((yield* Gateway.get(`/scans/${id}/status`, caller)).body).toMatchObject({ status: "PAUSED" })
      expect((yield* Gateway.post(`/scans/${id}/resume`, {}, caller)).status).toBe(200)
      const end = (yield* pollStatus(id, caller, untilEnd)).at(-1)!
      expect(end).toMatchObject({ status: "COMPLETED", status_reason: "max_duration" })
      expect(end.elapsed_seconds).toBeGreaterThanOrEqual(2)
      expect(end.elapsed_seconds).toBeLessThan(3.5)
    }))

  it.scoped("dry run: ?dry_run=true plans and creates nothing; unreachable modules are warnings", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const before = yield* Gateway.count("scans")
      const answer = yield* Gateway.post("/scans?dry_run=true", {
        ...footprint("dry"),
        modules: [{ id: "crtsh" }, { id: "dns_resolve" }, { id: "ip_asn" }, { id: "phone_lookup" }]
      }, caller)
      expect(answer.status, answer.text).toBe(200)
      expect(answer.body).toMatchObject({
        target: { type: "DOMAIN", value: "example.test" },
        plan: {
          target_type: "DOMAIN",
          recursion_depth: 2,
          steps: [
            { module_id: "crtsh", depth: 0 },
            { module_id: "dns_resolve", depth: 0 },
            { module_id: "ip_asn", depth: 1 }
          ]
        }
      })
      expect((answer.body as { warnings: Array<string> }).warnings.join()).toContain("phone_lookup")
      expect(yield* Gateway.count("scans")).toBe(before)
      const invalid = yield* Gateway.post(
        "/scans?dry_run=true",
        { ...footprint("dry"), modules: [{ id: "nope" }] },
        caller
      )
      expect(invalid.status).toBe(400)
    }))
})
