/** Cluster membership: nodes heartbeat with a time to live; the live ones are the members. */
import { Context } from "effect"
import type { Effect } from "effect"
import type { PersistenceError } from "../platform/Errors.js"

export interface MembershipService {
  readonly heartbeat: (node: string, ttlMs: number) => Effect.Effect<void, PersistenceError>
  /** Live members, sorted. */
  readonly members: Effect.Effect<ReadonlyArray<string>, PersistenceError>
  /** Leaves the cluster and tells the others at once (they rebalance without waiting for expiry). */
  readonly leave: (node: string) => Effect.Effect<void, PersistenceError>
  /** Tells the members that ownership moved (e.g. leases were released), so they rebalance now. */
  readonly announce: Effect.Effect<void, PersistenceError>
  /** Completes at the next announcement after it is called (or a leave): a round should run now. */
  readonly changed: Effect.Effect<void>
}

export class Membership extends Context.Tag("@mirage/runtime/Membership")<Membership, MembershipService>() {}
