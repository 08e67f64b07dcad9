/**
 * The monitoring API over real HTTP and real stores: the inventory and diffs of two runs of the changing world,
 * alert rules and channels (organization-scoped, role-checked, secrets redacted), the alerts raised, retention.
 */
import { HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import type { ScanId } from "@mirage/domain/Ids"
import * as AlertStorePostgres from "@mirage/runtime/monitoring/alerts/AlertStore/Postgres"
import { monitorRun } from "@mirage/runtime/monitoring/alerts/Monitor"
import * as InventoryPostgres from "@mirage/runtime/monitoring/inventory/Postgres"
import { PgClient } from "@mirage/runtime/platform/PgClient"
import { ResultStore } from "@mirage/runtime/scans/ResultStore"
import * as MonitoringWorld from "@mirage/testkit/MonitoringWorld"
import { Effect, Layer, Logger, LogLevel } from "effect"
import * as Gateway from "./Gateway.js"
import type { Caller } from "./Gateway.js"

const TestLayer = Gateway.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Error)))

const put = (path: string, body: unknown, caller: Caller) =>
  Gateway.send(Gateway.as(caller)(HttpClientRequest.put(path).pipe(HttpClientRequest.bodyUnsafeJson(body))))
const patch = (path: string, body: unknown, caller: Caller) =>
  Gateway.send(Gateway.as(caller)(HttpClientRequest.patch(path).pipe(HttpClientRequest.bodyUnsafeJson(body))))
const del = (path: string, caller: Caller) => Gateway.send(Gateway.as(caller)(HttpClientRequest.del(path)))

/** A scan created through the API, then completed as its node would: run `n` of the world's results. */
const completedRun = (caller: Caller, n: 1 | 2) =>
  Effect.gen(function*() {
    const answer = yield* Gateway.post("/scans", Gateway.domainScan(`run ${n}`, MonitoringWorld.root), caller)
    expect(answer.status, answer.text).toBe(201)
    const id = (answer.body as { id: ScanId }).id
    const at = MonitoringWorld.completedAt(n)
    const iso = new Date(at).toISOString()
    const sql = yield* PgClient
    yield* Effect.promise(() =>
      sql`update scans set status = 'COMPLETED', completed_at = ${iso}::timestamptz,
            document = document || jsonb_build_object('status', 'COMPLETED', 'completed_at', ${iso}::text)
          where id = ${id}`
    )
    const results = yield* ResultStore
    yield* Effect.orDie(results.insert(id, MonitoringWorld.results(id, n)))
    yield* monitorRun({
      series: { organization_id: caller.organization_id, target_type: "DOMAIN", target_value: MonitoringWorld.root },
      scan_id: id,
      at
    }).pipe(Effect.provide(Layer.mergeAll(InventoryPostgres.layer, AlertStorePostgres.layer)), Effect.orDie)
    return id
  })

interface AssetItem {
  readonly type: string
  readonly value: string
  readonly status: string
  readonly scans: ReadonlyArray<string>
}

layer(TestLayer, { excludeTestServices: true, timeout: "60 seconds" })("Monitoring API", (it) => {
  it.effect("inventory, diffs, alert rules and channels, alerts and retention of one organization", () =>
    Effect.gen(function*() {
      const admin = yield* Gateway.newCaller("admin")
      const viewer = yield* Gateway.sameOrganization(admin, "viewer")
      const analyst = yield* Gateway.sameOrganization(admin, "analyst")
      const stranger = yield* Gateway.newCaller("admin")

      // Rules: created by analysts, refused to viewers, bad conditions named.
      const rule = yield* Gateway.post("/alert-rules", {
        name: "new subdomain",
        condition: { _tag: "new_entity", types: ["DOMAIN"], under_root: true },
        severity: "high"
      }, analyst)
      expect(rule.status, rule.text).toBe(201)
      const ruleId = (rule.body as { id: string }).id
      expect(
        (yield* Gateway.post("/alert-rules", { name: "x", condition: { _tag: "entity_gone", types: ["IP"] } }, viewer))
          .status
      )
        .toBe(403)
      const bad = yield* Gateway.post("/alert-rules", {
        name: "x",
        condition: { _tag: "certificate_expiring", within_days: 0 }
      }, admin)
      expect(bad.status).toBe(400)
      expect(bad.text).toContain("condition")
      expect((yield* Gateway.get(`/alert-rules/${ruleId}`, stranger)).status).toBe(404)
      const disabled = yield* patch(`/alert-rules/${ruleId}`, { enabled: false }, admin)
      expect(disabled.body as { enabled: boolean; name: string }).toMatchObject({
        enabled: false,
        name: "new subdomain"
      })
      expect((yield* patch(`/alert-rules/${ruleId}`, { enabled: true }, admin)).status).toBe(200)

      // Channels: secrets never answered.
      const token = "T0001/B0002/verySecretToken123"
      const channel = yield* Gateway.post("/alert-channels", {
        name: "SOC Slack",
        target: { _tag: "slack", webhook_url: `https://hooks.slack.com/services/${token}` },
        min_severity: "high"
      }, admin)
      expect(channel.status, channel.text).toBe(201)
      expect(channel.text).not.toContain("verySecretToken123")
      const mail = yield* Gateway.post("/alert-channels", {
        name: "mail",
        target: {
          _tag: "email",
          host: "smtp.example.org",
          from: "a@example.org",
          to: ["b@example.org"],
          password: "hunter2-pass"
        }
      }, admin)
      expect(mail.status, mail.text).toBe(201)
      const channels = yield* Gateway.get("/alert-channels", admin)
      expect(channels.text).not.toContain("verySecretToken123")
      expect(channels.text).not.toContain("hunter2-pass")
      expect(channels.text).toContain("[redacted]")
      expect(
        (yield* Gateway.post("/alert-channels", {
          name: "t",
          target: { _tag: "telegram", bot_token: "1:a", chat_id: "not a chat" }
        }, admin)).status
      )
        .toBe(400)

      // Two runs of the changing world.
      const first = yield* completedRun(admin, 1)
      const second = yield* completedRun(admin, 2)

      const news = yield* Gateway.get(`/assets?target=${MonitoringWorld.root}&status=new`, viewer)
      expect(news.status, news.text).toBe(200)
      expect((news.body as { items: Array<AssetItem> }).items.map((item) => item.value)).toEqual([
        "dev.example.com",
        "shop.partner.net"
      ])
      const gone = yield* Gateway.get(`/assets?status=gone&type=OPEN_PORT`, viewer)
      expect((gone.body as { items: Array<AssetItem> }).items.map((item) => [item.value, item.scans])).toEqual([
        ["192.0.2.10:22", [first]]
      ])
      // Paging: 9 assets, 4 at a time.
      const seen: Array<string> = []
      let cursor: string | null = null
      do {
        const page: Gateway.Answer = yield* Gateway.get(
          `/assets?limit=4${cursor === null ? "" : `&cursor=${cursor}`}`,
          viewer
        )
        const body = page.body as { items: Array<AssetItem>; next_cursor: string | null }
        seen.push(...body.items.map((item) => `${item.type}:${item.value}`))
        cursor = body.next_cursor
      } while (cursor !== null)
      expect(seen).toHaveLength(9)
      expect(new Set(seen).size).toBe(9)
      expect((yield* Gateway.get(`/assets?cursor=%21%21`, viewer)).status).toBe(400)
      expect((yield* Gateway.get(`/assets?status=old`, viewer)).status).toBe(400)
      expect(((yield* Gateway.get(`/assets`, stranger)).body as { items: Array<unknown> }).items).toEqual([])

      // Diffs.
      const diff = yield* Gateway.get(`/scans/${second}/diff`, viewer)
      expect(diff.status, diff.text).toBe(200)
      expect(diff.body).toMatchObject({
        scan_id: second,
        against: first,
        added_count: 2,
        removed_count: 1,
        by_type: [
          { type: "DOMAIN", added: ["dev.example.com", "shop.partner.net"], removed: [] },
          { type: "OPEN_PORT", added: [], removed: ["192.0.2.10:22"] }
        ]
      })
      const reverse = yield* Gateway.get(`/scans/${first}/diff?against=${second}`, viewer)
      expect(reverse.body).toMatchObject({ added_count: 1, removed_count: 2 })
      const baseline = yield* Gateway.get(`/scans/${first}/diff`, viewer)
      expect(baseline.body).toMatchObject({ against: null, added_count: 7, removed_count: 0 })
      expect((yield* Gateway.get(`/scans/${second}/diff`, stranger)).status).toBe(404)
      expect((yield* Gateway.get(`/scans/${second}/diff?against=yesterday`, viewer)).status).toBe(400)

      // The alert of the second run.
      const alerts = yield* Gateway.get("/alerts", viewer)
      expect((alerts.body as { items: Array<{ rule_name: string; entities: Array<{ value: string }> }> }).items.map((
        alert
      ) => [alert.rule_name, alert.entities.map((entity) => entity.value)])).toEqual([
        ["new subdomain", ["dev.example.com"]]
      ])
      expect(((yield* Gateway.get("/alerts", stranger)).body as { items: Array<unknown> }).items).toEqual([])
      expect((yield* Gateway.get("/alerts?cursor=abc", viewer)).status).toBe(400)

      // Retention: admins only.
      expect((yield* put("/retention", { keep_runs: 5, keep_days: null }, analyst)).status).toBe(403)
      expect((yield* put("/retention", { keep_runs: 0, keep_days: null }, admin)).status).toBe(400)
      expect((yield* put("/retention", { keep_runs: 5, keep_days: 30 }, admin)).status).toBe(200)
      expect((yield* Gateway.get("/retention", viewer)).body).toEqual({ keep_runs: 5, keep_days: 30 })
      expect((yield* Gateway.get("/retention", stranger)).body).toEqual({ keep_runs: null, keep_days: null })

      expect((yield* del(`/alert-rules/${ruleId}`, admin)).status).toBe(204)
      expect((yield* del(`/alert-rules/${ruleId}`, admin)).status).toBe(404)
    }))
})
