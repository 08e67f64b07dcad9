/**
 * One attempt at delivering an alert to one channel in the channel's own format: JSON POSTs for Slack, Teams,
 * Discord, Telegram and signed webhooks, and SMTP for e-mail (the outbox worker retries), every address through
 * the ChannelGuard. Every request carries the delivery's idempotency key, the same on every attempt. A failure
 * names the channel, never its URL or credentials, and says whether retrying can change it.
 */
import { discordPayload, emailContent, slackPayload, teamsPayload, telegramPayload } from "@mirage/domain/AlertChannels"
import type { AlertChannel, ChannelTarget } from "@mirage/domain/AlertChannels"
import { Alert } from "@mirage/domain/Alerts"
import { HttpClient as ModuleHttp } from "@mirage/modules"
import { Context, Data, DateTime, Duration, Effect, Layer, Schema } from "effect"
import { request as undiciRequest } from "undici"
import type { Dispatcher } from "undici"
import type { WebhookRequest } from "../../scans/Webhooks.js"
import { sign, signatureHeader, timestampHeader } from "../../scans/Webhooks.js"
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

/** Whether a failure comes from the guard refusing a connect, wherever undici put it in the cause chain. */
const refusedByGuard = (cause: unknown, depth = 0): boolean =>
  typeof cause === "object" && cause !== null && depth <= 4 &&
  (("code" in cause && cause.code === ModuleHttp.outOfScopeCode) ||
    ("cause" in cause && refusedByGuard(cause.cause, depth + 1)))

/** Answers that retrying cannot change: a 4xx other than 408 (timeout) and 429 (rate limited). */
const isPermanent = (status: number) => status >= 400 && status < 500 && status !== 408 && status !== 429

interface HttpFailure {
  readonly status: number | null
  readonly reason: string
  readonly permanent: boolean
}

/** One POST through the guard's dispatcher; the reason never quotes the URL (it holds the channel's token). */
const post = (dispatcher: Dispatcher, request: WebhookRequest): Effect.Effect<void, HttpFailure> =>
  Effect.tryPromise({
    try: async (signal) => {
      const response = await undiciRequest(request.url, {
        method: "POST",
        body: request.body,
        headers: { "user-agent": "Mirage/0.1", ...request.headers },
        dispatcher,
        signal
      })
      await response.body.dump()
      return response.statusCode
    },
    catch: (cause): HttpFailure =>
      refusedByGuard(cause)
        ? { status: null, reason: "refused by the scope guard at connect time", permanent: true }
        : { status: null, reason: "unreachable", permanent: false }
  }).pipe(
    Effect.timeoutFail({
      duration: Duration.seconds(10),
      onTimeout: (): HttpFailure => ({ status: null, reason: "timed out", permanent: false })
    }),
    Effect.flatMap((status) =>
      status >= 200 && status < 300
        ? Effect.void
        : Effect.fail<HttpFailure>({ status, reason: `answered ${status}`, permanent: isPermanent(status) })
    )
  )

export const make = Effect.map(ChannelGuard, (guard) =>
  ChannelSender.of({
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
        post(guard.dispatcher, {
          ...request,
          headers: { ...request.headers, [idempotencyHeader]: idempotencyKey(alert, channel) }
        }).pipe(Effect.mapError((error) => failed(error.status, error.reason, error.permanent)))
      )
    }
  }))

/** Needs the ChannelGuard. */
export const layer = Layer.effect(ChannelSender, make)
