/**
 * The concurrent-task quota of an organization, shared by every node: a task takes a slot before
 * it runs and gives it back after. Slots are leases: a node that dies stops renewing them and
 * they free themselves after `leaseMs`. Waiting for a slot polls on the Clock (TestClock-friendly).
 */
import type { OrganizationId } from "@mirage/domain/Ids"
import { Config, Context, Duration } from "effect"
import type { Effect } from "effect"
import type { PersistenceError } from "../platform/Errors.js"
import * as Settings from "./Settings.js"

export const TaskSlotsConfig = Config.all({
  leaseMs: Config.map(Settings.taskSlotLease, Duration.toMillis),
  pollMs: Config.map(Settings.taskSlotPoll, Duration.toMillis)
})

export interface TaskSlotsService {
  /** Takes a slot if fewer than `max` are held; true when taken (taking a held one again renews it). */
  readonly tryAcquire: (
    organizationId: OrganizationId,
    holder: string,
    max: number
  ) => Effect.Effect<boolean, PersistenceError>
  readonly renew: (organizationId: OrganizationId, holder: string) => Effect.Effect<void, PersistenceError>
  readonly release: (organizationId: OrganizationId, holder: string) => Effect.Effect<void, PersistenceError>
  /** Slots held now (expired leases excluded). */
  readonly held: (organizationId: OrganizationId) => Effect.Effect<number, PersistenceError>
  /** Runs `task` holding a slot of the organization: waits for one, renews it meanwhile, gives it back after. */
  readonly withSlot: <A, E, R>(
    organizationId: OrganizationId,
    holder: string,
    task: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E, R>
}

export class TaskSlots extends Context.Tag("@mirage/runtime/TaskSlots")<TaskSlots, TaskSlotsService>() {}
