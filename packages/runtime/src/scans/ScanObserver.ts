/**
 * What happens around a scan once its events are stored: notifications, chaining, live
 * progress. The actor calls every observer after each persisted batch; an observer's failure
 * is logged and never undoes or blocks the scan.
 */
import type { ScanEvent } from "@mirage/domain/ScanEvent"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { Context, Effect, Layer } from "effect"

export interface Persisted {
  readonly before: ScanState
  readonly after: ScanState
  readonly events: ReadonlyArray<ScanEvent>
}

export interface ScanObserverService {
  readonly persisted: (change: Persisted) => Effect.Effect<void>
}

export class ScanObserver extends Context.Tag("@mirage/runtime/ScanObserver")<ScanObserver, ScanObserverService>() {}

/** Observers called in order; each one's failures and defects are contained. */
export const combine = (...observers: ReadonlyArray<ScanObserverService>): ScanObserverService => ({
  persisted: (change) =>
    Effect.forEach(observers, (observer) =>
      observer.persisted(change).pipe(
        Effect.catchAllCause((cause) => Effect.logWarning("scan observer failed", cause))
      ), { discard: true })
})

export const layerNone = Layer.succeed(ScanObserver, combine())
