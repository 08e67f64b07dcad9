/**
 * Where alerts go besides the scan's webhook: Slack, Microsoft Teams and Discord incoming webhooks, a Telegram
 * bot, e-mail over SMTP, or a signed webhook of the organization's. Each channel has a severity filter. The
 * message of each kind follows the receiving service's documented payload; secrets never leave in a view.
 */
import { DateTime, Schema } from "effect"
import type { Alert } from "./Alerts.js"
import { Severity } from "./Alerts.js"
import { OrganizationId } from "./Ids.js"
import { ApiText, StorableText } from "./Text.js"
import { anchored, httpUrl, isHttpUrl } from "./WirePatterns.js"

export const AlertChannelId = Schema.UUID.pipe(Schema.brand("AlertChannelId"))
export type AlertChannelId = typeof AlertChannelId.Type

// Text the stores can keep (no U+0000, no lone surrogate) before any other rule: a channel is a row in PostgreSQL.
const HttpsUrl = ApiText({ max: 2048 }).pipe(
  Schema.filter((text) => isHttpUrl(text) || "an http(s) URL", { jsonSchema: { pattern: anchored(httpUrl) } })
)

/**
 * A stored channel's URL: what the API took before it checked URLs as scan webhooks' are (the URL parser's reading,
 * white space included). Channels stored then must go on loading and delivering.
 */
const StoredUrl = ApiText({ max: 2048 }).pipe(
  Schema.filter((text) => {
    try {
      const { protocol } = new URL(text)
      return protocol === "https:" || protocol === "http:" || "an http(s) URL"
    } catch {
      return "an http(s) URL"
    }
  })
)
const Secret = ApiText({ min: 1, max: 512 })
const Host = StorableText.pipe(
  Schema.pattern(/^[A-Za-z0-9.:-]{1,253}$/, { message: () => "a host name or address" })
)
const Address = ApiText({ max: 320 }).pipe(
  Schema.pattern(/^[^\s<>@,;:"]+@[^\s<>@,;:"]+$/, { message: () => "an address" })
)

/** The targets, each URL checked by `url`. */
const targets = (url: typeof HttpsUrl) => {
  const Webhook = Schema.TaggedStruct("webhook", { url, secret: Secret })
  const Slack = Schema.TaggedStruct("slack", { webhook_url: url })
  const Teams = Schema.TaggedStruct("teams", { webhook_url: url })
  const Discord = Schema.TaggedStruct("discord", { webhook_url: url })
  const Telegram = Schema.TaggedStruct("telegram", {
    bot_token: Secret,
    chat_id: StorableText.pipe(Schema.pattern(/^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})$/, {
      message: () => "a chat id or @channelname"
    })),
    api_base: Schema.optionalWith(url, { default: () => "https://api.telegram.org" })
  })
  return { Webhook, Slack, Teams, Discord, Telegram }
}
/** A PEM certificate (or several): a private CA the channel trusts besides the system's. */
const Pem = Schema.String.pipe(
  Schema.maxLength(32_768),
  Schema.pattern(/-----BEGIN CERTIFICATE-----/, { message: () => "a PEM certificate" })
)

export const EmailTarget = Schema.TaggedStruct("email", {
  host: Host,
  port: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 65535)), { default: () => 587 }),
  /** TLS from the first byte (port 465); otherwise SMTP upgraded as `tls` says. */
  secure: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  /**
   * Without `secure`: `starttls` upgrades with STARTTLS and refuses to send when the server does not offer it (a
   * stripped offer must not put the password on the wire); `none` speaks plain SMTP.
   */
  tls: Schema.optionalWith(Schema.Literal("starttls", "none"), { default: () => "starttls" as const }),
  /** A CA to trust for this server's certificate besides the system's (a private or self-signed one). */
  ca: Schema.optional(Pem),
  username: Schema.optional(Secret),
  password: Schema.optional(Secret),
  from: Address,
  to: Schema.Array(Address).pipe(Schema.minItems(1), Schema.maxItems(50))
})
const api = targets(HttpsUrl)
export const WebhookTarget = api.Webhook
export const SlackTarget = api.Slack
export const TeamsTarget = api.Teams
export const DiscordTarget = api.Discord
export const TelegramTarget = api.Telegram

export const ChannelTarget = Schema.Union(
  WebhookTarget,
  SlackTarget,
  TeamsTarget,
  DiscordTarget,
  TelegramTarget,
  EmailTarget
)

const stored = targets(StoredUrl)
/** A target as stored: the same shape, its URLs read as earlier versions of the API took them. */
export const StoredChannelTarget = Schema.Union(
  stored.Webhook,
  stored.Slack,
  stored.Teams,
  stored.Discord,
  stored.Telegram,
  EmailTarget
)
export type ChannelTarget = typeof ChannelTarget.Type

const Fields = {
  name: ApiText({ min: 1, max: 200 }),
  target: ChannelTarget,
  /** Alerts below this severity are not sent here. */
  min_severity: Schema.optionalWith(Severity, { default: () => "info" as const }),
  enabled: Schema.optionalWith(Schema.Boolean, { default: () => true })
}

export class CreateAlertChannelRequest extends Schema.Class<CreateAlertChannelRequest>("CreateAlertChannelRequest")(
  Fields
) {}

export class UpdateAlertChannelRequest extends Schema.Class<UpdateAlertChannelRequest>("UpdateAlertChannelRequest")({
  name: Schema.optional(Fields.name),
  target: Schema.optional(ChannelTarget),
  min_severity: Schema.optional(Severity),
  enabled: Schema.optional(Schema.Boolean)
}) {}

/** A channel with its secrets: what is sent to, held only while delivering or storing. */
export interface AlertChannel {
  readonly id: AlertChannelId
  readonly organization_id: OrganizationId
  readonly name: string
  readonly target: ChannelTarget
  readonly min_severity: Severity
  readonly enabled: boolean
}

export const ChannelKind = Schema.Literal("webhook", "slack", "teams", "discord", "telegram", "email")
export type ChannelKind = typeof ChannelKind.Type

/** A channel without its secrets: its kind and its target redacted, what listing and filtering need. */
export interface ChannelInfo {
  readonly id: AlertChannelId
  readonly organization_id: OrganizationId
  readonly name: string
  readonly kind: ChannelKind
  /** The target as `redactTarget` shows it. */
  readonly view: Readonly<Record<string, unknown>>
  readonly min_severity: Severity
  readonly enabled: boolean
}

export const infoOf = (channel: AlertChannel): ChannelInfo => ({
  id: channel.id,
  organization_id: channel.organization_id,
  name: channel.name,
  kind: channel.target._tag,
  view: redactTarget(channel.target),
  min_severity: channel.min_severity,
  enabled: channel.enabled
})

/** The last delivery to the channel that was given up, and why (never the URL or a credential). */
export class DeliveryFailure extends Schema.Class<DeliveryFailure>("DeliveryFailure")({
  alert_id: Schema.UUID,
  at: Schema.DateTimeUtc,
  attempts: Schema.Int,
  reason: Schema.String
}) {}

/** Where the channel's deliveries stand: waiting (or being retried), sent, given up. */
export class DeliveryStats extends Schema.Class<DeliveryStats>("DeliveryStats")({
  pending: Schema.Int,
  sent: Schema.Int,
  failed: Schema.Int,
  last_failure: Schema.NullOr(DeliveryFailure)
}) {}

export const noDeliveries = DeliveryStats.make({ pending: 0, sent: 0, failed: 0, last_failure: null })

/** A channel as answered: the target's secrets replaced by `redacted`. */
export class AlertChannelView extends Schema.Class<AlertChannelView>("AlertChannelView")({
  id: AlertChannelId,
  organization_id: OrganizationId,
  name: Fields.name,
  kind: ChannelKind,
  /** The target without its secrets: URLs keep only scheme and host. */
  target: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  min_severity: Severity,
  enabled: Schema.Boolean,
  /** Its alerts' deliveries; a given-up one stays `failed` with its reason. */
  deliveries: DeliveryStats
}) {}

export const redacted = "[redacted]"

/** A URL's scheme and host only: webhook URLs carry their token in the path. */
export const redactUrl = (text: string): string => {
  try {
    const url = new URL(text)
    return `${url.protocol}//${url.host}/${redacted}`
  } catch {
    return redacted
  }
}

export const redactTarget = (target: ChannelTarget): Record<string, unknown> => {
  switch (target._tag) {
    case "webhook":
      return { url: redactUrl(target.url), secret: redacted }
    case "slack":
    case "teams":
    case "discord":
      return { webhook_url: redactUrl(target.webhook_url) }
    case "telegram":
      return { bot_token: redacted, chat_id: target.chat_id, api_base: target.api_base }
    case "email": {
      const { _tag, ca, password, ...rest } = target
      return {
        ...rest,
        ...(password === undefined ? {} : { password: redacted }),
        ...(ca === undefined ? {} : { ca: "[custom CA]" })
      }
    }
  }
}

export const viewOf = (channel: ChannelInfo, deliveries: DeliveryStats = noDeliveries): AlertChannelView =>
  AlertChannelView.make({
    id: channel.id,
    organization_id: channel.organization_id,
    name: channel.name,
    kind: channel.kind,
    target: { ...channel.view },
    min_severity: channel.min_severity,
    enabled: channel.enabled,
    deliveries
  })

/** The human text of an alert: a title and one line per entity (bounded). */
export const summarize = (alert: Alert, maxLines = 50): { readonly title: string; readonly lines: Array<string> } => {
  const what = alert.kind === "new_entity"
    ? "new"
    : alert.kind === "entity_gone"
    ? "gone"
    : "certificate expiring"
  const title =
    `[${alert.severity.toUpperCase()}] ${alert.rule_name}: ${alert.entities.length} ${what} on ${alert.target}`
  const lines = alert.entities.slice(0, maxLines).map((entity) =>
    entity.expires_at === null
      ? `${entity.type} ${entity.value}`
      : `${entity.type} ${entity.value} (expires ${DateTime.formatIso(entity.expires_at)})`
  )
  if (alert.entities.length > maxLines) lines.push(`… and ${alert.entities.length - maxLines} more`)
  return { title, lines }
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`)

const colour: Record<Severity, number> = {
  info: 0x3b82f6,
  low: 0x22c55e,
  medium: 0xeab308,
  high: 0xf97316,
  critical: 0xdc2626
}

/** Slack incoming webhook: `text` (the fallback) and a header and a mrkdwn section block (3000 chars). */
export const slackPayload = (alert: Alert) => {
  const { lines, title } = summarize(alert)
  return {
    text: clip(title, 3000),
    blocks: [
      { type: "header", text: { type: "plain_text", text: clip(title, 150) } },
      { type: "section", text: { type: "mrkdwn", text: clip(lines.map((line) => `• ${line}`).join("\n"), 3000) } }
    ]
  }
}

/** Microsoft Teams incoming webhook (Workflows): a message with one Adaptive Card attachment. */
export const teamsPayload = (alert: Alert) => {
  const { lines, title } = summarize(alert)
  return {
    type: "message",
    attachments: [{
      contentType: "application/vnd.microsoft.card.adaptive",
      contentUrl: null,
      content: {
        $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
        type: "AdaptiveCard",
        version: "1.4",
        body: [
          { type: "TextBlock", text: title, weight: "Bolder", size: "Medium", wrap: true },
          ...lines.map((line) => ({ type: "TextBlock", text: line, wrap: true, spacing: "None" }))
        ]
      }
    }]
  }
}

/** Discord webhook: `content` (≤ 2000) and one embed (title ≤ 256, description ≤ 4096, colour by severity). */
export const discordPayload = (alert: Alert) => {
  const { lines, title } = summarize(alert)
  return {
    content: clip(title, 2000),
    embeds: [{
      title: clip(title, 256),
      description: clip(lines.join("\n"), 4096),
      color: colour[alert.severity],
      timestamp: DateTime.formatIso(alert.at)
    }],
    allowed_mentions: { parse: [] }
  }
}

/** Telegram Bot API `sendMessage`: plain text (≤ 4096), no link previews. */
export const telegramPayload = (alert: Alert, chatId: string) => {
  const { lines, title } = summarize(alert)
  return {
    chat_id: chatId,
    text: clip([title, ...lines].join("\n"), 4096),
    link_preview_options: { is_disabled: true }
  }
}

/** An e-mail's subject and plain-text body. */
export const emailContent = (alert: Alert) => {
  const { lines, title } = summarize(alert, 500)
  return {
    subject: clip(title, 200),
    text: [title, "", ...lines, "", `Scan ${alert.scan_id}, alert ${alert.id}`].join("\n")
  }
}
