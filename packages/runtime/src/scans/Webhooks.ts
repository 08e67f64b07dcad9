/**
 * Webhooks of scans: where each scan's status changes are POSTed, signed with HMAC-SHA256 of the
 * raw body under the scan's secret (`X-Mirage-Signature: sha256=<hex>`, with `X-Mirage-Timestamp`).
 * Deliveries go through a queue drained by a few fibers per node, retried on an exponential,
 * bounded schedule, so a slow or failing receiver never holds up a scan actor. Webhook URLs are under the scope
 * guard's network policy: an address literal it refuses is refused when the scan is created or updated, and every
 * connection a delivery opens is checked again (names after resolution) by the node's guard.
 */
import type { ScanId } from "@mirage/domain/Ids"
import type { Webhook } from "@mirage/domain/Scan"
import { Config, Context, Data, Duration, Effect, Option, Queue, Schedule } from "effect"
import { createHmac } from "node:crypto"
import { defaultPolicy, literalRefusal } from "../collection/ScopeGuard.js"
import type { NetworkPolicy } from "../collection/ScopeGuard.js"
import type { PersistenceError } from "../platform/Errors.js"
import type { ScanObserverService } from "./ScanObserver.js"
import * as Settings from "./Settings.js"
import type { StagedReader } from "./StagedChange.js"

export interface WebhookStoreService {
  readonly get: (scanId: ScanId) => Effect.Effect<Option.Option<Webhook>, PersistenceError>
  /** Sets the scan's webhook, or removes it with null. */
  readonly set: (scanId: ScanId, webhook: Webhook | null) => Effect.Effect<void, PersistenceError>
  /**
   * Keeps a change of the scan's webhook (null: removal) under `changeId` (its update's command id) until the update
   * that carries it is stored: an update's side effects follow what the scan's actor decided, never precede it.
   */
  readonly stage: (scanId: ScanId, changeId: string, webhook: Webhook | null) => Effect.Effect<void, PersistenceError>
  /**
   * Applies a staged change whose update is stored and forgets it, once: false when there is none (applied already),
   * its update is not stored, or a later stored update changed the webhook again (then it is only forgotten).
   */
  readonly apply: (scanId: ScanId, changeId: string) => Effect.Effect<boolean, PersistenceError>
  /** Forgets a staged change whose update was refused. */
  readonly discard: (changeId: string) => Effect.Effect<void, PersistenceError>
  readonly staged: StagedReader
}

export class WebhookStore extends Context.Tag("@mirage/runtime/WebhookStore")<WebhookStore, WebhookStoreService>() {}

export class WebhookFailed extends Data.TaggedError("WebhookFailed")<{
  /** What happened: an answer outside 2xx, no answer in time, an address the scope guard refused, or no connection. */
  readonly failure: "answered" | "timed_out" | "refused" | "unreachable"
  readonly status: number | null
  readonly reason: string
  /** A refusal that retrying cannot change (4xx other than 408 and 429). */
  readonly permanent: boolean
}> {}

export interface WebhookRequest {
  readonly url: string
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
}

/** Sends one HTTP request; any non-2xx answer is a WebhookFailed. */
export interface WebhookSenderService {
  readonly send: (request: WebhookRequest) => Effect.Effect<void, WebhookFailed>
}

export class WebhookSender
  extends Context.Tag("@mirage/runtime/WebhookSender")<WebhookSender, WebhookSenderService>()
{}

/** The network policy webhook URLs are checked against when a scan is created or updated. */
export class WebhookPolicy extends Context.Reference<WebhookPolicy>()("@mirage/runtime/WebhookPolicy", {
  defaultValue: (): NetworkPolicy => defaultPolicy
}) {}

/** Why the policy refuses a webhook URL whose host is an address literal; a name is checked at delivery. */
export const webhookUrlProblem = (policy: NetworkPolicy, url: string): string | undefined => {
  if (!URL.canParse(url)) return "a webhook url is an http(s) URL"
  return Option.getOrUndefined(
    Option.map(literalRefusal(policy, new URL(url).hostname), (reason) => `out of scope: ${reason}`)
  )
}

export const signatureHeader = "x-mirage-signature"
export const timestampHeader = "x-mirage-timestamp"

/** `sha256=<hex>` of the HMAC-SHA256 of the raw body under the secret. */
export const sign = (secret: string, body: string): string =>
  `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`

export interface WebhookSettings {
  /** First retry delay. */
  readonly baseMs: number
  /** Longest delay between two attempts. */
  readonly maxDelayMs: number
  /** Retries after the first attempt. */
  readonly retries: number
  /** Deliveries in flight per node. */
  readonly concurrency: number
  /** Deliveries waiting per node; beyond, the oldest are dropped (and logged). */
  readonly capacity: number
}

export const WebhookConfig: Config.Config<WebhookSettings> = Config.all({
  baseMs: Config.map(Settings.webhookRetryBase, Duration.toMillis),
  maxDelayMs: Config.map(Settings.webhookRetryMax, Duration.toMillis),
  retries: Settings.webhookRetries,
  concurrency: Settings.webhookConcurrency,
  capacity: Settings.webhookQueue
})

/** Exponential from `baseMs`, each delay at most `maxDelayMs`, at most `retries` retries, only for retryable failures. */
export const retrySchedule = (settings: Pick<WebhookSettings, "baseMs" | "maxDelayMs" | "retries">) =>
  Schedule.exponential(Duration.millis(settings.baseMs)).pipe(
    Schedule.union(Schedule.spaced(Duration.millis(settings.maxDelayMs))),
    Schedule.intersect(Schedule.recurs(settings.retries)),
    Schedule.whileInput((error: WebhookFailed) => !error.permanent)
  )

/** One delivery: signs the body (the same bytes on every attempt) and sends it until it succeeds or the schedule ends. */
export const deliver = (
  sender: WebhookSenderService,
  webhook: Webhook,
  body: string,
  settings: Pick<WebhookSettings, "baseMs" | "maxDelayMs" | "retries">,
  timestamp: number
) =>
  sender.send({
    url: webhook.url,
    body,
    headers: {
      "content-type": "application/json",
      [signatureHeader]: sign(webhook.secret, body),
      [timestampHeader]: String(Math.floor(timestamp / 1000))
    }
  }).pipe(Effect.retry(retrySchedule(settings)))

export interface Delivery {
  readonly scan_id: ScanId
  readonly body: string
  readonly at: number
}

/** The per-node delivery queue: `enqueue` never waits; fibers of the scope deliver. */
export const makeDispatcher = (settings: WebhookSettings) =>
  Effect.gen(function*() {
    const store = yield* WebhookStore
    const sender = yield* WebhookSender
    const queue = yield* Queue.sliding<Delivery>(settings.capacity)
    const work = Effect.gen(function*() {
      const delivery = yield* Queue.take(queue)
      const webhook = yield* store.get(delivery.scan_id).pipe(Effect.orElseSucceed(() => Option.none()))
      if (Option.isNone(webhook)) return
      yield* deliver(sender, webhook.value, delivery.body, settings, delivery.at).pipe(
        Effect.catchAll((error) =>
          Effect.logWarning("webhook delivery abandoned", error).pipe(
            Effect.annotateLogs({ scan_id: delivery.scan_id, status: error.status ?? "none" })
          )
        )
      )
    })
    for (let i = 0; i < settings.concurrency; i++) yield* Effect.forkScoped(Effect.forever(work))
    return {
      enqueue: (delivery: Delivery): Effect.Effect<void> => Effect.asVoid(Queue.offer(queue, delivery)),
      size: Queue.size(queue)
    }
  })

/**
 * The node's observer of stored updates: a ScanUpdated that carries a webhook change applies it, so the webhook
 * changes exactly when (and only if) the scan's actor stored the update, however long the update took to arrive. This
 * is the fast path: a change it could not apply (Postgres away) stays staged, and the node's sweep applies it later.
 */
export const changeObserver = Effect.map(WebhookStore, (store): ScanObserverService => ({
  persisted: ({ after, events }) =>
    Effect.forEach(events, (event) =>
      event._tag === "ScanUpdated" && event.webhook_change !== undefined
        ? store.apply(after.id, event.webhook_change).pipe(
          Effect.retry(Schedule.recurs(2)),
          Effect.catchAll((error) =>
            Effect.logWarning("webhook change not applied now (the sweep will)", error).pipe(
              Effect.annotateLogs({ scan_id: after.id })
            )
          )
        )
        : Effect.void, { discard: true })
}))
