/**
 * Alert channels over real HTTP and real stores: addresses through the channel guard at creation and change (400
 * naming the field), secrets sealed in the row and redacted in every answer, and where deliveries stand (a given-up
 * delivery with its reason) on the channel's read routes.
 */
import { HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { Alert, AlertEntity, AlertId, AlertRuleId } from "@mirage/domain/Alerts"
import { deriveUuid, ScanId } from "@mirage/domain/Ids"
import { drainOnce } from "@mirage/runtime/monitoring/alerts/AlertDelivery"
import * as AlertOutboxPostgres from "@mirage/runtime/monitoring/alerts/AlertOutbox/Postgres"
import { AlertStore } from "@mirage/runtime/monitoring/alerts/AlertStore"
import * as AlertStorePostgres from "@mirage/runtime/monitoring/alerts/AlertStore/Postgres"
import * as Channels from "@mirage/runtime/monitoring/alerts/Channels"
import { PgClient } from "@mirage/runtime/platform/PgClient"
import { DateTime, Effect, Layer, Logger, LogLevel } from "effect"
import * as Gateway from "./Gateway.js"
import type { Caller } from "./Gateway.js"

const TestLayer = Gateway.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Error)))

const patch = (path: string, body: unknown, caller: Caller) =>
  Gateway.send(Gateway.as(caller)(HttpClientRequest.patch(path).pipe(HttpClientRequest.bodyUnsafeJson(body))))

interface Problem {
  readonly errors: ReadonlyArray<{ readonly field: string; readonly message: string }>
}

interface View {
  readonly id: string
  readonly name: string
  readonly target: Record<string, unknown>
  readonly deliveries: {
    readonly pending: number
    readonly sent: number
    readonly failed: number
    readonly last_failure: { readonly reason: string; readonly attempts: number } | null
  }
}

const discord = (webhook_url: string) => ({ name: "SOC Discord", target: { _tag: "discord", webhook_url } })

layer(TestLayer, { excludeTestServices: true, timeout: "60 seconds" })("Alert channels API", (it) => {
  it.effect("a channel whose address is out of scope, or not https, is refused naming the field", () =>
    Effect.gen(function*() {
      const admin = yield* Gateway.newCaller("admin")
      const refusals = [
        [discord("http://hooks.mirage-sandbox.test/api/webhooks/1/t"), "target.webhook_url", "https"],
        [discord("https://private.hooks.test/api/webhooks/1/t"), "target.webhook_url", "10.20.30.40 is private"],
        [discord("https://127.0.0.1:8443/api/webhooks/1/t"), "target.webhook_url", "loopback"],
        [
          { name: "hook", target: { _tag: "webhook", url: "https://metadata.hooks.test/", secret: "whsec-1" } },
          "target.url",
          "cloud metadata"
        ],
        [
          { name: "mail", target: { _tag: "email", host: "10.0.0.8", from: "a@example.org", to: ["b@example.org"] } },
          "target.host",
          "private"
        ]
      ] as const
      for (const [body, field, reason] of refusals) {
        const answer = yield* Gateway.post("/alert-channels", body, admin)
        expect(answer.status, answer.text).toBe(400)
        const problem = answer.body as Problem
        expect(problem.errors[0]!.field).toBe(field)
        expect(problem.errors[0]!.message).toContain(reason)
      }
      expect(((yield* Gateway.get("/alert-channels", admin)).body as { items: Array<unknown> }).items).toEqual([])

      const created = yield* Gateway.post("/alert-channels", discord("https://hooks.mirage-sandbox.test/api/x"), admin)
      expect(created.status, created.text).toBe(201)
      const id = (created.body as View).id
      const changed = yield* patch(`/alert-channels/${id}`, {
        target: { _tag: "slack", webhook_url: "https://169.254.169.254/latest/meta-data" }
      }, admin)
      expect(changed.status, changed.text).toBe(400)
      expect((changed.body as Problem).errors[0]!.field).toBe("target.webhook_url")
      const kept = (yield* Gateway.get(`/alert-channels/${id}`, admin)).body as View & { kind: string }
      expect(kept.kind).toBe("discord")
    }))

  it.effect("secrets are sealed in the row and redacted in answers; a failed delivery shows with its reason", () =>
    Effect.gen(function*() {
      const admin = yield* Gateway.newCaller("admin")
      const created = yield* Gateway.post(
        "/alert-channels",
        discord("https://discord.unresolvable.test/api/webhooks/42/sekrit-webhook-token"),
        admin
      )
      expect(created.status, created.text).toBe(201)
      const view = created.body as View
      expect(created.text).not.toContain("sekrit-webhook-token")
      expect(view.target).toEqual({ webhook_url: "https://discord.unresolvable.test/[redacted]" })
      expect(view.deliveries).toEqual({ pending: 0, sent: 0, failed: 0, last_failure: null })
      const mail = yield* Gateway.post("/alert-channels", {
        name: "mail",
        target: {
          _tag: "email",
          host: "smtp.unresolvable.test",
          username: "alerts",
          password: "sekrit-smtp-password",
          from: "a@example.org",
          to: ["b@example.org"]
        }
      }, admin)
      expect(mail.status, mail.text).toBe(201)
      expect((mail.body as View).target).toMatchObject({ tls: "starttls", password: "[redacted]" })

      const sql = yield* PgClient
      const rows = yield* Effect.promise(() =>
        sql<Array<{ text: string }>>`select document::text as text from alert_channels
          where organization_id = ${admin.organization_id}`
      )
      expect(rows).toHaveLength(2)
      for (const row of rows) {
        expect(row.text).not.toContain("sekrit")
        expect(row.text).toContain("sealed")
      }

      // An alert for the Discord channel, whose name resolves nowhere: the one attempt fails, the delivery is given up.
      const store = yield* Effect.provide(AlertStore, AlertStorePostgres.layer)
      yield* patch(`/alert-channels/${(mail.body as View).id}`, { enabled: false }, admin)
      const alert = Alert.make({
        id: AlertId.make(deriveUuid("channels-api-alert", admin.organization_id)),
        organization_id: admin.organization_id,
        rule_id: AlertRuleId.make(deriveUuid("channels-api-rule")),
        rule_name: "new subdomain",
        kind: "new_entity",
        severity: "high",
        scan_id: ScanId.make(deriveUuid("channels-api-scan")),
        target: "example.com",
        digest: false,
        entities: [AlertEntity.make({ type: "DOMAIN", value: "dev.example.com", expires_at: null })],
        at: DateTime.unsafeMake(Date.now())
      })
      expect(yield* store.raise([alert], Date.now())).toHaveLength(1)
      const settings = { attempts: 1, baseMs: 10, maxDelayMs: 10, pollMs: 60_000, concurrency: 1 }
      const delivered = yield* drainOnce(settings, "gateway-test").pipe(
        Effect.provide(Layer.mergeAll(AlertOutboxPostgres.layer, AlertStorePostgres.layer, Channels.layer))
      )
      expect(delivered).toBe(1)

      const after = (yield* Gateway.get(`/alert-channels/${view.id}`, admin)).body as View
      expect(after.deliveries).toMatchObject({ pending: 0, sent: 0, failed: 1 })
      expect(after.deliveries.last_failure).toMatchObject({ attempts: 1, reason: "unreachable" })
      const listed = yield* Gateway.get("/alert-channels", admin)
      expect(listed.text).not.toContain("sekrit")
      const items = (listed.body as { items: Array<View> }).items
      expect(items.find((item) => item.id === view.id)?.deliveries.failed).toBe(1)
      // The disabled channel took nothing.
      expect(items.find((item) => item.id !== view.id)?.deliveries).toMatchObject({ failed: 0, pending: 0 })

      // A change that leaves the target answers the channel with its own deliveries; another organization's caller
      // finds no such channel to change.
      const renamed = yield* patch(`/alert-channels/${view.id}`, { name: "renamed" }, admin)
      expect(renamed.status, renamed.text).toBe(200)
      expect((renamed.body as View).deliveries).toMatchObject({ pending: 0, sent: 0, failed: 1 })
      const stranger = yield* Gateway.newCaller("admin")
      expect((yield* patch(`/alert-channels/${view.id}`, { name: "taken" }, stranger)).status).toBe(404)
      const unchanged = (yield* Gateway.get(`/alert-channels/${view.id}`, admin)).body as View & { name: string }
      expect(unchanged.name).toBe("renamed")
    }))
})
