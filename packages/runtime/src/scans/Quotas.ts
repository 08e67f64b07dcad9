/**
 * Per-organization quotas: how many scans run at once and how many tasks run at once. A start
 * beyond the running-scans quota is not refused: the scan waits in its organization's FIFO queue
 * (its position is visible) and starts when a running scan of the organization ends.
 */
import type { OrganizationId, ScanId } from "@mirage/domain/Ids"
import { Config, Context, Data } from "effect"
import type { Effect } from "effect"
import type { PersistenceError } from "../platform/Errors.js"
import * as Settings from "./Settings.js"

export interface QuotaLimits {
  readonly max_running_scans: number
  readonly max_concurrent_tasks: number
}

export const QuotaConfig: Config.Config<QuotaLimits> = Config.all({
  max_running_scans: Settings.maxRunningScans,
  max_concurrent_tasks: Settings.maxConcurrentTasks
})

/** What asking to start a scan gives. */
export type Admission = Data.TaggedEnum<{
  /** The scan holds a slot: send it StartScan. */
  Admitted: Record<never, never>
  /** The scan waits for a slot; 1 is the next to start. */
  Queued: { readonly position: number }
}>
export const Admission = Data.taggedEnum<Admission>()

export interface ScanQuotasService {
  readonly limits: (organizationId: OrganizationId) => Effect.Effect<QuotaLimits, PersistenceError>
  /** The organization's own overrides, null where the default applies. */
  readonly overrides: (
    organizationId: OrganizationId
  ) => Effect.Effect<{ readonly [K in keyof QuotaLimits]: number | null }, PersistenceError>
  /** Sets (or with null clears) an organization's overrides. */
  readonly override: (
    organizationId: OrganizationId,
    limits: { readonly [K in keyof QuotaLimits]?: number | null }
  ) => Effect.Effect<void, PersistenceError>
  /**
   * Takes a slot for the scan or queues it (idempotent: asking again answers the same). Also gives
   * queued scans of the organization that a missed release left waiting although a slot is free:
   * the caller starts them too.
   */
  readonly admit: (
    organizationId: OrganizationId,
    scanId: ScanId
  ) => Effect.Effect<{ readonly admission: Admission; readonly alsoStart: ReadonlyArray<ScanId> }, PersistenceError>
  /** The scan's place in its organization's queue, none unless it is queued. */
  readonly position: (organizationId: OrganizationId, scanId: ScanId) => Effect.Effect<number | null, PersistenceError>
  /**
   * Reconciliation: admits queued scans wherever slots are free, and returns every admitted scan
   * still CREATED whose admission is older than `olderThanMs` — its start was lost (a node or
   * gateway died between admitting it and sending StartScan, or a release never ran).
   */
  readonly unstarted: (olderThanMs: number) => Effect.Effect<ReadonlyArray<ScanId>, PersistenceError>
  /** The scan ended (or was deleted): its slot or place goes, and the queued scans that now fit are returned, in order. */
  readonly release: (
    organizationId: OrganizationId,
    scanId: ScanId
  ) => Effect.Effect<ReadonlyArray<ScanId>, PersistenceError>
}

export class ScanQuotas extends Context.Tag("@mirage/runtime/ScanQuotas")<ScanQuotas, ScanQuotasService>() {}
