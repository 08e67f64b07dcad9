/**
 * Text the stores cannot keep (U+0000, lone surrogates) and very long text, in every text field of
 * every write (scans and their webhooks and targets, templates, API keys, alert rules and channels,
 * schedules): answered 400 naming the field, never 5xx, and every attempt is in the audit log.
 */
import { Headers, HttpClientRequest } from "@effect/platform"
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

const patch = (path: string, body: unknown, caller: Gateway.Caller) =>
  Gateway.send(Gateway.as(caller)(HttpClientRequest.patch(path).pipe(HttpClientRequest.bodyUnsafeJson(body))))

interface AuditPage {
  readonly items: ReadonlyArray<{ readonly status: number; readonly action: string }>
  readonly next_cursor: string | null
}

/** Every audit entry of the caller's organization, newest first. */
const auditTrail = (caller: Gateway.Caller) =>
  Effect.gen(function*() {
    const items: Array<AuditPage["items"][number]> = []
    let cursor: string | null = null
    do {
      const query: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`
      const page = (yield* Gateway.get(`/audit?limit=200${query}`, caller)).body as AuditPage
      items.push(...page.items)
      cursor = page.next_cursor
    } while (cursor !== null)
    return items
  })

const secret = "a-webhook-secret-of-some-length"
const rule = { name: "r", condition: { _tag: "entity_gone", types: ["IP"] } }
const slack = (url: string) => ({ name: "c", target: { _tag: "slack", webhook_url: url } })
const email = (fields: Record<string, unknown>) => ({
  name: "mail",
  target: { _tag: "email", host: "smtp.example.org", from: "a@example.org", to: ["b@example.org"], ...fields }
})
const schedule = (extra: Record<string, unknown> = {}) => ({
  name: "nightly",
  cron: "0 2 * * *",
  time_zone: "UTC",
  scan: { targets: [{ type: "DOMAIN", value: "example.com" }], modules: [{ id: "dns_resolve" }] },
  ...extra
})
/** Free-text entity types: their canonical form keeps whatever characters the value had. */
const freeText = ["USERNAME", "ORGANIZATION", "TECHNOLOGY", "BREACH"] as const

layer(Gateway.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.None))), { timeout: 300_000 })(
  "text the stores cannot keep",
  (it) => {
    it.effect(
      "every text field of every write answers 400 naming the field, and each attempt is audited",
      () =>
        Effect.gen(function*() {
          const admin = yield* Gateway.newCaller("admin")
          const made = (answer: Gateway.Answer) => {
            expect(answer.status, answer.text).toBe(201)
            return (answer.body as { id: string }).id
          }
          const scanId = made(yield* Gateway.post("/scans", Gateway.domainScan("s"), admin))
          const template = { name: "t", target_types: ["DOMAIN"], modules: [{ id: "dns_resolve" }] }
          const templateId = made(yield* Gateway.post("/templates", template, admin))
          const ruleId = made(yield* Gateway.post("/alert-rules", rule, admin))
          const channelId = made(yield* Gateway.post("/alert-channels", slack("https://hooks.example.org/x"), admin))
          const scheduleId = made(yield* Gateway.post("/schedules", schedule(), admin))
          const target = (type: string, t: string) => ({ name: "s", target: { type, value: t } })

          const writes: ReadonlyArray<readonly [string, (t: string) => ReturnType<typeof Gateway.send>]> = [
            ["name", (t) => Gateway.post("/scans", Gateway.domainScan(t), admin)],
            [
              "description",
              (t) => Gateway.post("/scans", Gateway.domainScan("s", "example.com", { description: t }), admin)
            ],
            [
              "modules[0].config",
              (t) =>
                Gateway.post(
                  "/scans",
                  { ...Gateway.domainScan("s"), modules: [{ id: "dns_resolve", config: { k: t } }] },
                  admin
                )
            ],
            [
              "webhook.url",
              (t) =>
                Gateway.post(
                  "/scans",
                  Gateway.domainScan("s", "example.com", {
                    webhook: { url: `https://hooks.example.org/${t}`, secret }
                  }),
                  admin
                )
            ],
            [
              "webhook.secret",
              (t) =>
                Gateway.post(
                  "/scans",
                  Gateway.domainScan("s", "example.com", {
                    webhook: { url: "https://hooks.example.org/x", secret: `${secret}${t}` }
                  }),
                  admin
                )
            ],
            ...freeText.map((type) =>
              ["target.value", (t: string) => Gateway.post("/scans", target(type, `a${t}`), admin)] as const
            ),
            ["name", (t) => put(`/scans/${scanId}`, { name: t }, admin)],
            ["description", (t) => put(`/scans/${scanId}`, { description: t }, admin)],
            [
              "webhook.url",
              (t) => put(`/scans/${scanId}`, { webhook: { url: `https://hooks.example.org/${t}`, secret } }, admin)
            ],
            ["target.value", (t) => put(`/scans/${scanId}`, { target: { type: "USERNAME", value: `a${t}` } }, admin)],
            ["name", (t) => Gateway.post("/templates", { ...template, name: t }, admin)],
            ["description", (t) => Gateway.post("/templates", { ...template, description: t }, admin)],
            ["name", (t) => put(`/templates/${templateId}`, { name: t }, admin)],
            ["description", (t) => put(`/templates/${templateId}`, { description: t }, admin)],
            ["name", (t) => Gateway.post("/api-keys", { name: t, role: "viewer" }, admin)],
            ["name", (t) => Gateway.post("/alert-rules", { ...rule, name: t }, admin)],
            ["name", (t) => patch(`/alert-rules/${ruleId}`, { name: t }, admin)],
            [
              "name",
              (t) => Gateway.post("/alert-channels", { ...slack("https://hooks.example.org/x"), name: t }, admin)
            ],
            ["target", (t) => Gateway.post("/alert-channels", slack(`https://hooks.example.org/${t}`), admin)],
            [
              "target",
              (t) =>
                Gateway.post("/alert-channels", {
                  name: "w",
                  target: { _tag: "webhook", url: "https://hooks.example.org/x", secret: `s${t}` }
                }, admin)
            ],
            ["target", (t) => Gateway.post("/alert-channels", email({ host: `smtp${t}` }), admin)],
            ["target", (t) => Gateway.post("/alert-channels", email({ from: `a${t}@example.org` }), admin)],
            ["target", (t) => Gateway.post("/alert-channels", email({ username: `u${t}`, password: "p" }), admin)],
            ["target", (t) => Gateway.post("/alert-channels", email({ username: "u", password: `p${t}` }), admin)],
            [
              "target",
              (t) =>
                Gateway.post("/alert-channels", {
                  name: "t",
                  target: { _tag: "telegram", bot_token: `1:a${t}`, chat_id: "-100" }
                }, admin)
            ],
            ["name", (t) => patch(`/alert-channels/${channelId}`, { name: t }, admin)],
            ["name", (t) => Gateway.post("/schedules", schedule({ name: t }), admin)],
            ["description", (t) => Gateway.post("/schedules", schedule({ description: t }), admin)],
            ["cron", (t) => Gateway.post("/schedules", schedule({ cron: `0 2 * * *${t}` }), admin)],
            ["time_zone", (t) => Gateway.post("/schedules", schedule({ time_zone: `UTC${t}` }), admin)],
            [
              "scan.targets[0].value",
              (t) =>
                Gateway.post(
                  "/schedules",
                  schedule({
                    scan: { targets: [{ type: "ORGANIZATION", value: `a${t}` }], modules: [{ id: "dns_resolve" }] }
                  }),
                  admin
                )
            ],
            ["name", (t) => put(`/schedules/${scheduleId}`, { name: t }, admin)],
            ["description", (t) => put(`/schedules/${scheduleId}`, { description: t }, admin)]
          ]

          const before = (yield* auditTrail(admin)).length
          let sent = 0
          const wrong: Array<string> = []
          for (const [field, send] of writes) {
            for (const [label, text] of hostileTexts) {
              const answer = yield* send(text).pipe(
                Effect.timeout("10 seconds"),
                Effect.catchAll((error) =>
                  Effect.succeed<Gateway.Answer>({ status: 0, text: String(error), headers: Headers.empty, body: {} })
                )
              )
              sent++
              const fields = (answer.body as { errors?: ReadonlyArray<{ field: string }> }).errors?.map((e) => e.field)
              if (answer.status !== 400 || !(fields ?? []).some((f) => f.startsWith(field))) {
                wrong.push(`${field} with ${label}: ${answer.status} ${answer.text.slice(0, 200)}`)
              }
            }
          }
          expect(wrong).toEqual([])
          const after = yield* auditTrail(admin)
          expect(after.length - before).toBe(sent)
          expect(after.slice(0, sent).every((entry) => entry.status === 400)).toBe(true)
        }),
      300_000
    )

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
