/**
 * Every refusal is a bare RFC 7807 problem: `type`, `title`, `status`, `detail` and the problem's own members, never
 * the `_tag` that names its class in code. And a collection job that has ended cannot be cancelled: 409 with the
 * status it ended in.
 */
import { HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel } from "effect"
import * as Cluster from "./Cluster.js"
import * as Gateway from "./Gateway.js"
import type { Caller } from "./Gateway.js"

const TestLayer = Cluster.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Error)))

const del = (path: string, caller: Caller) => Gateway.send(Gateway.as(caller)(HttpClientRequest.del(path)))

/** The answer is a problem of this status with only the members a problem has. */
const expectProblem = (answer: Gateway.Answer, status: number, label: string) => {
  expect(answer.status, `${label}: ${answer.text}`).toBe(status)
  expect(answer.headers["content-type"], label).toContain("application/problem+json")
  const body = answer.body as Record<string, unknown>
  expect(body, label).toMatchObject({ status, type: expect.stringMatching(/^\/problems\//) })
  expect(typeof body["title"], label).toBe("string")
  expect(typeof body["detail"], label).toBe("string")
  expect(Object.keys(body), label).not.toContain("_tag")
  return body
}

interface Task {
  readonly id: string
  readonly status: string
}

const submit = (caller: Caller) =>
  Effect.map(
    Gateway.post("/collect", { module_id: "crtsh", target: { type: "DOMAIN", value: "example.com" } }, caller),
    (answer) => {
      expect(answer.status, answer.text).toBe(202)
      return (answer.body as Task).id
    }
  )

const waitForEnd = (id: string, caller: Caller) =>
  Effect.gen(function*() {
    for (let i = 0; i < 400; i++) {
      const task = (yield* Gateway.get(`/collect/${id}`, caller)).body as Task
      if (Cluster.terminal.includes(task.status)) return task
      yield* Effect.sleep("50 millis")
    }
    return expect.unreachable(`job ${id} never ended`)
  })

layer(TestLayer, { excludeTestServices: true, timeout: "60 seconds" })("Problems", (it) => {
  it.scoped("no problem body carries _tag, whatever refused the request", () =>
    Effect.gen(function*() {
      yield* Cluster.startNode("problems-a", Cluster.scriptedExecutor().executor)
      const admin = yield* Gateway.newCaller("admin")
      const viewer = yield* Gateway.sameOrganization(admin, "viewer")
      const scan = (yield* Gateway.post("/scans", Gateway.domainScan("problems"), admin)).body as { id: string }
      const template = (yield* Gateway.post("/templates", {
        name: "problems",
        target_types: ["DOMAIN"],
        modules: [{ id: "dns_resolve" }]
      }, admin)).body as { id: string }

      const invalid = expectProblem(yield* Gateway.post("/scans", { name: 1 }, admin), 400, "invalid body")
      expect(invalid["errors"]).toEqual(expect.arrayContaining([expect.objectContaining({ field: "name" })]))
      expectProblem(yield* Gateway.postRaw("/scans", "{", admin), 400, "unreadable JSON")
      expectProblem(yield* Gateway.get("/scans?limit=0", admin), 400, "query out of bounds")
      expectProblem(yield* Gateway.get("/scans"), 401, "no key")
      expectProblem(yield* Gateway.post("/scans", Gateway.domainScan("no"), viewer), 403, "viewer writes")
      expectProblem(yield* Gateway.get("/scans/6f1c2a9e-0000-4000-8000-000000000000", admin), 404, "no such scan")
      expectProblem(yield* Gateway.get("/nowhere", admin), 404, "no such route")
      const conflict = expectProblem(yield* Gateway.post(`/scans/${scan.id}/pause`, {}, admin), 409, "pause CREATED")
      expect(conflict["current_status"]).toBe("CREATED")
      expectProblem(yield* del(`/api-keys/${admin.key_id}`, admin), 409, "revoke own key")
      const stale = HttpClientRequest.put(`/templates/${template.id}`).pipe(
        HttpClientRequest.setHeader("if-match", "W/\"1\""),
        HttpClientRequest.bodyUnsafeJson({ name: "stale" })
      )
      expectProblem(yield* Gateway.send(Gateway.as(admin)(stale)), 412, "weak If-Match")
    }))

  it.scoped("DELETE of a COMPLETED or already CANCELLED job is 409 with its current status", () =>
    Effect.gen(function*() {
      yield* Cluster.startNode("problems-b", Cluster.scriptedExecutor({ delayMs: 500 }).executor)
      const caller = yield* Gateway.newCaller("analyst")

      const finished = yield* submit(caller)
      expect((yield* waitForEnd(finished, caller)).status).toBe("COMPLETED")
      const late = expectProblem(yield* del(`/collect/${finished}`, caller), 409, "cancel COMPLETED")
      expect(late["current_status"]).toBe("COMPLETED")
      expect(((yield* Gateway.get(`/collect/${finished}`, caller)).body as Task).status).toBe("COMPLETED")

      const running = yield* submit(caller)
      const cancelled = yield* del(`/collect/${running}`, caller)
      expect(cancelled.status, cancelled.text).toBe(200)
      expect((cancelled.body as Task).status).toBe("CANCELLED")
      const again = expectProblem(yield* del(`/collect/${running}`, caller), 409, "cancel CANCELLED")
      expect(again["current_status"]).toBe("CANCELLED")
    }))
})
