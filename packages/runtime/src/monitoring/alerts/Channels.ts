/**
 * One attempt at delivering an alert to one channel in the channel's own format: JSON POSTs for Slack, Teams,
 * Discord, Telegram and signed webhooks, and SMTP for e-mail (the outbox worker retries), every address through
 * the ChannelGuard. Every request carries the delivery's idempotency key, the same on every attempt. A failure
 * names the channel, never its URL or credentials, and says whether retrying can change it.
 */
import { discordPayload, emailContent, slackPayload, teamsPayload, telegramPayload } from "@mirage/domain/AlertChannels"
import type { AlertChannel, ChannelTarget } from "@mirage/domain/AlertChannels"
import { Alert } from "@mirage/domain/Alerts"
import { Context, Data, DateTime, Effect, Layer, Schema } from "effect"
import type { WebhookFailed, WebhookRequest } from "../../scans/Webhooks.js"
import { sign, signatureHeader, timestampHeader } from "../../scans/Webhooks.js"
import * as WebhooksFetch from "../../scans/Webhooks/Fetch.js"
import { ChannelGuard } from "./ChannelGuard.js"
import * as Smtp from "./Smtp.js"

export class ChannelFailed extends Data.TaggedError("ChannelFailed")<{
  readonly channel: string
  readonly kind: ChannelTarget["_tag"]
  readonly status: number | null
  readonly reason: string
  /** A refusal that retrying cannot change (a 4xx other than 408 and 429, an SMTP 5xx, an address refused). */
  readonly permanent: boolean
}> {}

/** The header naming a delivery (alert and channel): a receiver that sees it twice has the message already. */
export const idempotencyHeader = "idempotency-key"

export const idempotencyKey = (alert: Alert, channel: AlertChannel): string => `${alert.id}.${channel.id}`

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

/** A channel's reason for a failed POST; never the URL (it holds the channel's token), so no connection error text. */
const reasonOf = (failure: WebhookFailed): string => {
  switch (failure.failure) {
    case "answered":
    case "timed_out":
      return failure.reason
    case "refused":
      return "refused by the scope guard at connect time"
    case "unreachable":
      return "unreachable"
  }
}

export const make = Effect.map(ChannelGuard, (guard) => {
  // The scans' webhook sender over the guard's dispatcher: one POST, bounded by its timeouts.
  const http = WebhooksFetch.makeWith(guard.dispatcher)
  return ChannelSender.of({
    send: (channel, alert) => {
      const failed = (status: number | null, reason: string, permanent: boolean) =>
        new ChannelFailed({ channel: channel.id, kind: channel.target._tag, status, reason, permanent })
      const target = channel.target
      // Checked again at each delivery: the operator's policy, or what a name resolves to, may have changed.
      const checked = guard.check(target).pipe(Effect.mapError((refused) => failed(null, refused.reason, true)))
      if (target._tag === "email") {
        const content = emailContent(alert)
        return Effect.zipRight(
          checked,
          Smtp.send(
            {
              host: target.host,
              port: target.port,
              secure: target.secure,
              tls: target.tls,
              ...(target.ca === undefined ? {} : { ca: target.ca }),
              username: target.username,
              password: target.password,
              lookup: guard.lookup
            },
            {
              from: target.from,
              to: target.to,
              subject: content.subject,
              text: content.text,
              date: new Date(DateTime.toEpochMillis(alert.at)),
              message_id: `${idempotencyKey(alert, channel)}@mirage`
            }
          ).pipe(
            Effect.mapError((error) =>
              failed(error.code, `SMTP: ${error.reason}`, error.code !== null && error.code >= 500)
            )
          )
        )
      }
      const request = requestFor(target, alert)
      if (request === null) return Effect.void
      return Effect.zipRight(
        checked,
        http.send({
          ...request,
          headers: {
            "user-agent": "Mirage/0.1",
            ...request.headers,
            [idempotencyHeader]: idempotencyKey(alert, channel)
          }
        }).pipe(Effect.mapError((error) => failed(error.status, reasonOf(error), error.permanent)))
      )
    }
  })
})

/** Needs the ChannelGuard. */
export const layer = Layer.effect(ChannelSender, make)
