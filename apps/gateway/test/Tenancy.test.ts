/**
 * Tenancy, roles, API keys, audit and templates over real HTTP and real stores: an organization
 * sees and changes only its own scans and templates; viewers only read; admins manage keys and
 * read the audit log; every command is audited with who, what, where and how it ended.
 */
import { HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import * as Gateway from "./Gateway.js"
import type { Caller } from "./Gateway.js"

const TestLayer = Gateway.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Error)))

const put = (path: string, body: unknown, caller: Caller) =>
  Gateway.send(Gateway.as(caller)(HttpClientRequest.put(path).pipe(HttpClientRequest.bodyUnsafeJson(body))))
const del = (path: string, caller: Caller) => Gateway.send(Gateway.as(caller)(HttpClientRequest.del(path)))

const created = (answer: Gateway.Answer) => {
  expect(answer.status, answer.text).toBe(201)
  return answer.body as { id: string }
}

interface AuditItem {
  readonly action: string
  readonly resource: string
  readonly outcome: string
  readonly status: number | null
  readonly user_id: string | null
  readonly address: string | null
  readonly at: string
}

layer(TestLayer, { excludeTestServices: true, timeout: "60 seconds" })("Tenancy", (it) => {
  it.effect("another organization's scan, template and results are 404 on every endpoint", () =>
    Effect.gen(function*() {
      const owner = yield* Gateway.newCaller("admin")
      const stranger = yield* Gateway.newCaller("admin")
      const scan = created(yield* Gateway.post("/scans", Gateway.domainScan("mine"), owner))
      const template = created(
        yield* Gateway.post("/templates", {
          name: "mine",
          target_types: ["DOMAIN"],
          modules: [{ id: "dns_resolve" }]
        }, owner)
      )
      for (
        const path of [
          `/scans/${scan.id}`,
          `/scans/${scan.id}/status`,
          `/scans/${scan.id}/results`,
          `/scans/${scan.id}/results?format=csv`,
          `/scans/${scan.id}/history`,
          `/templates/${template.id}`
        ]
      ) {
        const answer = yield* Gateway.get(path, stranger)
        expect(answer.status, path).toBe(404)
        expect(answer.headers["content-type"], path).toContain("application/problem+json")
      }
      for (const action of ["start", "stop", "pause", "resume", "plan"]) {
        expect((yield* Gateway.post(`/scans/${scan.id}/${action}`, {}, stranger)).status, action).toBe(404)
      }
      expect((yield* put(`/scans/${scan.id}`, { name: "hijacked" }, stranger)).status).toBe(404)
      expect((yield* del(`/scans/${scan.id}`, stranger)).status).toBe(404)
      expect((yield* put(`/templates/${template.id}`, { name: "hijacked" }, stranger)).status).toBe(404)
      expect((yield* del(`/templates/${template.id}`, stranger)).status).toBe(404)
      // Nor can a scan of theirs depend on it, or be created from the template.
      const chained = yield* Gateway.post(
        "/scans",
        Gateway.domainScan("chained", "example.com", { depends_on: { scan_ids: [scan.id] } }),
        stranger
      )
      expect(chained.status).toBe(400)
      expect(chained.body).toMatchObject({ errors: [{ field: "depends_on.scan_ids[0]" }] })
      const fromTemplate = yield* Gateway.post("/scans", {
        name: "x",
        target: { type: "DOMAIN", value: "example.com" },
        template_id: template.id
      }, stranger)
      expect(fromTemplate.body).toMatchObject({ errors: [{ field: "template_id" }] })
      const list = (yield* Gateway.get("/scans", stranger)).body as { items: Array<unknown> }
      expect(list.items).toEqual([])
      const templates = (yield* Gateway.get("/templates", stranger)).body as { items: Array<{ id: string }> }
      expect(templates.items.map((t) => t.id)).not.toContain(template.id)
      // The owner still has both, untouched.
      expect((yield* Gateway.get(`/scans/${scan.id}`, owner)).body).toMatchObject({ name: "mine" })
      expect((yield* Gateway.get(`/templates/${template.id}`, owner)).body).toMatchObject({ name: "mine" })
    }))

  it.effect("a viewer only reads: every write is 403 and audited as denied", () =>
    Effect.gen(function*() {
      const admin = yield* Gateway.newCaller("admin")
      const viewer = yield* Gateway.sameOrganization(admin, "viewer")
      const scan = created(yield* Gateway.post("/scans", Gateway.domainScan("read me"), admin))
      expect((yield* Gateway.get(`/scans/${scan.id}`, viewer)).status).toBe(200)
      expect((yield* Gateway.get(`/templates`, viewer)).status).toBe(200)
      for (
        const answer of [
          yield* Gateway.post("/scans", Gateway.domainScan("nope"), viewer),
          yield* Gateway.post(`/scans/${scan.id}/start`, {}, viewer),
          yield* put(`/scans/${scan.id}`, { name: "nope" }, viewer),
          yield* del(`/scans/${scan.id}`, viewer),
          yield* Gateway.post("/templates", { name: "t", target_types: ["DOMAIN"], modules: [{ id: "crtsh" }] }, viewer)
        ]
      ) {
        expect(answer.status, answer.text).toBe(403)
        expect(answer.headers["content-type"]).toContain("application/problem+json")
      }
      const audit = (yield* Gateway.get(`/audit?user_id=${viewer.user_id}`, admin)).body as { items: Array<AuditItem> }
      expect(audit.items).toHaveLength(5)
      for (const entry of audit.items) expect(entry).toMatchObject({ outcome: "denied", status: 403 })
      expect(audit.items.map((e) => e.action)).toContain(`POST /scans/${scan.id}/start`)
    }))

  it.effect("admins create keys (shown once), list them by prefix, and a revoked key stops working at once", () =>
    Effect.gen(function*() {
      const admin = yield* Gateway.newCaller("admin")
      const analyst = yield* Gateway.sameOrganization(admin, "analyst")
      expect((yield* Gateway.post("/api-keys", { name: "ci", role: "viewer" }, analyst)).status).toBe(403)
      expect((yield* Gateway.get("/api-keys", analyst)).status).toBe(403)
      expect((yield* Gateway.get("/audit", analyst)).status).toBe(403)

      const issued = yield* Gateway.post("/api-keys", { name: "ci", role: "analyst" }, admin)
      expect(issued.status, issued.text).toBe(201)
      const key = issued.body as { id: string; key: string; prefix: string; role: string; user_id: string }
      expect(key.key.startsWith(key.prefix)).toBe(true)
      expect(key.role).toBe("analyst")
      const asNew: Caller = { ...admin, key: Redacted.make(key.key), user_id: key.user_id as Caller["user_id"] }
      const mine = created(yield* Gateway.post("/scans", Gateway.domainScan("by the new key"), asNew))
      expect((yield* Gateway.get(`/scans/${mine.id}`, admin)).body).toMatchObject({ user_id: key.user_id })

      const listed = yield* Gateway.get("/api-keys", admin)
      expect(listed.status).toBe(200)
      expect(listed.text).not.toContain(key.key)
      const items = (listed.body as { items: Array<{ id: string; prefix: string; revoked_at: string | null }> }).items
      expect(items.find((k) => k.id === key.id)).toMatchObject({ prefix: key.prefix, revoked_at: null })
      expect(items.map((k) => k.id)).toEqual(expect.arrayContaining([admin.key_id, analyst.key_id, key.id]))

      // Another organization's admin cannot revoke it, nor see it.
      const stranger = yield* Gateway.newCaller("admin")
      expect((yield* del(`/api-keys/${key.id}`, stranger)).status).toBe(404)
      expect((yield* Gateway.get("/api-keys", stranger)).text).not.toContain(key.id)

      expect((yield* del(`/api-keys/${key.id}`, admin)).status).toBe(204)
      expect((yield* Gateway.get("/scans", asNew)).status).toBe(401)
      expect((yield* del(`/api-keys/${key.id}`, admin)).status).toBe(404)
      const after = (yield* Gateway.get("/api-keys", admin)).body as {
        items: Array<{ id: string; revoked_at: string | null }>
      }
      expect(after.items.find((k) => k.id === key.id)?.revoked_at).not.toBeNull()
    }))

  it.effect("audits every command with who, what, when, from where and the outcome; admins filter and page it", () =>
    Effect.gen(function*() {
      const admin = yield* Gateway.newCaller("admin")
      const analyst = yield* Gateway.sameOrganization(admin, "analyst")
      const before = new Date().toISOString()
      const scan = created(yield* Gateway.post("/scans", Gateway.domainScan("audited"), analyst))
      expect((yield* put(`/scans/${scan.id}`, { name: "renamed" }, analyst)).status).toBe(202)
      expect((yield* Gateway.post("/scans", { name: "" }, analyst)).status).toBe(400)
      const template = created(
        yield* Gateway.post("/templates", {
          name: "t",
          target_types: ["DOMAIN"],
          modules: [{ id: "crtsh" }]
        }, analyst)
      )
      expect((yield* del(`/templates/${template.id}`, analyst)).status).toBe(204)

      const all = yield* Gateway.get("/audit", admin)
      expect(all.status, all.text).toBe(200)
      const entries = (all.body as { items: Array<AuditItem> }).items
      // The refused create is audited too, under its method and path (it never reached a handler).
      expect(entries.map((e) => e.action)).toEqual([
        "template.delete",
        "template.create",
        "POST /scans",
        "scan.update",
        "scan.create"
      ])
      expect(entries.find((e) => e.action === "scan.create")).toMatchObject({
        outcome: "success",
        status: 201,
        user_id: analyst.user_id,
        address: expect.any(String)
      })
      // No node answered the update in time: 202, recorded as such.
      expect(entries.find((e) => e.action === "scan.update")).toMatchObject({
        status: 202,
        resource: `scan/${scan.id}`
      })
      expect(Date.parse(entries[0]!.at)).toBeGreaterThanOrEqual(Date.parse(before) - 1000)

      const byAction = (yield* Gateway.get("/audit?action=scan.create", admin)).body as { items: Array<AuditItem> }
      expect(byAction.items).toHaveLength(1)
      const byUser = (yield* Gateway.get(`/audit?user_id=${admin.user_id}`, admin)).body as { items: Array<AuditItem> }
      expect(byUser.items).toEqual([])
      const future = (yield* Gateway.get(`/audit?from=2999-01-01T00:00:00Z`, admin)).body as { items: Array<unknown> }
      expect(future.items).toEqual([])
      const past = (yield* Gateway.get(`/audit?to=2000-01-01T00:00:00Z`, admin)).body as { items: Array<unknown> }
      expect(past.items).toEqual([])

      const seen: Array<string> = []
      let cursor: string | null = null
      do {
        const page: Gateway.Answer = yield* Gateway.get(
          `/audit?limit=1${cursor === null ? "" : `&cursor=${cursor}`}`,
          admin
        )
        const body = page.body as { items: Array<AuditItem>; next_cursor: string | null }
        seen.push(...body.items.map((e) => e.action))
        cursor = body.next_cursor
      } while (cursor !== null)
      expect(seen).toEqual(entries.map((e) => e.action))
      expect((yield* Gateway.get("/audit?cursor=bm9wZQ", admin)).status).toBe(400)
      // Another organization's admin sees none of it.
      const stranger = yield* Gateway.newCaller("admin")
      expect(((yield* Gateway.get("/audit", stranger)).body as { items: Array<unknown> }).items).toEqual([])
    }))

  it.effect("templates: built-ins listed (missing modules warned), user templates CRUD, built-ins read-only", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const list = (yield* Gateway.get("/templates", caller)).body as {
        items: Array<{ id: string; builtin: boolean; warnings: Array<string>; modules: Array<{ id: string }> }>
      }
      expect(list.items.filter((t) => t.builtin).map((t) => t.id)).toEqual([
        "passive-domain-footprint",
        "full-domain-footprint",
        "email-investigation",
        "ip-infrastructure-mapping",
        "organization-footprint",
        "person-investigation",
        "cloud-exposure",
        "threat-reputation",
        "all-passive-sources"
      ])
      // The test catalog has crtsh and dns_resolve only: the rest are warned about.
      const passive = list.items.find((t) => t.id === "passive-domain-footprint")!
      expect(passive.warnings.some((w) => w.includes("certspotter"))).toBe(true)
      expect(passive.warnings.some((w) => w.includes("crtsh"))).toBe(false)

      expect((yield* put("/templates/passive-domain-footprint", { name: "mine now" }, caller)).status).toBe(403)
      expect((yield* del("/templates/passive-domain-footprint", caller)).status).toBe(403)

      const bad = yield* Gateway.post("/templates", {
        name: "bad",
        target_types: ["DOMAIN"],
        modules: [{ id: "nope" }, { id: "dns_resolve", config: { bogus: 1 } }]
      }, caller)
      expect(bad.status).toBe(400)
      expect((bad.body as { errors: Array<{ field: string }> }).errors.map((e) => e.field)).toEqual([
        "modules[0].id",
        "modules[1].config"
      ])
      const template = yield* Gateway.post("/templates", {
        name: "quick",
        description: "resolve only",
        target_types: ["DOMAIN"],
        modules: [{ id: "dns_resolve" }],
        configuration: { recursion_depth: 1, priority: "LOW", task_timeout: 20, scope: { domains: ["example.org"] } }
      }, caller)
      expect(template.status, template.text).toBe(201)
      const t = template.body as { id: string }
      expect(template.body).toMatchObject({ builtin: false, organization_id: caller.organization_id, warnings: [] })
      const updated = yield* put(`/templates/${t.id}`, { name: "quicker", configuration: { max_results: 5 } }, caller)
      expect(updated.status, updated.text).toBe(200)
      expect(updated.body).toMatchObject({
        name: "quicker",
        // An update changes what it names and keeps the rest of the configuration.
        configuration: {
          recursion_depth: 1,
          priority: "LOW",
          max_results: 5,
          task_timeout: 20,
          scope: { domains: ["example.org"] }
        }
      })
      expect((yield* Gateway.get(`/templates/${t.id}`, caller)).body).toMatchObject({ name: "quicker" })

      // A scan from the template, with overrides.
      const scan = yield* Gateway.post("/scans", {
        name: "from template",
        target: { type: "DOMAIN", value: "example.org" },
        template_id: t.id,
        configuration: { priority: "HIGH" }
      }, caller)
      expect(scan.status, scan.text).toBe(201)
      expect(scan.body).toMatchObject({
        template_id: t.id,
        modules: [{ id: "dns_resolve" }],
        configuration: { recursion_depth: 1, max_results: 5, priority: "HIGH", task_timeout: 20 },
        description: "resolve only"
      })
      const wrongType = yield* Gateway.post("/scans", {
        name: "ip",
        target: { type: "IP", value: "192.0.2.1" },
        template_id: t.id
      }, caller)
      expect(wrongType.body).toMatchObject({ errors: [{ field: "template_id" }] })

      // A built-in template: installed modules only, the others skipped with a warning.
      const builtin = yield* Gateway.post("/scans", {
        name: "passive",
        target: { type: "DOMAIN", value: "example.org" },
        template_id: "passive-domain-footprint"
      }, caller)
      expect(builtin.status, builtin.text).toBe(201)
      const b = builtin.body as {
        modules: Array<{ id: string }>
        warnings: Array<string>
        configuration: { recursion_depth: number }
      }
      expect(b.modules.map((m) => m.id)).toEqual(["crtsh"])
      expect(b.configuration.recursion_depth).toBe(1)
      expect(b.warnings.some((w) => w.includes("certspotter") && w.includes("not installed"))).toBe(true)
      expect(
        (yield* Gateway.post("/scans", {
          name: "unknown",
          target: { type: "DOMAIN", value: "example.org" },
          template_id: "no-such-template"
        }, caller)).body
      ).toMatchObject({ errors: [{ field: "template_id" }] })

      expect((yield* del(`/templates/${t.id}`, caller)).status).toBe(204)
      expect((yield* Gateway.get(`/templates/${t.id}`, caller)).status).toBe(404)
    }))
})
