/**
 * The quotas endpoints over real HTTP and real stores: admins only, each organization its own, an override
 * is what applies and null goes back to the default, bad values are 400, every change is audited.
 */
import { HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel } from "effect"
import * as Gateway from "./Gateway.js"
import type { Caller } from "./Gateway.js"

const TestLayer = Gateway.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Error)))

const put = (body: unknown, caller: Caller) =>
  Gateway.send(Gateway.as(caller)(HttpClientRequest.put("/quotas").pipe(HttpClientRequest.bodyUnsafeJson(body))))

interface Quotas {
  readonly max_running_scans: number
  readonly max_concurrent_tasks: number
  readonly defaults: { readonly max_running_scans: number; readonly max_concurrent_tasks: number }
  readonly overridden: ReadonlyArray<string>
}

layer(TestLayer, { excludeTestServices: true, timeout: "60 seconds" })("Quotas", (it) => {
  it.effect("an admin reads the defaults, overrides one quota, clears it; another organization is untouched", () =>
    Effect.gen(function*() {
      const admin = yield* Gateway.newCaller("admin")
      const other = yield* Gateway.newCaller("admin")
      const fresh = yield* Gateway.get("/quotas", admin)
      expect(fresh.status, fresh.text).toBe(200)
      const initial = fresh.body as Quotas
      expect(initial.overridden).toEqual([])
      expect(initial.max_running_scans).toBe(initial.defaults.max_running_scans)

      const changed = yield* put({ max_running_scans: 3 }, admin)
      expect(changed.status, changed.text).toBe(200)
      expect(changed.body).toMatchObject({
        max_running_scans: 3,
        max_concurrent_tasks: initial.defaults.max_concurrent_tasks,
        overridden: ["max_running_scans"]
      })
      // Absent keeps the other override; the value reads back.
      const both = (yield* put({ max_concurrent_tasks: 7 }, admin)).body as Quotas
      expect([both.max_running_scans, both.max_concurrent_tasks]).toEqual([3, 7])
      expect(((yield* Gateway.get("/quotas", admin)).body as Quotas).overridden).toEqual([
        "max_running_scans",
        "max_concurrent_tasks"
      ])
      expect(((yield* Gateway.get("/quotas", other)).body as Quotas).overridden).toEqual([])

      const cleared = (yield* put({ max_running_scans: null }, admin)).body as Quotas
      expect(cleared.max_running_scans).toBe(initial.defaults.max_running_scans)
      expect(cleared.overridden).toEqual(["max_concurrent_tasks"])

      const audit = (yield* Gateway.get("/audit?action=quota.update", admin)).body as {
        items: ReadonlyArray<{ action: string; outcome: string; detail: Record<string, unknown> }>
      }
      const mine = audit.items.filter((item) => item.action === "quota.update")
      expect(mine).toHaveLength(3)
      expect(mine.every((item) => item.outcome === "success")).toBe(true)
      expect(mine.map((item) => item.detail)).toContainEqual(expect.objectContaining({ max_running_scans: null }))
    }))

  it.effect("analysts and viewers are refused (403, audited as denied); bad values are 400", () =>
    Effect.gen(function*() {
      const admin = yield* Gateway.newCaller("admin")
      const analyst = yield* Gateway.sameOrganization(admin, "analyst")
      expect((yield* Gateway.get("/quotas", analyst)).status).toBe(403)
      const refused = yield* put({ max_running_scans: 100 }, analyst)
      expect(refused.status).toBe(403)
      expect(refused.headers["content-type"]).toContain("application/problem+json")
      for (
        const body of [{ max_running_scans: 0 }, { max_running_scans: 1.5 }, { max_concurrent_tasks: "9" }, {
          unknown: 1
        }]
      ) {
        const answer = yield* put(body, admin)
        expect(answer.status, JSON.stringify(body)).toBe(400)
      }
      expect(((yield* Gateway.get("/quotas", admin)).body as Quotas).overridden).toEqual([])
      const audit = (yield* Gateway.get(`/audit?user_id=${analyst.user_id}`, admin)).body as {
        items: ReadonlyArray<{ action: string; outcome: string }>
      }
      expect(audit.items).toContainEqual(expect.objectContaining({ action: "quota.update", outcome: "denied" }))
    }))
})
