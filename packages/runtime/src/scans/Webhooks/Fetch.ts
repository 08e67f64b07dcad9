/**
 * The real webhook sender: one POST through the scope guard's undici dispatcher, bounded by a timeout. Every
 * connection it opens is checked like a module's (address literals directly, names after resolution, at connect
 * time), so a scan's webhook never reaches loopback, private ranges or cloud metadata unless the operator allows
 * them, and in the sandbox nothing but loopback.
 */
import { HttpClient } from "@mirage/modules"
import { Duration, Effect, Layer, Option } from "effect"
import { request } from "undici"
import type { Dispatcher } from "undici"
import { ScopeGuard } from "../../collection/ScopeGuard.js"
import { WebhookFailed, WebhookSender } from "../Webhooks.js"
import type { WebhookRequest } from "../Webhooks.js"

const timeout = Duration.seconds(10)

/** The reason of a request that ran out of time. */
const timedOut = "timed out"

/** Why a send failed, without the URL (a webhook URL may carry a token in its path or query). */
const reasonOf = (cause: unknown): string =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : cause instanceof Error
    ? cause.name
    : "request failed"

const permanentStatus = (status: number) => status >= 400 && status < 500 && status !== 408 && status !== 429

/** A sender whose requests all go through `dispatcher`. */
export const makeWith = (dispatcher: Dispatcher) =>
  WebhookSender.of({
    send: (webhook: WebhookRequest) =>
      Effect.tryPromise({
        try: async (signal) => {
          const response = await request(webhook.url, {
            method: "POST",
            headers: { ...webhook.headers },
            body: webhook.body,
            signal,
            dispatcher,
            headersTimeout: Duration.toMillis(timeout),
            bodyTimeout: Duration.toMillis(timeout)
          })
          // The answer's body is not read: dropped so the connection can be reused.
          await response.body.dump()
          return response.statusCode
        },
        catch: (cause) =>
          Option.match(HttpClient.outOfScope(cause), {
            // A refused address stays refused: not retried.
            onSome: (reason) => new WebhookFailed({ failure: "refused", status: null, reason, permanent: true }),
            onNone: () =>
              new WebhookFailed({ failure: "unreachable", status: null, reason: reasonOf(cause), permanent: false })
          })
      }).pipe(
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () => new WebhookFailed({ failure: "timed_out", status: null, reason: timedOut, permanent: false })
        }),
        Effect.flatMap((status) =>
          status >= 200 && status < 300
            ? Effect.void
            : Effect.fail(
              new WebhookFailed({
                failure: "answered",
                status,
                reason: `answered ${status}`,
                permanent: permanentStatus(status)
              })
            )
        )
      )
  })

/** The sender over the ScopeGuard's dispatcher. */
export const make = Effect.map(ScopeGuard, (guard) => makeWith(guard.dispatcher))

/** Needs the ScopeGuard (the node's, from MIRAGE_ALLOW_NETWORKS and MIRAGE_SANDBOX). */
export const layer = Layer.effect(WebhookSender, make)
