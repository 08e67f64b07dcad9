/**
 * The alert delivery worker every node runs over the outbox: it claims due deliveries under a lease, makes each
 * attempt (counted in the outbox first) on an exponential, bounded schedule, and settles each delivery as sent, or
 * as failed with its reason once the attempts are spent or a refusal cannot change. Delivery is at least once, with
 * the same idempotency key on every attempt, so a receiver that de-duplicates sees each alert once per channel.
 */
import type { AlertChannel } from "@mirage/domain/AlertChannels"
import { Clock, Data, Duration, Effect, FiberSet, Option, Queue, Random, Ref, Schedule } from "effect"
import type { Scope } from "effect"
import type { PersistenceError } from "../../platform/Errors.js"
import { AlertOutbox } from "./AlertOutbox.js"
import type { Claimed } from "./AlertOutbox.js"
import { AlertStore } from "./AlertStore.js"
import { ChannelSender } from "./Channels.js"
import type { ChannelFailed } from "./Channels.js"
import type { SealBroken } from "./ChannelSecrets.js"
import type { DeliverySettings } from "./Settings.js"

/** Another worker holds the delivery now: this one stops touching it. */
class LeaseLost extends Data.TaggedError("LeaseLost")<{ readonly owner: string }> {}

/** The channel was deleted after the alert was raised. */
class ChannelGone extends Data.TaggedError("ChannelGone")<{ readonly channel_id: string }> {}

type AttemptError = ChannelFailed | LeaseLost | ChannelGone | SealBroken | PersistenceError

/**
 * How long a claim holds a delivery: an attempt (SMTP's 15 s timeout, HTTP's 10 s) and the longest wait before the
 * next, with room to spare. Each attempt renews it.
 */
export const leaseMs = (settings: Pick<DeliverySettings, "maxDelayMs">): number => settings.maxDelayMs + 120_000

/** Exponential from `baseMs`, each wait at most `maxDelayMs`, `retries` retries, only after a retryable failure. */
export const retrySchedule = (settings: Pick<DeliverySettings, "baseMs" | "maxDelayMs">, retries: number) =>
  Schedule.exponential(Duration.millis(settings.baseMs)).pipe(
    Schedule.union(Schedule.spaced(Duration.millis(settings.maxDelayMs))),
    Schedule.intersect(Schedule.recurs(Math.max(0, retries))),
    Schedule.whileInput((error: AttemptError) => error._tag === "ChannelFailed" && !error.permanent)
  )

const reasonOf = (error: ChannelFailed | ChannelGone | SealBroken) =>
  error._tag === "ChannelGone"
    ? "the channel was deleted"
    : error._tag === "SealBroken"
    ? `the channel's secrets cannot be opened: ${error.reason}`
    : error.reason

/** Makes one claimed delivery: its remaining attempts, then settles it (unless the lease was lost meanwhile). */
export const deliverOne = (settings: DeliverySettings, owner: string) => (claimed: Claimed) =>
  Effect.gen(function*() {
    const outbox = yield* AlertOutbox
    const store = yield* AlertStore
    const sender = yield* ChannelSender
    const lease = leaseMs(settings)
    const remaining = settings.attempts - claimed.attempts
    const settle = (settlement: { readonly status: "sent" } | { readonly status: "failed"; readonly reason: string }) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => outbox.settle(claimed, owner, now, settlement))
    if (remaining <= 0) {
      return yield* settle({ status: "failed", reason: `gave up after ${claimed.attempts} attempts` })
    }
    const once: Effect.Effect<void, AttemptError> = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      if (Option.isNone(yield* outbox.attempt(claimed, owner, now, lease))) return yield* new LeaseLost({ owner })
      // Read at each attempt: a channel changed meanwhile is sent to as it is now.
      const channel: Option.Option<AlertChannel> = yield* store.openChannel(
        claimed.alert.organization_id,
        claimed.channel_id
      )
      if (Option.isNone(channel)) return yield* new ChannelGone({ channel_id: claimed.channel_id })
      yield* sender.send(channel.value, claimed.alert).pipe(
        Effect.tapError((error) => error.permanent ? Effect.void : outbox.note(claimed, owner, error.reason))
      )
    })
    const outcome = yield* Effect.either(Effect.retry(once, retrySchedule(settings, remaining - 1)))
    if (outcome._tag === "Right") return yield* settle({ status: "sent" })
    const error = outcome.left
    if (error._tag === "LeaseLost") return
    // The store failed: the delivery stays pending, and is taken again when its lease ends.
    if (error._tag === "PersistenceError") return yield* error
    yield* Effect.logWarning("alert delivery given up").pipe(
      Effect.annotateLogs({
        alert_id: claimed.alert_id,
        channel_id: claimed.channel_id,
        ...(error._tag === "ChannelFailed" ? { kind: error.kind, status: error.status ?? "none" } : {}),
        reason: reasonOf(error)
      })
    )
    return yield* settle({ status: "failed", reason: reasonOf(error) })
  }).pipe(
    // A stopping worker gives its deliveries back at once; one that dies lets the lease run out.
    Effect.onInterrupt(() => Effect.ignore(Effect.flatMap(AlertOutbox, (outbox) => outbox.release(claimed, owner)))),
    Effect.catchAll((error) =>
      Effect.logWarning("alert delivery interrupted by the store", error).pipe(
        Effect.annotateLogs({ alert_id: claimed.alert_id, channel_id: claimed.channel_id })
      )
    )
  )

/** Claims what is due now (up to `limit`) and makes those deliveries, all of them, before returning how many. */
export const drainOnce = (settings: DeliverySettings, owner: string, limit = 1000) =>
  Effect.gen(function*() {
    const outbox = yield* AlertOutbox
    const claimed = yield* outbox.claim(owner, yield* Clock.currentTimeMillis, leaseMs(settings), limit)
    yield* Effect.forEach(claimed, deliverOne(settings, owner), { concurrency: settings.concurrency, discard: true })
    return claimed.length
  })

export interface DeliveryWorker {
  /** Looks for deliveries now rather than at the next poll (after alerts were raised). */
  readonly wake: Effect.Effect<void>
  /** This worker's lease owner id. */
  readonly owner: string
}

/**
 * Starts the worker in the scope: up to `concurrency` deliveries at once, each in its own fiber; it looks for
 * more after each poll interval, when woken, and when a delivery ends. Closing the scope stops it.
 */
export const start = (
  settings: DeliverySettings
): Effect.Effect<DeliveryWorker, never, Scope.Scope | AlertOutbox | AlertStore | ChannelSender> =>
  Effect.gen(function*() {
    const outbox = yield* AlertOutbox
    const owner = `delivery-${(yield* Random.nextInt).toString(36)}-${(yield* Random.nextInt).toString(36)}`
    const wakeups = yield* Queue.sliding<void>(1)
    const running = yield* FiberSet.make()
    // Counted here rather than by the set's size: a delivery is done before its fiber leaves the set.
    const inFlight = yield* Ref.make(0)
    const deliver = deliverOne(settings, owner)
    const context = yield* Effect.context<AlertOutbox | AlertStore | ChannelSender>()
    const done = Effect.zipRight(Ref.update(inFlight, (n) => n - 1), Queue.offer(wakeups, undefined))
    const claimMore = Effect.gen(function*() {
      const free = settings.concurrency - (yield* Ref.get(inFlight))
      const now = yield* Clock.currentTimeMillis
      const claimed = yield* outbox.claim(owner, now, leaseMs(settings), free)
      yield* Ref.update(inFlight, (n) => n + claimed.length)
      for (const each of claimed) {
        yield* FiberSet.run(running, deliver(each).pipe(Effect.ensuring(done), Effect.provide(context)))
      }
    }).pipe(Effect.catchAll((error) => Effect.logWarning("alert outbox claim failed", error)))
    const loop = Effect.forever(
      Effect.zipRight(
        claimMore,
        Effect.race(Queue.take(wakeups), Effect.sleep(Duration.millis(settings.pollMs)))
      )
    )
    yield* Effect.forkScoped(loop)
    return { wake: Effect.asVoid(Queue.offer(wakeups, undefined)), owner }
  })
