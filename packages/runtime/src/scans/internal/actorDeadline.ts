/**
 * A scan actor's max_duration alarm: a Tick in its mailbox when its running scan's deadline comes. On the host's shared
 * timer when there is one; otherwise the actor sleeps in a fiber of its own.
 */
import { deadline } from "@mirage/domain/ScanMachine"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { Effect, Fiber, Option, Queue } from "effect"
import type { Scope } from "effect"
import { DeadlineTimers } from "../DeadlineTimers.js"

export interface ActorDeadline {
  /** Sets the alarm for the state's deadline (none unless it is running); unchanged if it is already set for it. */
  readonly arm: (state: ScanState, now: number) => Effect.Effect<void, never, Scope.Scope>
  /** Cancels the alarm that is set, if any. */
  readonly cancel: Effect.Effect<void>
  /** Takes the actor off the shared timer (which lives in the host's scope, not the actor's). */
  readonly release: () => void
}

export const makeActorDeadline = (mailbox: Queue.Enqueue<{ readonly _tag: "Tick" }>): Effect.Effect<ActorDeadline> =>
  Effect.gen(function*() {
    const timers = yield* Effect.serviceOption(DeadlineTimers)
    const timerKey = {}
    const tick = () => void mailbox.unsafeOffer({ _tag: "Tick" })
    let timer: { readonly at: number; readonly cancel: Effect.Effect<void> } | undefined

    const arm = (state: ScanState, now: number) =>
      Effect.gen(function*() {
        const at = state.status === "RUNNING" ? deadline(state) : null
        if (timer !== undefined && timer.at === at) return
        if (timer !== undefined) yield* timer.cancel
        timer = undefined
        if (at === null) return
        if (Option.isSome(timers)) {
          const shared = timers.value
          shared.set(timerKey, at, tick)
          timer = { at, cancel: Effect.sync(() => shared.clear(timerKey)) }
          return
        }
        const fiber = yield* Effect.forkScoped(
          Effect.sleep(Math.max(0, at - now)).pipe(
            Effect.zipRight(Queue.offer(mailbox, { _tag: "Tick" })),
            Effect.asVoid
          )
        )
        timer = { at, cancel: Fiber.interrupt(fiber) }
      })

    return {
      arm,
      cancel: Effect.suspend(() => (timer === undefined ? Effect.void : timer.cancel)),
      release: () => {
        if (Option.isSome(timers)) timers.value.clear(timerKey)
      }
    }
  })
