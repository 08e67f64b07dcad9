/**
 * Updates are patches applied by the scan's actor, and conditional with If-Match: concurrent PUTs of different fields
 * all land, a PUT still waiting for a node is never written back over by the next one, and a stale ETag gets 412.
 */
import { HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { PgClient } from "@mirage/runtime/platform/PgClient"
import { Effect, Layer, Logger, LogLevel } from "effect"
import * as Cluster from "./Cluster.js"
import * as Gateway from "./Gateway.js"

const TestLayer = Cluster.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Error)))

const scanBody = (name: string) => ({
  name,
  target: { type: "DOMAIN", value: "example.test" },
  modules: [{ id: "crtsh" }, { id: "dns_resolve" }],
  configuration: { recursion_depth: 2, max_results: 1000, priority: "LOW", task_timeout: 60 }
})

const create = (caller: Gateway.Caller, name: string) =>
  Effect.map(Gateway.post("/scans", scanBody(name), caller), (answer) => {
    expect(answer.status, answer.text).toBe(201)
    return (answer.body as { id: string }).id
  })

const put = (path: string, caller: Gateway.Caller, body: unknown, ifMatch?: string) =>
  Gateway.send(
    Gateway.as(caller)(
      HttpClientRequest.put(path).pipe(
        HttpClientRequest.bodyUnsafeJson(body),
        ifMatch === undefined ? (r) => r : HttpClientRequest.setHeader("if-match", ifMatch)
      )
    )
  )

const del = (path: string, caller: Gateway.Caller, ifMatch?: string) =>
  Gateway.send(
    Gateway.as(caller)(
      HttpClientRequest.del(path).pipe(
        ifMatch === undefined ? (r) => r : HttpClientRequest.setHeader("if-match", ifMatch)
      )
    )
  )

/** The scan's webhook URL as stored (null without one). */
const storedWebhook = (id: string) =>
  Effect.flatMap(
    PgClient,
    (sql) => Effect.promise(() => sql<Array<{ url: string }>>`select url from scan_webhooks where scan_id = ${id}`)
  ).pipe(
    Effect.map((rows) => rows[0]?.url ?? null)
  )

/** Polls `read` until `done` holds (the node applies an update's side effects just after answering it). */
const eventually = <A, E, R>(read: Effect.Effect<A, E, R>, done: (a: A) => boolean) =>
  Effect.gen(function*() {
    let seen = yield* read
    for (let i = 0; i < 200 && !done(seen); i++) {
      yield* Effect.sleep("25 millis")
      seen = yield* read
    }
    return seen
  })

const patches = [
  { description: "d1" },
  { name: "renamed" },
  { configuration: { recursion_depth: 0 } },
  { configuration: { max_results: 77 } },
  { configuration: { priority: "HIGH" } },
  { configuration: { task_timeout: 30 } }
]
const merged = {
  description: "d1",
  name: "renamed",
  configuration: { recursion_depth: 0, max_results: 77, priority: "HIGH", task_timeout: 30 }
}

layer(TestLayer, { excludeTestServices: true, timeout: "120 seconds" })("Updates", (it) => {
  it.scoped("concurrent PUTs of different fields all land", () =>
    Effect.gen(function*() {
      yield* Cluster.startNode("upd-a", Cluster.scriptedExecutor().executor)
      const caller = yield* Gateway.newCaller("analyst")
      const id = yield* create(caller, "concurrent")
      const answers = yield* Effect.forEach(patches, (body) => put(`/scans/${id}`, caller, body), {
        concurrency: "unbounded"
      })
      for (const answer of answers) expect(answer.status, answer.text).toBe(200)
      expect((yield* Gateway.get(`/scans/${id}`, caller)).body).toMatchObject(merged)
    }))

  it.scoped("PUTs answered 202 (no node yet) are each applied as sent: none writes back over another", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const id = yield* create(caller, "slow")
      // Each waits out the gateway's command wait: sent together, so the test waits once.
      const answers = yield* Effect.forEach(patches, (body) => put(`/scans/${id}`, caller, body), {
        concurrency: "unbounded"
      })
      for (const answer of answers) expect(answer.status).toBe(202)
      yield* Cluster.startNode("upd-b", Cluster.scriptedExecutor().executor)
      let scan: unknown
      for (let i = 0; i < 200; i++) {
        scan = (yield* Gateway.get(`/scans/${id}`, caller)).body
        const { configuration, description, name } = scan as typeof merged
        if (
          description === merged.description && name === merged.name &&
          Object.entries(merged.configuration).every(([k, v]) => configuration[k as keyof typeof configuration] === v)
        ) break
        yield* Effect.sleep("50 millis")
      }
      expect(scan).toMatchObject(merged)
    }))

  it.scoped("ETag on reads; If-Match makes PUT and DELETE conditional: a stale version gets 412", () =>
    Effect.gen(function*() {
      yield* Cluster.startNode("upd-c", Cluster.scriptedExecutor().executor)
      const caller = yield* Gateway.newCaller("analyst")
      const id = yield* create(caller, "conditional")
      const read = yield* Gateway.get(`/scans/${id}`, caller)
      const first = read.headers["etag"]
      expect(first).toMatch(/^"\d+"$/)

      const updated = yield* put(`/scans/${id}`, caller, { description: "with the current version" }, first)
      expect(updated.status, updated.text).toBe(200)
      const second = updated.headers["etag"]
      expect(second).toMatch(/^"\d+"$/)
      expect(second).not.toBe(first)
      expect((yield* Gateway.get(`/scans/${id}`, caller)).headers["etag"]).toBe(second)

      const stale = yield* put(`/scans/${id}`, caller, { description: "lost" }, first)
      expect(stale.status, stale.text).toBe(412)
      expect(stale.headers["content-type"]).toContain("application/problem+json")
      expect(stale.body).toMatchObject({ status: 412, type: "/problems/precondition-failed" })
      for (const never of ["W/\"1\"", "\"not-a-version\""]) {
        expect((yield* put(`/scans/${id}`, caller, { description: "lost" }, never)).status).toBe(412)
      }
      expect((yield* Gateway.get(`/scans/${id}`, caller)).body).toMatchObject({
        description: "with the current version"
      })
      expect((yield* put(`/scans/${id}`, caller, { name: "any version" }, "*")).status).toBe(200)

      const staleDelete = yield* del(`/scans/${id}`, caller, second)
      expect(staleDelete.status, staleDelete.text).toBe(412)
      expect((yield* Gateway.get(`/scans/${id}`, caller)).status).toBe(200)
      const current = (yield* Gateway.get(`/scans/${id}`, caller)).headers["etag"]
      expect((yield* del(`/scans/${id}`, caller, current)).status).toBe(204)
      expect((yield* Gateway.get(`/scans/${id}`, caller)).status).toBe(404)
    }))

  it.scoped("templates: concurrent PUTs of different fields all land; If-Match on PUT and DELETE, 412 when stale", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const created = yield* Gateway.post("/templates", {
        name: "mine",
        target_types: ["DOMAIN"],
        modules: [{ id: "crtsh" }],
        configuration: { recursion_depth: 2, max_results: 1000, priority: "LOW", task_timeout: 60 }
      }, caller)
      expect(created.status, created.text).toBe(201)
      const path = `/templates/${(created.body as { id: string }).id}`
      const answers = yield* Effect.forEach(patches, (body) => put(path, caller, body), { concurrency: "unbounded" })
      for (const answer of answers) expect(answer.status, answer.text).toBe(200)
      const read = yield* Gateway.get(path, caller)
      expect(read.body).toMatchObject(merged)

      const version = read.headers["etag"]
      expect(version).toMatch(/^"\d+"$/)
      const updated = yield* put(path, caller, { description: "conditional" }, version)
      expect(updated.status, updated.text).toBe(200)
      expect(updated.headers["etag"]).not.toBe(version)
      const stale = yield* put(path, caller, { description: "lost" }, version)
      expect(stale.status, stale.text).toBe(412)
      expect(stale.body).toMatchObject({ status: 412, type: "/problems/precondition-failed" })
      expect((yield* del(path, caller, version)).status).toBe(412)
      expect((yield* Gateway.get(path, caller)).body).toMatchObject({ description: "conditional" })
      expect((yield* del(path, caller, updated.headers["etag"])).status).toBe(204)
      expect((yield* Gateway.get(path, caller)).status).toBe(404)
    }))

  it.scoped("a PUT refused as stale (412) leaves the webhook it carried unapplied; an accepted one applies it", () =>
    Effect.gen(function*() {
      yield* Cluster.startNode("upd-d", Cluster.scriptedExecutor().executor)
      const caller = yield* Gateway.newCaller("analyst")
      const secret = "a-webhook-secret-of-some-length"
      const hook = (name: string) => ({ url: `https://hooks.example.org/${name}`, secret })
      const created = yield* Gateway.post("/scans", { ...scanBody("hooked"), webhook: hook("first") }, caller)
      expect(created.status, created.text).toBe(201)
      const id = (created.body as { id: string }).id
      const first = (yield* Gateway.get(`/scans/${id}`, caller)).headers["etag"]
      const moved = yield* put(`/scans/${id}`, caller, { description: "moved on" }, first)
      expect(moved.status, moved.text).toBe(200)

      const stale = yield* put(`/scans/${id}`, caller, { webhook: hook("stale") }, first)
      expect(stale.status, stale.text).toBe(412)
      expect(yield* storedWebhook(id)).toBe(hook("first").url)

      const accepted = yield* put(`/scans/${id}`, caller, { webhook: hook("current") }, moved.headers["etag"])
      expect(accepted.status, accepted.text).toBe(200)
      expect(yield* eventually(storedWebhook(id), (url) => url === hook("current").url)).toBe(hook("current").url)
      const removed = yield* put(`/scans/${id}`, caller, { webhook: null })
      expect(removed.status, removed.text).toBe(200)
      expect(yield* eventually(storedWebhook(id), (url) => url === null)).toBe(null)
      // Nothing stays staged: the refused change was discarded, the accepted ones applied.
      const staged = yield* Effect.flatMap(
        PgClient,
        (sql) => Effect.promise(() => sql`select change_id from scan_webhook_changes where scan_id = ${id}`)
      )
      expect(staged).toHaveLength(0)
    }))

  it.scoped("a depends_on PUT answered 202 (no node yet) still chains: the dependent starts when its dependency ends", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const dependency = yield* create(caller, "dependency")
      const dependent = yield* create(caller, "dependent")
      const chained = yield* put(`/scans/${dependent}`, caller, { depends_on: { scan_ids: [dependency] } })
      expect(chained.status, chained.text).toBe(202)

      yield* Cluster.startNode("upd-e", Cluster.scriptedExecutor().executor)
      // Applied by the node once it runs: the dependent shows its dependency.
      const dependsOn = (answer: Gateway.Answer) =>
        (answer.body as { depends_on: { scan_ids?: Array<string> } | null })
          .depends_on?.scan_ids
      const applied = yield* eventually(Gateway.get(`/scans/${dependent}`, caller), (a) => dependsOn(a) !== undefined)
      expect(dependsOn(applied)).toEqual([dependency])
      expect((yield* Gateway.post(`/scans/${dependency}/start`, {}, caller)).status).toBe(200)
      yield* Cluster.pollStatus(dependency, caller, Cluster.untilEnd)
      const started = yield* Cluster.pollStatus(dependent, caller, (s) => s.status !== "CREATED")
      expect(["RUNNING", "COMPLETED"]).toContain(started.at(-1)?.status)
      // The node wrote the edges as it stored the update, and forgot the change the gateway staged for its sweep.
      const staged = yield* Effect.flatMap(
        PgClient,
        (sql) => Effect.promise(() => sql`select change_id from scan_dependency_changes where scan_id = ${dependent}`)
      )
      expect(staged).toHaveLength(0)
    }))
})
