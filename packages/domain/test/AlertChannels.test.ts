/** Channel views never carry secrets; the message of each kind stays within its service's limits. */
import { describe, expect, it } from "@effect/vitest"
import {
  ChannelTarget,
  discordPayload,
  redactTarget,
  slackPayload,
  StoredChannelTarget,
  telegramPayload
} from "@mirage/domain/AlertChannels"
import { Alert, AlertEntity, AlertId, AlertRuleId } from "@mirage/domain/Alerts"
import { OrganizationId, ScanId } from "@mirage/domain/Ids"
import { Webhook } from "@mirage/domain/Scan"
import { DateTime, Either, Schema } from "effect"

const alert = (severity: Alert["severity"], count: number) =>
  Alert.make({
    id: AlertId.make("6c0e0000-0000-4000-8000-000000000001"),
    organization_id: OrganizationId.make("6c0e0000-0000-4000-8000-000000000002"),
    rule_id: AlertRuleId.make("6c0e0000-0000-4000-8000-000000000003"),
    rule_name: "new subdomain",
    kind: "new_entity",
    severity,
    scan_id: ScanId.make("6c0e0000-0000-4000-8000-000000000004"),
    target: "example.com",
    digest: count > 1,
    entities: Array.from({ length: count }, (_, i) =>
      AlertEntity.make({ type: "DOMAIN", value: `host-${i}.${"x".repeat(60)}.example.com`, expires_at: null })),
    at: DateTime.unsafeMake(1_700_000_000_000)
  })

describe("AlertChannels", () => {
  it("redacts webhook URLs, tokens, secrets and passwords", () => {
    const views = [
      redactTarget({ _tag: "slack", webhook_url: "https://hooks.slack.com/services/T1/B2/sekrit?x=sekrit" }),
      redactTarget({ _tag: "webhook", url: "https://h.example/p/sekrit", secret: "sekrit" }),
      redactTarget({ _tag: "telegram", bot_token: "1:sekrit", chat_id: "-100", api_base: "https://api.telegram.org" }),
      redactTarget({
        _tag: "email",
        host: "smtp.example.org",
        port: 587,
        secure: false,
        tls: "starttls",
        username: "u",
        password: "sekrit",
        from: "a@example.org",
        to: ["b@example.org"]
      })
    ]
    for (const view of views) expect(JSON.stringify(view)).not.toContain("sekrit")
    expect(views[0]).toEqual({ webhook_url: "https://hooks.slack.com/[redacted]" })
  })

  it("keeps a large digest within Slack, Discord and Telegram limits", () => {
    const big = alert("info", 5000)
    const slack = slackPayload(big)
    expect(slack.blocks[1]!.text.text.length).toBeLessThanOrEqual(3000)
    const discord = discordPayload(big)
    expect(discord.content.length).toBeLessThanOrEqual(2000)
    expect(discord.embeds[0]!.description.length).toBeLessThanOrEqual(4096)
    expect(telegramPayload(big, "-100").text.length).toBeLessThanOrEqual(4096)
    expect(telegramPayload(big, "-100").text).toContain("new subdomain")
  })

  it("takes the URLs a scan's webhook takes, and refuses the same ones", () => {
    const channel = Schema.decodeUnknownEither(ChannelTarget)
    const webhook = Schema.decodeUnknownEither(Webhook)
    for (const url of ["https://h.example/p?q=1", "http://127.0.0.1:8080/x", "https://[::1]/hook"]) {
      expect(Either.isRight(channel({ _tag: "slack", webhook_url: url }))).toBe(true)
      expect(Either.isRight(webhook({ url, secret: "a-webhook-secret-of-some-length" }))).toBe(true)
    }
    // The URL parser would read the first two (it drops white space), the third is not http(s).
    for (const url of ["https://h.example/a b", " https://h.example/", "ftp://h.example/", "https:/h.example"]) {
      expect(Either.isLeft(channel({ _tag: "slack", webhook_url: url }))).toBe(true)
      expect(Either.isLeft(webhook({ url, secret: "a-webhook-secret-of-some-length" }))).toBe(true)
    }
  })

  it("still reads a channel stored with a URL the API took before it checked URLs as strictly", () => {
    const stored = { _tag: "slack", webhook_url: "https://h.example/a b" }
    expect(Either.isLeft(Schema.decodeUnknownEither(ChannelTarget)(stored))).toBe(true)
    expect(Schema.decodeUnknownEither(StoredChannelTarget)(stored)).toStrictEqual(Either.right(stored))
    expect(Either.isLeft(Schema.decodeUnknownEither(StoredChannelTarget)({ ...stored, webhook_url: "ftp://h/" })))
      .toBe(true)
  })
})
