/**
 * The concurrent-task quota of an organization, shared by every node: a task takes a slot before
 * it runs and gives it back after. Slots are leases: a node that dies stops renewing them and
 * they free themselves after `leaseMs`. Waiting for a slot polls on the Clock (TestClock-friendly).
 */
import type { OrganizationId } from "@mirage/domain/Ids"
import { Config, Context } from "effect"
import type { Effect } from "effect"
import type { PersistenceError } from "../platform/Errors.js"

export const TaskSlotsConfig = Config.all({
  leaseMs: Config.integer("MIRAGE_TASK_SLOT_LEASE_MS").pipe(
    Config.withDefault(30_000),
    Config.withDescription("how long a task slot outlives a node that stopped renewing it")
  ),
  pollMs: Config.integer("MIRAGE_TASK_SLOT_POLL_MS").pipe(
    Config.withDefault(200),
    Config.withDescription("how often a task waiting for its organization's slot tries again")
  )
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
