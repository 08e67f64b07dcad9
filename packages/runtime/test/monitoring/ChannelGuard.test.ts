/**
 * Alert channels' addresses through the scope guard: https required (http only to loopback or when allowed),
 * private, link-local and loopback addresses refused under production's policy (names resolved from a table, never
 * a real resolver), each refusal naming the field; and at delivery, a name that now resolves elsewhere is refused
 * before the request, and a rebinding answer at connect time, with nothing sent.
 */
import { describe, expect, it } from "@effect/vitest"
import { AlertChannelId } from "@mirage/domain/AlertChannels"
import type { AlertChannel, ChannelTarget } from "@mirage/domain/AlertChannels"
import { Alert, AlertEntity, AlertId, AlertRuleId } from "@mirage/domain/Alerts"
import { deriveUuid, OrganizationId, ScanId } from "@mirage/domain/Ids"
import { defaultPolicy } from "@mirage/runtime/collection/ScopeGuard"
import type { NetworkPolicy, Resolve } from "@mirage/runtime/collection/ScopeGuard"
import { ChannelGuard } from "@mirage/runtime/monitoring/alerts/ChannelGuard"
import * as ChannelGuardLayers from "@mirage/runtime/monitoring/alerts/ChannelGuard"
import * as Channels from "@mirage/runtime/monitoring/alerts/Channels"
import { ChannelSender } from "@mirage/runtime/monitoring/alerts/Channels"
import * as ChannelPorts from "@mirage/testkit/ChannelPorts"
import * as HttpFixture from "@mirage/testkit/HttpFixture"
import { Context, DateTime, Effect, Layer } from "effect"

const table = {
  "hooks.mirage-sandbox.test": ["93.184.215.14"],
  "private.hooks.test": ["10.20.30.40"],
  "metadata.hooks.test": ["169.254.169.254"],
  "mixed.hooks.test": ["93.184.215.14", "192.168.1.7"],
  "local.mirage-sandbox.test": ["127.0.0.1"]
}

const guardOver = (policy: NetworkPolicy, allowHttp = false, resolve: Resolve = ChannelPorts.resolver(table)) =>
  ChannelGuardLayers.layerWith(policy, { allowHttp }, resolve)

/** The refusal of a target, as `[field, reason]`, or null when it is allowed. */
const verdict = (target: ChannelTarget) =>
  Effect.flatMap(ChannelGuard, (guard) =>
    guard.check(target).pipe(
      Effect.as(null),
      Effect.catchTag("ChannelRefused", (refused) => Effect.succeed([refused.field, refused.reason] as const))
    ))

const slack = (webhook_url: string): ChannelTarget => ({ _tag: "slack", webhook_url })
const email = (host: string): ChannelTarget => ({
  _tag: "email",
  host,
  port: 587,
  secure: false,
  tls: "starttls",
  from: "a@example.org",
  to: ["b@example.org"]
})

const alert = Alert.make({
  id: AlertId.make(deriveUuid("guard-test-alert")),
  organization_id: OrganizationId.make("0b7f3c52-4d1e-4a6b-9c2d-5e8f7a6b1c03"),
  rule_id: AlertRuleId.make(deriveUuid("guard-test-rule")),
  rule_name: "new port",
  kind: "new_entity",
  severity: "high",
  scan_id: ScanId.make(deriveUuid("guard-test-scan")),
  target: "example.com",
  digest: false,
  entities: [AlertEntity.make({ type: "OPEN_PORT", value: "192.0.2.10:22", expires_at: null })],
  at: DateTime.unsafeMake(1_700_000_000_000)
})

const channelTo = (url: string): AlertChannel => ({
  id: AlertChannelId.make(deriveUuid("guard-test-channel")),
  organization_id: alert.organization_id,
  name: "discord",
  target: { _tag: "discord", webhook_url: url },
  min_severity: "info",
  enabled: true
})

describe("ChannelGuard", () => {
  it.scoped("production's policy: public https names pass; plain http, private, metadata and loopback do not", () =>
    Effect.gen(function*() {
      expect(yield* verdict(slack("https://hooks.mirage-sandbox.test/services/T1/B2/x"))).toBeNull()
      // A name that does not resolve is not refused now: its connect will be checked.
      expect(yield* verdict(slack("https://unknown.hooks.test/services/T1/B2/x"))).toBeNull()
      expect(yield* verdict(email("smtp.unknown.test"))).toBeNull()

      const refusals = [
        [slack("http://hooks.mirage-sandbox.test/x"), "target.webhook_url", "https"],
        [slack("ftp://hooks.mirage-sandbox.test/x"), "target.webhook_url", "https"],
        [slack("https://private.hooks.test/x"), "target.webhook_url", "10.20.30.40 is private"],
        [slack("https://metadata.hooks.test/x"), "target.webhook_url", "cloud metadata"],
        [slack("https://169.254.169.254/latest/meta-data"), "target.webhook_url", "cloud metadata"],
        [slack("https://[::1]:8443/x"), "target.webhook_url", "loopback"],
        [slack("https://mixed.hooks.test/x"), "target.webhook_url", "192.168.1.7 is private"],
        [{ _tag: "webhook", url: "https://127.0.0.1/x", secret: "s" }, "target.url", "loopback"],
        [
          { _tag: "telegram", bot_token: "1:a", chat_id: "-100", api_base: "https://10.1.1.1" },
          "target.api_base",
          "private"
        ],
        [email("10.0.0.8"), "target.host", "10.0.0.8 is private"],
        [email("private.hooks.test"), "target.host", "private"]
      ] as const
      for (const [target, field, reason] of refusals) {
        const refused = yield* verdict(target)
        expect(refused, JSON.stringify(target)).not.toBeNull()
        expect(refused![0]).toBe(field)
        expect(refused![1]).toContain(reason)
      }
    }).pipe(Effect.provide(guardOver(defaultPolicy))))

  it.scoped("loopback where loopback is allowed: http to it passes; elsewhere only with MIRAGE_ALERT_CHANNEL_HTTP", () =>
    Effect.gen(function*() {
      const sandbox = guardOver(ChannelPorts.loopbackOnly)
      expect(yield* verdict(slack("http://127.0.0.1:8080/x")).pipe(Effect.provide(sandbox))).toBeNull()
      expect(yield* verdict(slack("http://localhost:8080/x")).pipe(Effect.provide(sandbox))).toBeNull()
      expect(yield* verdict(slack("http://local.mirage-sandbox.test:8080/x")).pipe(Effect.provide(sandbox))).toBeNull()
      expect((yield* verdict(slack("https://hooks.mirage-sandbox.test/x")).pipe(Effect.provide(sandbox)))?.[1])
        .toContain("outside the sandbox")
      const lenient = guardOver(defaultPolicy, true)
      expect(yield* verdict(slack("http://hooks.mirage-sandbox.test/x")).pipe(Effect.provide(lenient))).toBeNull()
      expect((yield* verdict(slack("http://private.hooks.test/x")).pipe(Effect.provide(lenient)))?.[1])
        .toContain("private")
    }))

  it.scoped("at delivery, a name that now resolves to a private address is refused before any request", () =>
    Effect.gen(function*() {
      let answer = "127.0.0.1"
      const changing: Resolve = async () => [{ address: answer, family: 4 }]
      const fixture = yield* HttpFixture.make("https://discord.com", () => ({ status: 204 }))
      const port = new URL(fixture.url).port
      const layer = Channels.layer.pipe(Layer.provideMerge(guardOver(ChannelPorts.loopbackOnly, false, changing)))
      const sender = Context.get(yield* Layer.build(layer), ChannelSender)
      const channel = channelTo(`http://hook.flip.test:${port}/api/webhooks/1/tok`)
      yield* sender.send(channel, alert)
      expect(fixture.requests()).toBe(1)
      answer = "10.0.0.9"
      const refused = yield* Effect.flip(sender.send(channel, alert))
      expect([refused.permanent, refused.reason]).toEqual([true, expect.stringContaining("10.0.0.9 is private")])
      expect(fixture.requests()).toBe(1)
    }))

  it.scoped("at connect time, a rebinding answer is refused and nothing is sent", () =>
    Effect.gen(function*() {
      // The check before the request sees loopback; the connect's own lookup, a private address.
      const answers = ["127.0.0.1", "10.0.0.9"]
      const rebinding: Resolve = async () => [{ address: answers.shift() ?? "10.0.0.9", family: 4 }]
      const fixture = yield* HttpFixture.make("https://discord.com", () => ({ status: 204 }))
      const port = new URL(fixture.url).port
      const layer = Channels.layer.pipe(Layer.provideMerge(guardOver(ChannelPorts.loopbackOnly, false, rebinding)))
      const sender = Context.get(yield* Layer.build(layer), ChannelSender)
      const refused = yield* Effect.flip(
        sender.send(channelTo(`http://rebind.flip.test:${port}/api/webhooks/1/t`), alert)
      )
      expect([refused.permanent, refused.reason]).toEqual([true, "refused by the scope guard at connect time"])
      expect(fixture.requests()).toBe(0)
    }))
})
