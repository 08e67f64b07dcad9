/**
 * The schedules endpoints over real HTTP and a real Postgres: CRUD scoped to the organization, viewers only read,
 * every change audited, and bad input (an invalid expression, an unknown zone, a template the organization cannot
 * see) a 400 problem naming the field.
 */
import { HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel } from "effect"
import * as Gateway from "./Gateway.js"
import type { Caller } from "./Gateway.js"

const TestLayer = Gateway.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Error)))

const put = (path: string, body: unknown, caller: Caller, headers: Record<string, string> = {}) =>
  Gateway.send(
    Gateway.as(caller)(
      HttpClientRequest.put(path).pipe(HttpClientRequest.setHeaders(headers), HttpClientRequest.bodyUnsafeJson(body))
    )
  )
const del = (path: string, caller: Caller) => Gateway.send(Gateway.as(caller)(HttpClientRequest.del(path)))

const nightly = (extra: Record<string, unknown> = {}) => ({
  name: "nightly",
  cron: "0 2 * * *",
  time_zone: "Europe/Paris",
  scan: { targets: [{ type: "DOMAIN", value: "example.com" }], modules: [{ id: "dns_resolve" }] },
  ...extra
})

interface Problem {
  readonly status: number
  readonly errors: ReadonlyArray<{ readonly field: string; readonly message: string }>
}

const fieldsOf = (answer: Gateway.Answer) => {
  expect(answer.status, answer.text).toBe(400)
  expect(answer.headers["content-type"]).toContain("application/problem+json")
  return (answer.body as Problem).errors.map((e) => e.field)
}

layer(TestLayer, { excludeTestServices: true, timeout: "60 seconds" })("Schedules", (it) => {
  it.effect("create, read, list, change and delete a schedule of the organization", () =>
    Effect.gen(function*() {
      const admin = yield* Gateway.newCaller("admin")
      const answer = yield* Gateway.post("/schedules", nightly({ overlap: "queue_one" }), admin)
      expect(answer.status, answer.text).toBe(201)
      const created = answer.body as Record<string, unknown>
      expect(created).toMatchObject({
        name: "nightly",
        cron: "0 2 * * *",
        time_zone: "Europe/Paris",
        overlap: "queue_one",
        catch_up: "run_once",
        enabled: true,
        version: 1,
        organization_id: admin.organization_id
      })
      // 02:00 in Paris is 00:00 or 01:00 UTC, depending on the season.
      expect(created["next_due_at"]).toMatch(/T0[01]:00:00\.000Z$/)
      const id = created["id"] as string

      const read = yield* Gateway.get(`/schedules/${id}`, admin)
      expect(read.status).toBe(200)
      expect(read.headers["etag"]).toBe("\"1\"")

      const listed = (yield* Gateway.get("/schedules", admin)).body as { items: Array<{ id: string }> }
      expect(listed.items.map((s) => s.id)).toEqual([id])

      const stale = yield* put(`/schedules/${id}`, { enabled: false }, admin, { "if-match": "\"7\"" })
      expect(stale.status).toBe(412)
      const paused = yield* put(`/schedules/${id}`, { enabled: false }, admin, { "if-match": "\"1\"" })
      expect(paused.status, paused.text).toBe(200)
      expect(paused.body).toMatchObject({ enabled: false, version: 2, next_due_at: null })

      const runs = yield* Gateway.get(`/schedules/${id}/runs`, admin)
      expect(runs.status).toBe(200)
      expect(runs.body).toEqual({ items: [], next_cursor: null })

      expect((yield* del(`/schedules/${id}`, admin)).status).toBe(204)
      expect((yield* Gateway.get(`/schedules/${id}`, admin)).status).toBe(404)
      expect((yield* del(`/schedules/${id}`, admin)).status).toBe(404)

      const audit = (yield* Gateway.get(`/audit?user_id=${admin.user_id}`, admin)).body as {
        items: Array<{ action: string; status: number }>
      }
      const actions = audit.items.map((item) => `${item.action} ${item.status}`)
      expect(actions).toEqual(expect.arrayContaining([
        "schedule.create 201",
        "schedule.update 412",
        "schedule.update 200",
        "schedule.delete 204",
        "schedule.delete 404"
      ]))
    }))

  it.effect("bad cron, unknown zone, unseen template: 400 naming the field", () =>
    Effect.gen(function*() {
      const admin = yield* Gateway.newCaller("admin")
      const stranger = yield* Gateway.newCaller("admin")
      expect(fieldsOf(yield* Gateway.post("/schedules", nightly({ cron: "61 * * * *" }), admin))).toEqual(["cron"])
      expect(fieldsOf(yield* Gateway.post("/schedules", nightly({ cron: "* * *" }), admin))).toEqual(["cron"])
      expect(fieldsOf(yield* Gateway.post("/schedules", nightly({ time_zone: "Mars/Olympus" }), admin))).toEqual([
        "time_zone"
      ])
      const template = yield* Gateway.post("/templates", {
        name: "theirs",
        target_types: ["DOMAIN"],
        modules: [{ id: "dns_resolve" }]
      }, stranger)
      expect(template.status).toBe(201)
      const unseen = yield* Gateway.post(
        "/schedules",
        nightly({
          scan: {
            targets: [{ type: "DOMAIN", value: "example.com" }],
            template_id: (template.body as { id: string }).id
          }
        }),
        admin
      )
      expect(fieldsOf(unseen)).toContain("scan.template_id")
      const badTarget = yield* Gateway.post(
        "/schedules",
        nightly({
          scan: {
            targets: [{ type: "DOMAIN", value: "example.com" }, { type: "DOMAIN", value: "not a domain" }],
            modules: [{ id: "dns_resolve" }]
          }
        }),
        admin
      )
      expect(fieldsOf(badTarget)).toEqual(["scan.targets[1].value"])
      expect(fieldsOf(yield* Gateway.post("/schedules", nightly({ extra: 1 }), admin)).length).toBeGreaterThan(0)
      expect(fieldsOf(yield* Gateway.get("/schedules?limit=0", admin)).length).toBeGreaterThan(0)
      const created = yield* Gateway.post("/schedules", nightly(), admin)
      const id = (created.body as { id: string }).id
      expect(fieldsOf(yield* put(`/schedules/${id}`, { cron: "0 0 31 2 *" }, admin))).toEqual(["cron"])
    }))

  it.effect("another organization's schedules are 404; a viewer reads but never writes", () =>
    Effect.gen(function*() {
      const admin = yield* Gateway.newCaller("admin")
      const stranger = yield* Gateway.newCaller("admin")
      const viewer = yield* Gateway.sameOrganization(admin, "viewer")
      const id = ((yield* Gateway.post("/schedules", nightly(), admin)).body as { id: string }).id
      for (const path of [`/schedules/${id}`, `/schedules/${id}/runs`]) {
        expect((yield* Gateway.get(path, stranger)).status, path).toBe(404)
      }
      expect((yield* put(`/schedules/${id}`, { name: "hijacked" }, stranger)).status).toBe(404)
      expect((yield* del(`/schedules/${id}`, stranger)).status).toBe(404)
      expect(((yield* Gateway.get("/schedules", stranger)).body as { items: Array<unknown> }).items).toEqual([])

      expect((yield* Gateway.get(`/schedules/${id}`, viewer)).status).toBe(200)
      expect((yield* Gateway.post("/schedules", nightly(), viewer)).status).toBe(403)
      expect((yield* put(`/schedules/${id}`, { enabled: false }, viewer)).status).toBe(403)
      expect((yield* del(`/schedules/${id}`, viewer)).status).toBe(403)
    }))
})
