/**
 * How a schedule's run becomes scans: one per target, each under the id its due time gives it, created and started
 * as the schedule's owner; a repeat launch finds them created. `layerScans` goes through the scan service.
 */
import { Principal } from "@mirage/domain/api/Authentication"
import { ApiKeyId, canWrite } from "@mirage/domain/api/Authentication"
import type { ScanId } from "@mirage/domain/Ids"
import { OrganizationId, UserId } from "@mirage/domain/Ids"
import { CreateScanRequest, isTerminal } from "@mirage/domain/Scan"
import { Context, Effect, Layer } from "effect"
import type { PersistenceError } from "../../platform/Errors.js"
import { ScanService } from "../../scans/ScanService.js"
import type { StoredSchedule } from "./ScheduleStore.js"

export interface ScheduleLauncherService {
  /** Creates and starts the run's scans (`scanIds[i]` for target i); idempotent. */
  readonly launch: (
    stored: StoredSchedule,
    dueAt: number,
    scanIds: ReadonlyArray<ScanId>
  ) => Effect.Effect<void, PersistenceError>
  /** Whether any of the scans is still going (not ended): the overlap policy's question. */
  readonly running: (stored: StoredSchedule, scanIds: ReadonlyArray<ScanId>) => Effect.Effect<boolean, PersistenceError>
}

export class ScheduleLauncher extends Context.Tag("@mirage/runtime/ScheduleLauncher")<
  ScheduleLauncher,
  ScheduleLauncherService
>() {}

export const principalOf = (stored: StoredSchedule): Principal =>
  Principal.make({
    user_id: UserId.make(stored.owner.user_id),
    organization_id: OrganizationId.make(stored.schedule.organization_id),
    role: stored.owner.role,
    key_id: ApiKeyId.make(stored.owner.key_id)
  })

/** The creation request of the run's scan for one target. */
export const runRequest = (stored: StoredSchedule, dueAt: number, index: number): CreateScanRequest => {
  const { name, scan } = stored.schedule
  const target = scan.targets[index]!
  return CreateScanRequest.make({
    name: `${name} · ${new Date(dueAt).toISOString()}`.slice(0, 200),
    description: stored.schedule.description,
    target,
    ...(scan.modules === undefined ? {} : { modules: scan.modules }),
    ...(scan.template_id === undefined ? {} : { template_id: scan.template_id }),
    configuration: { ...scan.configuration, ...(scan.new_entities_only ? { new_entities_only: true } : {}) }
  })
}

export const makeScans = Effect.gen(function*() {
  const scans = yield* ScanService
  return ScheduleLauncher.of({
    launch: (stored, dueAt, scanIds) => {
      const principal = principalOf(stored)
      if (!canWrite(principal.role)) return Effect.logWarning("schedule owner may not create scans")
      return Effect.forEach(
        scanIds,
        (id, index) =>
          scans.createAs(principal, runRequest(stored, dueAt, index), id).pipe(
            Effect.zipRight(scans.command(principal, id, { _tag: "StartScan" })),
            // A run its checks now refuse (a template deleted since) or a scan started already: nothing more to do.
            Effect.catchTags({
              BadRequest: (error) =>
                Effect.logWarning("a schedule's run was refused", error.detail).pipe(
                  Effect.annotateLogs({ schedule_id: stored.schedule.id, scan_id: id })
                ),
              NotFound: () => Effect.void,
              Conflict: () => Effect.void,
              PreconditionFailed: () => Effect.void
            })
          ),
        { discard: true }
      )
    },
    running: (stored, scanIds) =>
      Effect.map(
        Effect.forEach(scanIds, (id) =>
          scans.get(principalOf(stored), id).pipe(
            Effect.map((scan) => !isTerminal(scan.status)),
            Effect.catchTag("NotFound", () => Effect.succeed(false))
          )),
        (list) => list.some((running) => running)
      )
  })
})

export const layerScans = Layer.effect(ScheduleLauncher, makeScans)
