/**
 * Live progress over Server-Sent Events: a sandbox scan on the stack streams its snapshot, then
 * RUNNING … COMPLETED in order, and the stream ends; another organization gets 404.
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, layer } from "@effect/vitest"
import { ScanProgressEvent } from "@mirage/domain/ScanProgress"
import { Effect, Fiber, Schema, Stream } from "effect"
import { layer as Stack, startNode, World } from "../../node/test/Stack.js"
import * as Gateway from "./Gateway.js"

const decodeEvent = Schema.decodeUnknownSync(Schema.parseJson(ScanProgressEvent))

/** The events of a whole text/event-stream body (comments skipped). */
const parseEvents = (text: string) =>
  text.split("\n\n").filter((block) => block.includes("data: ")).map((block) => {
    const lines = block.split("\n")
    const name = lines.find((line) => line.startsWith("event: "))?.slice("event: ".length)
    const data = lines.find((line) => line.startsWith("data: "))?.slice("data: ".length)
    const event = decodeEvent(data)
    expect(name).toBe(event.type)
    return event
  })

describe("Events", () => {
  // Real servers and real time: the nodes run their rounds on the wall clock.
  layer(Stack, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.scoped("a scan's event stream: snapshot, RUNNING … COMPLETED in order, then the end", () =>
      Effect.gen(function*() {
        const world = yield* World
        const node = yield* startNode("events-a")
        const caller = yield* Gateway.newCaller("analyst")
        const created = yield* Gateway.post("/scans", {
          name: "events",
          target: { type: "DOMAIN", value: world.domain },
          modules: [{ id: "crtsh" }, { id: "dns_resolve" }],
          configuration: { recursion_depth: 2 }
        }, caller)
        expect(created.status, created.text).toBe(201)
        const id = (created.body as { id: string }).id

        const client = yield* HttpClient.HttpClient
        // The headers arrive once the handler answered: the snapshot is taken before the start.
        const response = yield* client.execute(Gateway.as(caller)(HttpClientRequest.get(`/scans/${id}/events`)))
        expect(response.status).toBe(200)
        expect(response.headers["content-type"]).toContain("text/event-stream")
        const body = yield* response.stream.pipe(Stream.decodeText(), Stream.mkString, Effect.fork)

        const started = yield* Gateway.post(`/scans/${id}/start`, {}, caller)
        expect([200, 202]).toContain(started.status)
        // The body is whole only when the server ended the stream.
        const events = parseEvents(yield* Fiber.join(body))

        expect(events[0]?.type).toBe("snapshot")
        expect(events[0]?.status).toBe("CREATED")
        const statuses = events.map((e) => e.status).filter((status, i, all) => status !== all[i - 1])
        expect(statuses).toEqual(["CREATED", "RUNNING", "COMPLETED"])
        expect(events.filter((e) => e.type === "status").map((e) => e.status)).toEqual(["RUNNING", "COMPLETED"])
        const last = events.at(-1)!
        expect(last.status).toBe("COMPLETED")
        expect(last.progress).toBe(1)
        expect(events.filter((e) => e.type === "progress").length).toBeGreaterThan(0)
        // Seq and progress never go back; the per-module counts add up to the scan's.
        const live = events.slice(1)
        live.reduce((prev, e) => {
          expect(e.seq!).toBeGreaterThan(prev.seq!)
          expect(e.progress).toBeGreaterThanOrEqual(prev.progress)
          return e
        })
        expect(last.modules.map((m) => m.module_id).sort()).toEqual(["crtsh", "dns_resolve"])
        expect(last.modules.reduce((n, m) => n + m.completed, 0)).toBe(last.tasks.completed)
        const status = yield* Gateway.get(`/scans/${id}/status`, caller)
        expect((status.body as { result_count: number }).result_count).toBe(last.result_count)

        // A finished scan's stream is its snapshot alone.
        const again = yield* Gateway.get(`/scans/${id}/events`, caller)
        expect(parseEvents(again.text).map((e) => [e.type, e.status])).toEqual([["snapshot", "COMPLETED"]])
        yield* node.stop
      }))

    it.scoped("another organization's scan is 404, without a key 401", () =>
      Effect.gen(function*() {
        const owner = yield* Gateway.newCaller("analyst")
        const stranger = yield* Gateway.newCaller("admin")
        const created = yield* Gateway.post("/scans", Gateway.domainScan("mine"), owner)
        const id = (created.body as { id: string }).id
        const answer = yield* Gateway.get(`/scans/${id}/events`, stranger)
        expect(answer.status).toBe(404)
        expect(answer.headers["content-type"]).toContain("application/problem+json")
        expect((yield* Gateway.get(`/scans/${id}/events`)).status).toBe(401)
      }))

    it.effect("the OpenAPI document lists the endpoint as text/event-stream", () =>
      Effect.gen(function*() {
        const answer = yield* Gateway.get("/openapi.json")
        const spec = answer.body as {
          paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, unknown> }> } }>
        }
        const ok = spec.paths["/scans/{id}/events"]?.get?.responses["200"]
        expect(Object.keys(ok?.content ?? {})).toEqual(["text/event-stream"])
      }))
  })
})
