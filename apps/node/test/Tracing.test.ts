/**
 * One trace per scan, across nodes and a takeover: three nodes, each with a tracer provider of its
 * own (as three processes have), exporting to one in-memory exporter. The node that owns the scan
 * dies with tasks in flight; another takes it over and finishes it. Every span of the scan is in
 * one tree under the scan's root span, whichever node wrote it.
 */
import { describe, expect, layer as withLayer } from "@effect/vitest"
import { TaskExecutor } from "@mirage/runtime/collection/TaskExecutor"
import * as Tracing from "@mirage/runtime/platform/Tracing"
import { ExportResultCode } from "@opentelemetry/core"
import type { ExportResult } from "@opentelemetry/core"
import { SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer } from "effect"
import { get, newCaller, post } from "../../gateway/test/Gateway.js"
import { layer, RealExecutor, startNode, World } from "./Stack.js"

const terminal = ["COMPLETED", "FAILED", "CANCELLED"]

/** Every span any provider exported; unlike the SDK's in-memory exporter, a provider's shutdown keeps them. */
class Collector implements SpanExporter {
  readonly spans: Array<ReadableSpan> = []
  export(spans: Array<ReadableSpan>, done: (result: ExportResult) => void) {
    this.spans.push(...spans)
    done({ code: ExportResultCode.SUCCESS })
  }
  shutdown() {
    return Promise.resolve()
  }
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId
const instanceOf = (span: ReadableSpan) => String(span.resource.attributes["service.instance.id"])

describe("tracing", () => {
  withLayer(layer, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.scoped("one scan across three nodes and a takeover is one trace tree under its scan span", () =>
      Effect.gen(function*() {
        const world = yield* World
        const real = yield* RealExecutor
        const exporter = new Collector()
        const tracing = (node: string) =>
          Tracing.layerWith("mirage-node", new SimpleSpanProcessor(exporter), { "service.instance.id": node })

        // The first node never finishes a DNS task: when it dies, those tasks are in flight.
        const stuck = Layer.effect(
          TaskExecutor,
          Effect.map(Effect.provide(TaskExecutor, real), (executor) =>
            TaskExecutor.of({
              run: (task) => (task.module_id === "dns_resolve" ? Effect.never : executor.run(task))
            }))
        )
        const first = yield* startNode("trace-1", stuck, { tracing: tracing("trace-1") })
        const caller = yield* newCaller("analyst")
        const created = yield* post("/scans", {
          name: "traced footprint",
          target: { type: "DOMAIN", value: world.domain },
          modules: [{ id: "crtsh" }, { id: "dns_resolve" }],
          configuration: { recursion_depth: 2 }
        }, caller)
        const id = (created.body as { id: string }).id
        yield* post(`/scans/${id}/start`, {}, caller)
        let runningDns = false
        for (let i = 0; i < 400 && !runningDns; i++) {
          const status = (yield* get(`/scans/${id}/status`, caller)).body as { result_count: number }
          // crt.sh has answered (results stored), so DNS tasks are running and stuck.
          runningDns = status.result_count > 0
          if (!runningDns) yield* Effect.sleep("25 millis")
        }
        expect(runningDns).toBe(true)

        const second = yield* startNode("trace-2", undefined, { tracing: tracing("trace-2") })
        const third = yield* startNode("trace-3", undefined, { tracing: tracing("trace-3") })
        yield* first.kill

        let status = ""
        for (let i = 0; i < 1200 && !terminal.includes(status); i++) {
          status = ((yield* get(`/scans/${id}/status`, caller)).body as { status: string }).status
          if (!terminal.includes(status)) yield* Effect.sleep("50 millis")
        }
        expect(status).toBe("COMPLETED")
        yield* second.stop
        yield* third.stop

        const ids = Tracing.scanTrace(id)
        const spans = exporter.spans.filter((span) => span.spanContext().traceId === ids.traceId)
        const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]))

        // One root: the scan span, with the derived ids, written once, by the node that ended the scan.
        const roots = spans.filter((span) => parentOf(span) === undefined)
        expect(roots.map((span) => span.name)).toEqual(["scan"])
        const root = roots[0]!
        expect(root.spanContext().spanId).toBe(ids.spanId)
        expect(root.attributes["mirage.scan.status"]).toBe("COMPLETED")
        expect(root.attributes["mirage.scan.result_count"]).toBeGreaterThan(0)
        expect(["trace-2", "trace-3"]).toContain(instanceOf(root))

        // A tree: every other span's parent is in the trace, and following parents ends at the root.
        for (const span of spans) {
          let current: ReadableSpan | undefined = span
          for (let hops = 0; current !== undefined && current !== root && hops < 20; hops++) {
            const parent = parentOf(current)
            expect(parent === undefined || byId.has(parent)).toBe(true)
            current = parent === undefined ? undefined : byId.get(parent)
          }
          expect(current).toBe(root)
        }

        // Task spans are the root's children, from the dead node (interrupted) and from its successor.
        const tasks = spans.filter((span) => span.name === "task")
        expect(tasks.every((span) => parentOf(span) === ids.spanId)).toBe(true)
        const taskNodes = new Set(tasks.map(instanceOf))
        expect(taskNodes.has("trace-1")).toBe(true)
        expect(taskNodes.size).toBeGreaterThanOrEqual(2)
        expect(tasks.some((span) => instanceOf(span) === "trace-1" && span.attributes["status.interrupted"] === true))
          .toBe(true)
        expect(new Set(tasks.map((span) => span.attributes["mirage.module_id"]))).toEqual(
          new Set(["crtsh", "dns_resolve"])
        )

        // Module spans under their task, HTTP client spans under the module: source and status, no query string.
        const collects = spans.filter((span) => span.name === "task.collect")
        expect(collects.length).toBeGreaterThan(0)
        expect(collects.every((span) => byId.get(parentOf(span)!)?.name === "task")).toBe(true)
        const requests = spans.filter((span) => span.name === "GET")
        expect(requests.length).toBeGreaterThan(0)
        for (const request of requests) {
          expect(byId.get(parentOf(request)!)?.name).toBe("task.collect")
          expect(request.attributes["mirage.source"]).toBe("crtsh")
          // A request still in flight on the node that died ends interrupted, with no response.
          const interrupted = request.attributes["status.interrupted"] === true
          expect(request.attributes["http.response.status_code"]).toBe(interrupted ? undefined : 200)
          expect(String(request.attributes["url.full"])).not.toContain("?")
        }
        expect(requests.some((request) => request.attributes["http.response.status_code"] === 200)).toBe(true)
        // DNS lookups are client spans under their module too, naming the question.
        const lookups = spans.filter((span) => span.name.startsWith("DNS "))
        expect(lookups.length).toBeGreaterThan(0)
        for (const lookup of lookups) {
          expect(byId.get(parentOf(lookup)!)?.name).toBe("task.collect")
          expect(typeof lookup.attributes["dns.question.name"]).toBe("string")
        }
        expect(lookups.some((lookup) => String(lookup.attributes["dns.question.name"]).endsWith(world.domain))).toBe(
          true
        )

        // The start command: a child of the scan, linked to the HTTP request that sent it.
        const commands = spans.filter((span) => span.name === "scan.command")
        const start = commands.find((span) => span.attributes["mirage.command"] === "StartScan")
        expect(start).toBeDefined()
        expect(parentOf(start!)).toBe(ids.spanId)
        expect(start!.links).toHaveLength(1)
        expect(start!.links[0]!.context.traceId).toMatch(/^[0-9a-f]{32}$/)
        expect(start!.links[0]!.context.traceId).not.toBe(ids.traceId)

        // The root covers its children in time.
        const nanos = (time: readonly [number, number]) => time[0] * 1e9 + time[1]
        expect(Math.min(...tasks.map((span) => nanos(span.startTime)))).toBeGreaterThanOrEqual(nanos(root.startTime))
        expect(Math.max(...tasks.map((span) => nanos(span.endTime)))).toBeLessThanOrEqual(nanos(root.endTime) + 1e6)
      }))
  })
})
