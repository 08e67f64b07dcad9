/**
 * The changing world through the monitor: four daily runs of one series, whose inventory, diffs and alerts
 * match what changed exactly, delivered to every channel kind (fixture receivers on 127.0.0.1) by severity,
 * each alert once; and the rebuilt inventory equals the one kept run by run.
 */
import { describe, expect, it } from "@effect/vitest"
import type { AlertChannel, ChannelTarget } from "@mirage/domain/AlertChannels"
import { AlertChannelId } from "@mirage/domain/AlertChannels"
import type { Severity } from "@mirage/domain/Alerts"
import { deriveUuid, OrganizationId } from "@mirage/domain/Ids"
import type { ScanId } from "@mirage/domain/Ids"
import { diffRuns } from "@mirage/domain/Inventory"
import { drainOnce } from "@mirage/runtime/monitoring/alerts/AlertDelivery"
import * as AlertFeedRedis from "@mirage/runtime/monitoring/alerts/AlertFeed/Redis"
import * as AlertOutboxPostgres from "@mirage/runtime/monitoring/alerts/AlertOutbox/Postgres"
import { AlertStore } from "@mirage/runtime/monitoring/alerts/AlertStore"
import * as AlertStorePostgres from "@mirage/runtime/monitoring/alerts/AlertStore/Postgres"
import * as Channels from "@mirage/runtime/monitoring/alerts/Channels"
import { deliver, monitorRun } from "@mirage/runtime/monitoring/alerts/Monitor"
import { Inventory } from "@mirage/runtime/monitoring/inventory/Inventory"
import * as InventoryPostgres from "@mirage/runtime/monitoring/inventory/Postgres"
import { rebuild, sightingsOf } from "@mirage/runtime/monitoring/inventory/Runs"
import { sign, signatureHeader } from "@mirage/runtime/scans/Webhooks"
import type { Delivery } from "@mirage/runtime/scans/Webhooks"
import * as AlertReceivers from "@mirage/testkit/AlertReceivers"
import * as ChannelPorts from "@mirage/testkit/ChannelPorts"
import * as HttpFixture from "@mirage/testkit/HttpFixture"
import * as MonitoringWorld from "@mirage/testkit/MonitoringWorld"
import { Effect, Layer } from "effect"
import { completedScan, storeRun, stores } from "./Harness.js"

const organization = OrganizationId.make("0b7f3c52-4d1e-4a6b-9c2d-5e8f7a6b1c01")
const series = { organization_id: organization, target_type: "DOMAIN" as const, target_value: MonitoringWorld.root }

const rules = MonitoringWorld.alertRules(organization)

const channel = (name: string, target: ChannelTarget, min_severity: Severity): AlertChannel => ({
  id: AlertChannelId.make(deriveUuid("channel", name)),
  organization_id: organization,
  name,
  target,
  min_severity,
  enabled: true
})

const layer = Layer.mergeAll(
  InventoryPostgres.layer,
  AlertStorePostgres.layer,
  AlertFeedRedis.layer,
  AlertOutboxPostgres.layer,
  Channels.layer
).pipe(
  Layer.provideMerge(ChannelPorts.layer({ policy: ChannelPorts.loopbackOnly })),
  Layer.provideMerge(stores)
)

describe("Monitor", () => {
  it.scoped(
    "diffs, inventory and alerts of the changing world match its changes exactly",
    () =>
      Effect.gen(function*() {
        const store = yield* AlertStore
        const inventory = yield* Inventory
        for (const each of rules) yield* store.putRule(each)
        const slack = yield* AlertReceivers.slack
        const teams = yield* AlertReceivers.teams
        const discord = yield* AlertReceivers.discord
        const telegram = yield* AlertReceivers.telegram("123456:AAbbCCdd")
        const smtp = yield* AlertReceivers.smtp({ username: "alerts", password: "smtp-pa55word" })
        const signed: Array<{ body: string; signature: string | undefined }> = []
        const hook = yield* HttpFixture.make("https://hooks.invalid", (request) => {
          signed.push({ body: request.body, signature: request.headers[signatureHeader] as string | undefined })
          return { status: 204 }
        })
        const channels = [
          channel("slack", { _tag: "slack", webhook_url: `${slack.url}/services/T0001/B0002/XXXXsecretXXXX` }, "high"),
          channel("teams", {
            _tag: "teams",
            webhook_url: `${teams.url}/workflows/abc123/triggers/manual/paths/invoke`
          }, "medium"),
          channel("discord", { _tag: "discord", webhook_url: `${discord.url}/api/webhooks/42/tok-en_1` }, "info"),
          channel("telegram", {
            _tag: "telegram",
            bot_token: "123456:AAbbCCdd",
            chat_id: "-1001234",
            api_base: telegram.url
          }, "critical"),
          channel("email", {
            _tag: "email",
            host: smtp.host,
            port: smtp.port,
            secure: false,
            tls: "none",
            username: "alerts",
            password: "smtp-pa55word",
            from: "mirage@example.org",
            to: ["soc@example.org", "oncall@example.org"]
          }, "high"),
          channel("webhook", { _tag: "webhook", url: `${hook.url}/alerts`, secret: "whsec-0123456789" }, "critical")
        ]
        for (const each of channels) yield* store.putChannel(each)
        const scanWebhook: Array<Delivery> = []
        const record = (delivery: Delivery) => Effect.sync(() => void scanWebhook.push(delivery))

        const raised: Array<Array<string>> = []
        const ids: Array<ScanId> = []
        for (const n of [1, 2, 3, 4] as const) {
          const scanId = yield* storeRun(organization, "daily", n)
          ids.push(scanId)
          const alerts = yield* monitorRun({ series, scan_id: scanId, at: MonitoringWorld.completedAt(n) })
          yield* deliver(alerts, record)
          // The channels' deliveries, from the outbox the alerts were raised with.
          yield* drainOnce({ attempts: 1, baseMs: 10, maxDelayMs: 10, pollMs: 1000, concurrency: 4 }, "monitor-test")
          raised.push(alerts.map(MonitoringWorld.describeAlert).sort())
        }
        expect(raised).toEqual(MonitoringWorld.expectedAlerts)
        // The same run observed again raises nothing.
        expect(yield* monitorRun({ series, scan_id: ids[2]!, at: MonitoringWorld.completedAt(3) })).toEqual([])

        // Diffs between consecutive runs.
        const sightings = yield* Effect.forEach(ids, (id) => sightingsOf(id))
        const diff2 = diffRuns({ scan_id: ids[1]!, entities: sightings[1]! }, {
          scan_id: ids[0]!,
          entities: sightings[0]!
        })
        expect(diff2.by_type.map((changes) => [changes.type, changes.added, changes.removed])).toEqual([
          ["DOMAIN", ["dev.example.com", "shop.partner.net"], []],
          ["OPEN_PORT", [], ["192.0.2.10:22"]]
        ])
        expect([diff2.added_count, diff2.removed_count, diff2.unchanged_count]).toEqual([2, 1, 6])
        const diff4 = diffRuns({ scan_id: ids[3]!, entities: sightings[3]! }, {
          scan_id: ids[2]!,
          entities: sightings[2]!
        })
        expect([diff4.added_count, diff4.removed_count, diff4.by_type]).toEqual([0, 0, []])

        // The inventory after the fourth run.
        const assets = yield* inventory.assets(series)
        const status = Object.fromEntries(assets.map((asset) => [asset.value, asset.status]))
        expect(status).toEqual({
          "www.example.com": "present",
          "mail.example.com": "present",
          "cdn.partner.net": "present",
          "dev.example.com": "present",
          "shop.partner.net": "present",
          "192.0.2.10": "present",
          "192.0.2.10:443": "present",
          "192.0.2.10:22": "gone",
          "192.0.2.10:8443": "present",
          "CVE-2024-3094": "present",
          "5f0c4d7a9e2b3c1d8e6f7a0b9c2d4e1f3a5b7c9d": "present"
        })
        const closed = assets.find((asset) => asset.value === "192.0.2.10:22")!
        expect([closed.first_seen, closed.last_seen, closed.scans]).toEqual([
          MonitoringWorld.completedAt(1),
          MonitoringWorld.completedAt(1),
          [ids[0]]
        ])
        const www = assets.find((asset) => asset.value === "www.example.com")!
        expect([www.first_seen, www.last_seen, www.scans]).toEqual([
          MonitoringWorld.completedAt(1),
          MonitoringWorld.completedAt(4),
          ids
        ])
        const certificate = assets.find((asset) => asset.type === "CERTIFICATE")!
        expect(certificate.expires_at).toBe(MonitoringWorld.certificateEnd)

        // Channels: each got exactly the alerts at or above its severity, in its documented shape.
        expect(slack.accepted()).toHaveLength(3) // new subdomain, vulnerability, certificate
        expect(teams.accepted()).toHaveLength(4) // + new port
        expect(discord.accepted()).toHaveLength(7) // all
        expect(telegram.accepted()).toHaveLength(1) // the vulnerability
        expect(telegram.accepted()[0]!["chat_id"]).toBe("-1001234")
        expect(String(telegram.accepted()[0]!["text"])).toContain("CVE-2024-3094")
        expect([slack.refused(), teams.refused(), discord.refused(), telegram.refused()]).toEqual([0, 0, 0, 0])
        expect([slack.repeats(), teams.repeats(), discord.repeats(), telegram.repeats()]).toEqual([0, 0, 0, 0])
        const mails = smtp.received()
        expect(mails).toHaveLength(3)
        expect(mails[0]!.authenticated).toBe(true)
        expect(mails[0]!.to).toEqual(["soc@example.org", "oncall@example.org"])
        expect(mails.map((mail) => /^Subject: (.*)$/m.exec(mail.data)?.[1]).sort()).toEqual([
          "[CRITICAL] new vulnerability: 1 new on example.com",
          "[HIGH] certificate ending: 1 certificate expiring on example.com",
          "[HIGH] new subdomain: 1 new on example.com"
        ])
        expect(signed).toHaveLength(1)
        expect(signed[0]!.signature).toBe(sign("whsec-0123456789", signed[0]!.body))
        expect(JSON.parse(signed[0]!.body).alert.kind).toBe("new_entity")
        // Every fresh alert also goes to the scan's own webhook queue.
        expect(scanWebhook).toHaveLength(7)

        // The rebuilt inventory equals the one kept run by run.
        const byKey = (a: { type: string; value: string }, b: { type: string; value: string }) =>
          `${a.type}:${a.value}` < `${b.type}:${b.value}` ? -1 : 1
        const kept = [...assets].sort(byKey)
        expect(yield* rebuild(series)).toBe(4)
        expect([...(yield* inventory.assets(series))].sort(byKey)).toEqual(kept)
      }).pipe(Effect.provide(layer)),
    60_000
  )

  it.scoped("a running or failed scan of the series is not a run of its inventory", () =>
    Effect.gen(function*() {
      const inventory = yield* Inventory
      for (const n of [1, 2] as const) {
        const scanId = yield* storeRun(organization, "partial", n)
        yield* monitorRun({ series, scan_id: scanId, at: MonitoringWorld.completedAt(n) })
      }
      const failed = MonitoringWorld.scanIdOf("partial", 3)
      yield* completedScan(
        organization,
        failed,
        { type: "DOMAIN", value: MonitoringWorld.root },
        MonitoringWorld.completedAt(3),
        "FAILED"
      )
      const before = yield* inventory.assets(series)
      expect(yield* rebuild(series)).toBe(2)
      const after = yield* inventory.assets(series)
      expect(after.length).toBe(before.length)
      expect(after.filter((asset) => asset.status === "new").map((asset) => asset.value).sort()).toEqual([
        "dev.example.com",
        "shop.partner.net"
      ])
    }).pipe(Effect.provide(layer)), 60_000)
})
