/**
 * Text the stores cannot keep (U+0000, lone surrogates) and very long text, in every text field of
 * every write: answered 400 naming the field (or 2xx), never 5xx, and every attempt is in the audit log.
 */
import { HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel } from "effect"
import * as Gateway from "./Gateway.js"

const hostileTexts: ReadonlyArray<readonly [string, string]> = [
  ["NUL", "a\u0000b"],
  ["lone high surrogate", "a\ud800b"],
  ["lone low surrogate", "a\udc00b"],
  ["100 kB", "x".repeat(100_000)]
]

const put = (path: string, body: unknown, caller: Gateway.Caller) =>
  Gateway.send(Gateway.as(caller)(HttpClientRequest.put(path).pipe(HttpClientRequest.bodyUnsafeJson(body))))

interface AuditPage {
  readonly items: ReadonlyArray<{ readonly status: number; readonly action: string }>
}

layer(Gateway.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.None))), { timeout: 120_000 })(
  "text the stores cannot keep",
  (it) => {
    it.effect("every text field of every write answers 400 naming the field, and each attempt is audited", () =>
      Effect.gen(function*() {
        const admin = yield* Gateway.newCaller("admin")
        const created = yield* Gateway.post("/scans", Gateway.domainScan("s"), admin)
        expect(created.status).toBe(201)
        const scanId = (created.body as { id: string }).id
        const template = { name: "t", target_types: ["DOMAIN"], modules: [{ id: "dns_resolve" }] }
        const madeTemplate = yield* Gateway.post("/templates", template, admin)
        expect(madeTemplate.status).toBe(201)
        const templateId = (madeTemplate.body as { id: string }).id

        const writes = [
          ["name", (t: string) => Gateway.post("/scans", Gateway.domainScan(t), admin)],
          [
            "description",
            (t: string) => Gateway.post("/scans", Gateway.domainScan("s", "example.com", { description: t }), admin)
          ],
          [
            "modules[0].config",
            (t: string) =>
              Gateway.post(
                "/scans",
                { ...Gateway.domainScan("s"), modules: [{ id: "dns_resolve", config: { k: t } }] },
                admin
              )
          ],
          ["name", (t: string) => put(`/scans/${scanId}`, { name: t }, admin)],
          ["description", (t: string) => put(`/scans/${scanId}`, { description: t }, admin)],
          ["name", (t: string) => Gateway.post("/templates", { ...template, name: t }, admin)],
          ["description", (t: string) => Gateway.post("/templates", { ...template, description: t }, admin)],
          ["name", (t: string) => put(`/templates/${templateId}`, { name: t }, admin)],
          ["name", (t: string) => Gateway.post("/api-keys", { name: t, role: "viewer" }, admin)]
        ] as const

        const before = ((yield* Gateway.get("/audit?limit=100", admin)).body as AuditPage).items.length
        let sent = 0
        for (const [field, send] of writes) {
          for (const [label, text] of hostileTexts) {
            const answer = yield* send(text)
            sent++
            expect(answer.status, `${field} with ${label}: ${answer.text.slice(0, 200)}`).toBe(400)
            const problem = answer.body as { errors: ReadonlyArray<{ field: string }> }
            expect(problem.errors.map((e) => e.field).some((f) => f.startsWith(field)), `${field} with ${label}`)
              .toBe(true)
          }
        }
        const after = ((yield* Gateway.get("/audit?limit=100", admin)).body as AuditPage).items
        expect(after.length - before).toBe(sent)
        expect(after.slice(0, sent).every((entry) => entry.status === 400)).toBe(true)
      }))

    it.effect("an admin cannot revoke their own key, so the organization keeps an admin key", () =>
      Effect.gen(function*() {
        const admin = yield* Gateway.newCaller("admin")
        const self = yield* Gateway.send(Gateway.as(admin)(HttpClientRequest.del(`/api-keys/${admin.key_id}`)))
        expect(self.status).toBe(409)
        expect(self.body).toMatchObject({ status: 409, type: "/problems/conflict" })
        const other = yield* Gateway.sameOrganization(admin, "admin")
        const revoked = yield* Gateway.send(Gateway.as(admin)(HttpClientRequest.del(`/api-keys/${other.key_id}`)))
        expect(revoked.status).toBe(204)
        expect((yield* Gateway.get("/api-keys", admin)).status).toBe(200)
      }))
  }
)
