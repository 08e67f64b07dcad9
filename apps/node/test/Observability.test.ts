/**
 * Observability end to end: a scan on an in-process node moves the task, result and HTTP counters
 * the gateway's and the node's `/metrics` expose, and both `/ready` endpoints answer 200.
 */
import { describe, expect, layer as withLayer } from "@effect/vitest"
import * as NodeEndpoints from "@mirage/runtime/cluster/NodeEndpoints"
import * as Prometheus from "@mirage/testkit/Prometheus"
import { Effect } from "effect"
import { get, newCaller, post } from "../../gateway/test/Gateway.js"
import { layer, startNode, World } from "./Stack.js"

const scrapeGateway = Effect.flatMap(get("/metrics"), (answer) => {
  expect(answer.status).toBe(200)
  expect(answer.headers["content-type"]).toContain("text/plain")
  return Prometheus.parse(answer.text)
})

const fetchText = (url: string) =>
  Effect.promise(async () => {
    const response = await fetch(url)
    return { status: response.status, text: await response.text() }
  })

describe("observability", () => {
  withLayer(layer, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.scoped("a scan moves the counters on /metrics; /ready is 200 on the gateway and the node", () =>
      Effect.gen(function*() {
        const world = yield* World
        // The counters are the process's, which other test files move too: each must move past its value before
        // this node started.
        const before = yield* scrapeGateway
        const moved = (after: Prometheus.Exposition, name: string, labels?: Record<string, string>) =>
          expect(Prometheus.total(after, name, labels), name).toBeGreaterThan(Prometheus.total(before, name, labels))
        const node = yield* startNode("obs-a")
        const endpoints = yield* NodeEndpoints.serve(node.node, { port: 0, readyTimeoutMs: 2000 })
        const caller = yield* newCaller("analyst")

        const created = yield* post("/scans", {
          name: "observability",
          target: { type: "DOMAIN", value: world.domain },
          modules: [{ id: "crtsh" }, { id: "dns_resolve" }],
          configuration: { recursion_depth: 1 }
        }, caller)
        expect(created.status).toBe(201)
        const id = (created.body as { id: string }).id
        yield* post(`/scans/${id}/start`, {}, caller)
        let status = ""
        for (let i = 0; i < 600 && !["COMPLETED", "FAILED", "CANCELLED"].includes(status); i++) {
          status = ((yield* get(`/scans/${id}/status`, caller)).body as { status: string }).status
          if (status !== "COMPLETED") yield* Effect.sleep("50 millis")
        }
        expect(status).toBe("COMPLETED")

        const after = yield* scrapeGateway
        moved(after, "mirage_tasks_completed_total")
        moved(after, "mirage_tasks_completed_total", { module: "crtsh", outcome: "succeeded" })
        moved(after, "mirage_tasks_started_total", { module: "dns_resolve" })
        moved(after, "mirage_task_duration_seconds_count", { module: "crtsh" })
        moved(after, "mirage_module_duration_seconds_count", { module: "crtsh" })
        moved(after, "mirage_results_stored_total")
        expect(Prometheus.total(after, "mirage_scans", { status: "COMPLETED" })).toBeGreaterThanOrEqual(1)
        moved(after, "mirage_takeovers_total")
        // Leases are renewed from the round after they were taken: the scan may end before that.
        const renewalsBefore = Prometheus.total(before, "mirage_lease_renewals_total")
        let renewals = Prometheus.total(after, "mirage_lease_renewals_total")
        for (let i = 0; i < 40 && renewals === renewalsBefore; i++) {
          yield* Effect.sleep("50 millis")
          renewals = Prometheus.total(yield* scrapeGateway, "mirage_lease_renewals_total")
        }
        expect(renewals).toBeGreaterThan(renewalsBefore)
        moved(after, "mirage_http_requests_total", { route: "/scans/:id/status", status: "200" })
        moved(after, "mirage_http_request_duration_seconds_count", { route: "/scans" })

        const ready = yield* get("/ready")
        expect(ready.status, ready.text).toBe(200)

        // The node's own endpoints: alone in the cluster, it is ready once it runs.
        const base = `http://127.0.0.1:${endpoints.port}`
        expect((yield* fetchText(`${base}/health`)).status).toBe(200)
        const nodeReady = yield* fetchText(`${base}/ready`)
        expect(nodeReady.status, nodeReady.text).toBe(200)
        const nodeMetrics = yield* Effect.flatMap(
          fetchText(`${base}/metrics`),
          (answer) => Prometheus.parse(answer.text)
        )
        expect(Prometheus.total(nodeMetrics, "mirage_shards_owned", { node: "obs-a" })).toBe(16)
        expect(nodeMetrics.samples.filter((s) => s.name === "mirage_stream_pending").length).toBe(16)
        yield* node.stop
      }))
  })
})
