/**
 * The schedules and what each of their due times became. Records are fenced: one is written only under the current
 * epoch of the schedule's shard, and at most one per (schedule, due time).
 */
import type { Role } from "@mirage/domain/api/Authentication"
import type { OrganizationId, ScanId } from "@mirage/domain/Ids"
import type { RunOutcome, Schedule, ScheduleId } from "@mirage/domain/Schedule"
import { Context } from "effect"
import type { Effect, Option } from "effect"
import type { PersistenceError, StaleEpoch } from "../../platform/Errors.js"
import type { Fence } from "../../scans/EventStore.js"

/** Who fires a schedule: its creator, as the principal its runs are created by. */
export interface Owner {
  readonly user_id: string
  readonly role: Role
  readonly key_id: string
}

/** A schedule as stored: the wire shape (without `next_due_at`, computed when read), its shard and owner. */
export interface StoredSchedule {
  readonly schedule: Schedule
  readonly shard: number
  readonly owner: Owner
  readonly deleted: boolean
  /** Grows with every change of any schedule: the change feed's cursor. */
  readonly seq: number
}

export interface RunRecord {
  readonly schedule_id: ScheduleId
  readonly due_at: number
  readonly outcome: RunOutcome
  readonly scan_ids: ReadonlyArray<ScanId>
  readonly launched: boolean
  readonly recorded_at: number
}

export interface ScheduleStoreService {
  readonly insert: (stored: Omit<StoredSchedule, "seq" | "deleted">) => Effect.Effect<void, PersistenceError>
  /** Replaces the schedule if it is still at `expectedVersion`; false if it changed or is gone. */
  readonly replace: (
    schedule: Schedule,
    expectedVersion: number
  ) => Effect.Effect<boolean, PersistenceError>
  /** Marks it deleted (its runs stay); false if there was none. */
  readonly remove: (organizationId: OrganizationId, id: ScheduleId) => Effect.Effect<boolean, PersistenceError>
  readonly get: (
    organizationId: OrganizationId,
    id: ScheduleId
  ) => Effect.Effect<Option.Option<StoredSchedule>, PersistenceError>
  /** The organization's schedules by creation, after the cursor (a schedule id). */
  readonly list: (
    organizationId: OrganizationId,
    after: ScheduleId | null,
    limit: number
  ) => Effect.Effect<ReadonlyArray<StoredSchedule>, PersistenceError>
  /** Every live schedule of the shards: what their new owner starts. */
  readonly ofShards: (shards: ReadonlyArray<number>) => Effect.Effect<ReadonlyArray<StoredSchedule>, PersistenceError>
  /** Schedules (deleted ones too) of the shards changed after `seq`. */
  readonly changes: (
    shards: ReadonlyArray<number>,
    afterSeq: number
  ) => Effect.Effect<ReadonlyArray<StoredSchedule>, PersistenceError>
  /**
   * Records what a due time became, under `fence`; `existing` is the record already there (from an earlier tenure)
   * when there is one, in which case nothing is written.
   */
  readonly record: (
    fence: Fence,
    run: Omit<RunRecord, "launched">
  ) => Effect.Effect<{ readonly existing: RunRecord | null }, PersistenceError | StaleEpoch>
  /** Marks a record's scans created and started, turning a queued record into a started one; fenced. */
  readonly launched: (
    fence: Fence,
    id: ScheduleId,
    dueAt: number
  ) => Effect.Effect<void, PersistenceError | StaleEpoch>
  /** The latest record of the schedule, and its records still to launch (started or queued, not launched). */
  readonly progress: (id: ScheduleId) => Effect.Effect<{
    readonly last: RunRecord | null
    readonly lastStarted: RunRecord | null
    readonly unlaunched: ReadonlyArray<RunRecord>
  }, PersistenceError>
  /** The schedule's records, newest due time first, before `beforeDue`. */
  readonly runs: (
    id: ScheduleId,
    beforeDue: number | null,
    limit: number
  ) => Effect.Effect<ReadonlyArray<RunRecord>, PersistenceError>
}

export class ScheduleStore extends Context.Tag("@mirage/runtime/ScheduleStore")<
  ScheduleStore,
  ScheduleStoreService
>() {}
