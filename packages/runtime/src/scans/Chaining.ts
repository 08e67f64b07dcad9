/**
 * Scan chaining: a scan that `depends_on` others starts by itself once they have all ended, with
 * the results of the given types as extra targets (`AddSeeds` before `StartScan`). A dependency
 * that failed or was cancelled fails the dependent (`on_failure: "fail"`) or is skipped
 * (`"continue"`). The edges are kept by `ScanDependencies`, which also rejects cycles.
 */
import { Entity } from "@mirage/domain/Entity"
import { deriveUuid } from "@mirage/domain/Ids"
import type { OrganizationId, ScanId } from "@mirage/domain/Ids"
import * as Quota from "@mirage/domain/Quota"
import { isTerminal } from "@mirage/domain/Scan"
import type { ScanStatus } from "@mirage/domain/Scan"
import { maxSeeds } from "@mirage/domain/ScanEvent"
import type { ScanCommand } from "@mirage/domain/ScanEvent"
import { hasEnded } from "@mirage/domain/ScanMachine"
import { Clock, Context, Effect, Option, Schedule } from "effect"
import { ShardInbox } from "../cluster/ShardInbox.js"
import type { PersistenceError } from "../platform/Errors.js"
import { ScanQuotas } from "./Quotas.js"
import { ResultStore } from "./ResultStore.js"
import type { Persisted, ScanObserverService } from "./ScanObserver.js"
import { ScanReadModel } from "./ScanReadModel.js"
import type { StagedReader } from "./StagedChange.js"

export interface Dependent {
  readonly scan_id: ScanId
  readonly organization_id: OrganizationId
}

/** What a sync of a scan's edges covered. */
export interface Synced {
  readonly organization_id: OrganizationId
  readonly changes: ReadonlyArray<string>
}

export interface ScanDependenciesService {
  /**
   * Keeps a change of the scan's edges under `changeId` (the command id of the update or creation that carries it)
   * until the edges reflect it: staged before the command is sent, so a failure after it is stored loses nothing.
   */
  readonly stage: (scanId: ScanId, changeId: string) => Effect.Effect<void, PersistenceError>
  /**
   * Makes the scan's edges those of its stored definition (as the read model shows it), and gives its organization and
   * its staged changes whose command is stored (the edges now reflect them); none when the scan is unknown. Any
   * number of runs, in any order, leave the edges of the latest stored update.
   */
  readonly sync: (scanId: ScanId) => Effect.Effect<Option.Option<Synced>, PersistenceError>
  /** Forgets a staged change whose command was refused or is taken as never to be stored. */
  readonly discard: (changeId: string) => Effect.Effect<void, PersistenceError>
  readonly staged: StagedReader
  /** The scans that depend on `scanId`. */
  readonly dependents: (scanId: ScanId) => Effect.Effect<ReadonlyArray<Dependent>, PersistenceError>
  /** Whether `target` is reachable from any of `from` along depends-on edges (a new edge to `from` would close a cycle). */
  readonly reaches: (from: ReadonlyArray<ScanId>, target: ScanId) => Effect.Effect<boolean, PersistenceError>
}

export class ScanDependencies extends Context.Tag("@mirage/runtime/ScanDependencies")<
  ScanDependencies,
  ScanDependenciesService
>() {}

/** Sends a command to a scan without waiting for an answer; the id makes a repeated send a no-op. */
export const sendCommand = (target: ScanId, commandId: string, command: ScanCommand) =>
  Effect.gen(function*() {
    const inbox = yield* ShardInbox
    yield* inbox.send({
      target,
      command_id: commandId,
      command,
      reply_to: null,
      traceparent: null,
      sent_at: yield* Clock.currentTimeMillis
    })
  })

/** Sends the starts of scans, without waiting for answers. */
const sendStarts = (starts: ReadonlyArray<Quota.Start>) =>
  Effect.forEach(starts, (start) => sendCommand(start.target, start.command_id, start.command), { discard: true })

/** Starts the scans the quota has just admitted from its queue (released, reconciled, or found due by an admission). */
export const startDue = (due: ReadonlyArray<ScanId>) => sendStarts(Quota.dueStarts(due))

/** Admits the scan under its organization's quota and starts it when admitted, with any queued scans now due. */
export const startWithinQuota = (organizationId: OrganizationId, scanId: ScanId, reason: string) =>
  Effect.gen(function*() {
    const quotas = yield* ScanQuotas
    const { admission, alsoStart } = yield* quotas.admit(organizationId, scanId)
    if (admission._tag === "Admitted") yield* sendStarts([Quota.startOf(scanId, reason)])
    yield* startDue(alsoStart)
    return admission
  })

const failed = (status: ScanStatus | "DELETED") => status !== "COMPLETED"

/**
 * Looks at a dependent scan and, if all its dependencies have ended, fails or starts it. Safe to
 * run any number of times: its commands have derived ids, and a scan no longer CREATED is left alone.
 */
export const trigger = (organizationId: OrganizationId, dependentId: ScanId) =>
  Effect.gen(function*() {
    const readModel = yield* ScanReadModel
    const results = yield* ResultStore
    const view = yield* readModel.get(organizationId, dependentId)
    if (Option.isNone(view) || view.value.scan.status !== "CREATED") return
    const dependsOn = view.value.scan.depends_on
    if (dependsOn === null) return
    const statuses = yield* Effect.forEach(dependsOn.scan_ids, (id) =>
      Effect.map(
        readModel.get(organizationId, id),
        Option.match({
          onNone: () => ({ id, status: "DELETED" as const }),
          onSome: (v) => ({ id, status: v.scan.status })
        })
      ))
    if (statuses.some(({ status }) => status !== "DELETED" && !isTerminal(status))) return
    const bad = statuses.filter(({ status }) => failed(status))
    if (bad.length > 0 && dependsOn.on_failure === "fail") {
      const reason = `dependency ${bad.map(({ id, status }) => `${id} is ${status}`).join(", ")}`
      yield* sendCommand(dependentId, deriveUuid("chain", dependentId, "fail"), { _tag: "FailScan", reason })
      return
    }
    const seeds: Array<Entity> = []
    for (const { id } of statuses.filter(({ status }) => !failed(status))) {
      for (const type of dependsOn.result_types) {
        let cursor: string | undefined
        do {
          if (seeds.length >= maxSeeds) break
          const page = yield* results.list({
            owner: id,
            data_type: type,
            limit: 200,
            ...(cursor === undefined ? {} : { cursor })
          })
          for (const result of page.items) seeds.push(Entity.make({ type: result.data_type, value: result.data }))
          cursor = page.next_cursor ?? undefined
        } while (cursor !== undefined)
      }
    }
    if (seeds.length > 0) {
      yield* sendCommand(dependentId, deriveUuid("chain", dependentId, "seeds"), {
        _tag: "AddSeeds",
        entities: seeds.slice(0, maxSeeds)
      })
    }
    yield* startWithinQuota(organizationId, dependentId, "chain")
  }).pipe(Effect.withSpan("Chaining.trigger", { attributes: { scan_id: dependentId } }))

/**
 * Writes the scan's edges from its stored definition, looks at the scan in case its dependencies have all ended, and
 * only then forgets the staged changes this covered: a failure on the way leaves them to the node's sweep.
 */
export const writeEdges = (scanId: ScanId) =>
  Effect.gen(function*() {
    const dependencies = yield* ScanDependencies
    const synced = yield* dependencies.sync(scanId)
    if (Option.isNone(synced)) return
    yield* trigger(synced.value.organization_id, scanId)
    yield* Effect.forEach(synced.value.changes, dependencies.discard, { discard: true })
  })

/** Whether a stored update of the batch changed the scan's dependencies. */
const changedDependencies = (events: Persisted["events"]): boolean =>
  events.some((event) => event._tag === "ScanUpdated" && event.depends_on !== undefined)

/**
 * The node's observer. An update that changed a scan's dependencies writes its edges once the actor stored it
 * (whether its sender saw 200 or 202), then looks at the scan in case they have all ended already; when a scan
 * ends or is deleted, its dependents are looked at. Writing the edges here is the fast path: when it fails, the
 * change stays staged and the node's sweep writes them later.
 */
export const observer = Effect.gen(function*() {
  const context = yield* Effect.context<ScanDependencies | ScanReadModel | ResultStore | ShardInbox | ScanQuotas>()
  const dependencies = yield* ScanDependencies
  return {
    persisted: ({ after, before, events }) => {
      const work = Effect.all([
        changedDependencies(events) ? Effect.retry(writeEdges(after.id), Schedule.recurs(2)) : Effect.void,
        !hasEnded(before, after) ? Effect.void : dependencies.dependents(after.id).pipe(
          Effect.flatMap((dependents) =>
            Effect.forEach(dependents, (d) => trigger(d.organization_id, d.scan_id), { discard: true })
          )
        )
      ], { discard: true })
      return work.pipe(
        Effect.provide(context),
        Effect.catchAll((error) => Effect.logWarning("chaining failed", error))
      )
    }
  } satisfies ScanObserverService
})
