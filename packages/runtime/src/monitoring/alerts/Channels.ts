/**
 * Delivery of an alert to one channel in the channel's own format: JSON POSTs for Slack, Teams, Discord,
 * Telegram and signed webhooks (through the platform's WebhookSender, retried like scan webhooks), and SMTP for
 * e-mail. A failure names the channel, never its URL or credentials.
 */
import { discordPayload, emailContent, slackPayload, teamsPayload, telegramPayload } from "@mirage/domain/AlertChannels"
import type { AlertChannel, ChannelTarget } from "@mirage/domain/AlertChannels"
import { Alert } from "@mirage/domain/Alerts"
import { Context, Data, DateTime, Effect, Layer, Schema } from "effect"
import type { WebhookRequest, WebhookSettings } from "../../scans/Webhooks.js"
import { retrySchedule, sign, signatureHeader, timestampHeader, WebhookSender } from "../../scans/Webhooks.js"
import * as Smtp from "./Smtp.js"

export class ChannelFailed extends Data.TaggedError("ChannelFailed")<{
  readonly channel: string
  readonly kind: ChannelTarget["_tag"]
  readonly status: number | null
  readonly reason: string
}> {}

export interface ChannelSenderService {
  readonly send: (channel: AlertChannel, alert: Alert) => Effect.Effect<void, ChannelFailed>
}

export class ChannelSender
  extends Context.Tag("@mirage/runtime/ChannelSender")<ChannelSender, ChannelSenderService>()
{}

const json = (url: string, body: unknown, headers: Record<string, string> = {}): WebhookRequest => ({
  url,
  body: JSON.stringify(body),
  headers: { "content-type": "application/json", ...headers }
})

/** The alert as a signed webhook sends it: `{ type: "alert", alert }`. */
export const webhookBody = (alert: Alert): string =>
  JSON.stringify({ type: "alert.raised", alert: Schema.encodeSync(Alert)(alert) })

/** The HTTP request a channel's alert is, or null for e-mail. */
export const requestFor = (target: ChannelTarget, alert: Alert): WebhookRequest | null => {
  switch (target._tag) {
    case "webhook": {
      const body = webhookBody(alert)
      return {
        url: target.url,
        body,
        headers: {
          "content-type": "application/json",
          [signatureHeader]: sign(target.secret, body),
          [timestampHeader]: String(Math.floor(DateTime.toEpochMillis(alert.at) / 1000))
        }
      }
    }
    case "slack":
      return json(target.webhook_url, slackPayload(alert))
    case "teams":
      return json(target.webhook_url, teamsPayload(alert))
    case "discord":
      return json(target.webhook_url, discordPayload(alert))
    case "telegram":
      return json(
        `${target.api_base.replace(/\/$/, "")}/bot${target.bot_token}/sendMessage`,
        telegramPayload(alert, target.chat_id)
      )
    case "email":
      return null
  }
}

export const make = (settings: Pick<WebhookSettings, "baseMs" | "maxDelayMs" | "retries">) =>
  Effect.map(WebhookSender, (http) =>
    ChannelSender.of({
      send: (channel, alert) => {
        const failed = (status: number | null, reason: string) =>
          new ChannelFailed({ channel: channel.id, kind: channel.target._tag, status, reason })
        const target = channel.target
        if (target._tag === "email") {
          const content = emailContent(alert)
          return Smtp.send(
            {
              host: target.host,
              port: target.port,
              secure: target.secure,
              username: target.username,
              password: target.password
            },
            {
              from: target.from,
              to: target.to,
              subject: content.subject,
              text: content.text,
              date: new Date(DateTime.toEpochMillis(alert.at)),
              message_id: `${alert.id}@mirage`
            }
          ).pipe(Effect.mapError((error) => failed(error.code, `SMTP: ${error.reason}`)))
        }
        const request = requestFor(target, alert)
        if (request === null) return Effect.void
        return http.send(request).pipe(
          Effect.retry(retrySchedule(settings)),
          // The sender's reason may quote the URL, which holds the channel's token: only the status goes out.
          Effect.mapError((error) =>
            failed(error.status, error.status === null ? "unreachable" : `answered ${error.status}`)
          )
        )
      }
    }))

export const layerWith = (settings: Pick<WebhookSettings, "baseMs" | "maxDelayMs" | "retries">) =>
  Layer.effect(ChannelSender, make(settings))
