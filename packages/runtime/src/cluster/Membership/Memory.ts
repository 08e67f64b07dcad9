/** In-memory membership on Effect's Clock, shared by the nodes of one simulation. */
import { Clock, Deferred, Effect, Exit, FiberId, Layer } from "effect"
import { PersistenceError } from "../../platform/Errors.js"
import { Membership } from "../Membership.js"

export interface MembershipHub {
  readonly expiries: Map<string, number>
  /** Nodes waiting for the next announcement. */
  waiters: Array<Deferred.Deferred<void>>
  /** While true every call fails, as when the store is unreachable. */
  outage: boolean
}

export const makeHub = (): MembershipHub => ({ expiries: new Map(), waiters: [], outage: false })

const wake = (hub: MembershipHub) =>
  Effect.sync(() => {
    const woken = hub.waiters
    hub.waiters = []
    for (const waiter of woken) Deferred.unsafeDone(waiter, Exit.void)
  })

const guard = (hub: MembershipHub, operation: string): Effect.Effect<void, PersistenceError> =>
  hub.outage ? Effect.fail(new PersistenceError({ operation, cause: "membership store unavailable" })) : Effect.void

export const layer = (hub: MembershipHub) =>
  Layer.succeed(
    Membership,
    Membership.of({
      heartbeat: (node, ttlMs) =>
        guard(hub, "heartbeat").pipe(
          Effect.zipRight(Clock.currentTimeMillis),
          Effect.map((now) => void hub.expiries.set(node, now + ttlMs))
        ),
      members: guard(hub, "members").pipe(
        Effect.zipRight(Clock.currentTimeMillis),
        Effect.map((now) => Array.from(hub.expiries).filter(([, at]) => at > now).map(([node]) => node).sort())
      ),
      leave: (node) =>
        guard(hub, "leave").pipe(Effect.map(() => void hub.expiries.delete(node)), Effect.zipRight(wake(hub))),
      announce: guard(hub, "announce").pipe(Effect.zipRight(wake(hub))),
      changed: Effect.suspend(() => {
        const waiter = Deferred.unsafeMake<void>(FiberId.none)
        hub.waiters.push(waiter)
        return Deferred.await(waiter)
      })
    })
  )
