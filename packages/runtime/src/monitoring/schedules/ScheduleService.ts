/**
 * The schedule use cases behind the HTTP API: create, read, change and delete an organization's schedules, and list
 * what their due times became. A schedule's expression and zone are checked with croner, and its scan, for each
 * target, exactly as a scan creation would be (template visible to the organization, known modules, valid target).
 */
import type { Principal } from "@mirage/domain/api/Authentication"
import { BadRequest, NotFound, PreconditionFailed } from "@mirage/domain/api/Errors"
import type { InvalidField } from "@mirage/domain/api/Errors"
import { randomUuid } from "@mirage/domain/Ids"
import { Schedule, ScheduleId, SchedulePage, ScheduleRun, ScheduleRunPage } from "@mirage/domain/Schedule"
import type { CreateScheduleRequest, UpdateScheduleRequest } from "@mirage/domain/Schedule"
import { nextDue, parse } from "@mirage/domain/ScheduleCron"
import { Clock, Context, DateTime, Effect, Either, Layer, Option } from "effect"
import { ShardInbox } from "../../cluster/ShardInbox.js"
import { shardOf } from "../../cluster/Shards.js"
import type { PersistenceError } from "../../platform/Errors.js"
import { ScanService } from "../../scans/ScanService.js"
import type { ScanServiceShape } from "../../scans/ScanService.js"
import { runRequest } from "./ScheduleLauncher.js"
import { ScheduleStore } from "./ScheduleStore.js"
import type { StoredSchedule } from "./ScheduleStore.js"
import * as ScheduleStorePostgres from "./ScheduleStore/Postgres.js"

export interface ScheduleServiceShape {
  readonly create: (
    principal: Principal,
    request: CreateScheduleRequest
  ) => Effect.Effect<Schedule, BadRequest | PersistenceError>
  readonly get: (principal: Principal, id: ScheduleId) => Effect.Effect<Schedule, NotFound | PersistenceError>
  readonly list: (
    principal: Principal,
    params: { readonly limit: number; readonly cursor?: string | undefined }
  ) => Effect.Effect<SchedulePage, BadRequest | PersistenceError>
  readonly update: (
    principal: Principal,
    id: ScheduleId,
    request: UpdateScheduleRequest,
    expectedVersion?: number
  ) => Effect.Effect<Schedule, NotFound | BadRequest | PreconditionFailed | PersistenceError>
  readonly remove: (principal: Principal, id: ScheduleId) => Effect.Effect<void, NotFound | PersistenceError>
  readonly runs: (
    principal: Principal,
    id: ScheduleId,
    params: { readonly limit: number; readonly cursor?: string | undefined }
  ) => Effect.Effect<ScheduleRunPage, NotFound | BadRequest | PersistenceError>
}

export class ScheduleService extends Context.Tag("@mirage/runtime/ScheduleService")<
  ScheduleService,
  ScheduleServiceShape
>() {}

const notFound = (id: string) => new NotFound({ detail: `no schedule ${id}` })

/** The schedule as answered: with its next due time when enabled. */
export const view = (schedule: Schedule, now: number): Schedule => {
  const from = Math.max(now, DateTime.toEpochMillis(schedule.since) - 1)
  const next = schedule.enabled ? nextDue({ cron: schedule.cron, time_zone: schedule.time_zone }, from) : null
  return Schedule.make({ ...schedule, next_due_at: next === null ? null : DateTime.unsafeMake(next) })
}

/** Every problem of the schedule: its expression or zone, and what a scan of each target would refuse. */
const check = (scans: ScanServiceShape, principal: Principal, schedule: Schedule) =>
  Effect.gen(function*() {
    const problems: Array<InvalidField> = []
    const parsed = parse({ cron: schedule.cron, time_zone: schedule.time_zone })
    if (Either.isLeft(parsed)) problems.push(parsed.left)
    const stored: StoredSchedule = {
      schedule,
      shard: 0,
      owner: { user_id: principal.user_id, role: principal.role, key_id: principal.key_id },
      deleted: false,
      seq: 0
    }
    for (let index = 0; index < schedule.scan.targets.length; index++) {
      const refused = yield* scans.planNew(principal, runRequest(stored, 0, index)).pipe(
        Effect.as(Option.none<BadRequest>()),
        Effect.catchTag("BadRequest", (error) => Effect.succeed(Option.some(error)))
      )
      if (Option.isNone(refused)) continue
      for (const problem of refused.value.errors) {
        const field = problem.field.startsWith("target")
          ? problem.field.replace(/^target/, `scan.targets[${index}]`)
          : `scan.${problem.field}`
        if (!problems.some((p) => p.field === field && p.message === problem.message)) {
          problems.push({ field, message: problem.message })
        }
      }
    }
    if (problems.length > 0) return yield* BadRequest.ofFields(problems)
    return Either.getOrThrow(parsed)
  })

/** The schedule after an update: a new version; enabling it or changing its timing starts it afresh from now. */
const updated = (current: Schedule, request: UpdateScheduleRequest, now: number): Schedule => {
  const enabled = request.enabled ?? current.enabled
  const cron = request.cron ?? current.cron
  const timeZone = request.time_zone ?? current.time_zone
  const restarted = (enabled && !current.enabled) || cron !== current.cron || timeZone !== current.time_zone
  return Schedule.make({
    ...current,
    name: request.name ?? current.name,
    description: request.description ?? current.description,
    cron,
    time_zone: timeZone,
    overlap: request.overlap ?? current.overlap,
    catch_up: request.catch_up ?? current.catch_up,
    enabled,
    scan: request.scan ?? current.scan,
    since: restarted ? DateTime.unsafeMake(now) : current.since,
    updated_at: DateTime.unsafeMake(now),
    version: current.version + 1
  })
}

export const make = Effect.gen(function*() {
  const store = yield* ScheduleStore
  const scans = yield* ScanService
  const inbox = yield* ShardInbox

  const find = (principal: Principal, id: ScheduleId) =>
    Effect.flatMap(
      store.get(principal.organization_id, id),
      Option.match({ onNone: () => Effect.fail(notFound(id)), onSome: Effect.succeed })
    )

  const decodeCursor = (cursor: string | undefined) =>
    cursor === undefined ? Effect.succeed(null) : Either.match(
      ScheduleId.pipe((schema) => Either.try(() => schema.make(cursor))),
      { onLeft: () => Effect.fail(BadRequest.field("cursor", "not a cursor of this listing")), onRight: Effect.succeed }
    )

  return ScheduleService.of({
    create: (principal, request) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const at = DateTime.unsafeMake(now)
        const draft = Schedule.make({
          id: ScheduleId.make(yield* randomUuid),
          organization_id: principal.organization_id,
          user_id: principal.user_id,
          name: request.name,
          description: request.description ?? "",
          cron: request.cron,
          time_zone: request.time_zone,
          overlap: request.overlap,
          catch_up: request.catch_up,
          enabled: request.enabled,
          scan: request.scan,
          since: at,
          created_at: at,
          updated_at: at,
          next_due_at: null,
          version: 1
        })
        const spec = yield* check(scans, principal, draft)
        const schedule = Schedule.make({ ...draft, cron: spec.cron })
        yield* store.insert({
          schedule,
          shard: shardOf(schedule.id, inbox.shards),
          owner: { user_id: principal.user_id, role: principal.role, key_id: principal.key_id }
        })
        return view(schedule, now)
      }).pipe(Effect.withSpan("ScheduleService.create")),
    get: (principal, id) =>
      Effect.zipWith(find(principal, id), Clock.currentTimeMillis, (stored, now) => view(stored.schedule, now)),
    list: (principal, params) =>
      Effect.gen(function*() {
        const after = yield* decodeCursor(params.cursor)
        const page = yield* store.list(principal.organization_id, after, params.limit + 1)
        const now = yield* Clock.currentTimeMillis
        const items = page.slice(0, params.limit).map((stored) => view(stored.schedule, now))
        return SchedulePage.make({
          items,
          next_cursor: page.length > params.limit ? items.at(-1)!.id : null
        })
      }),
    update: (principal, id, request, expectedVersion) =>
      Effect.gen(function*() {
        const { schedule: current } = yield* find(principal, id)
        if (expectedVersion !== undefined && expectedVersion !== current.version) {
          return yield* new PreconditionFailed({ detail: `schedule ${id} is at version ${current.version}` })
        }
        const now = yield* Clock.currentTimeMillis
        const draft = updated(current, request, now)
        const spec = yield* check(scans, principal, draft)
        const schedule = Schedule.make({ ...draft, cron: spec.cron })
        if (!(yield* store.replace(schedule, current.version))) {
          return yield* new PreconditionFailed({ detail: `schedule ${id} changed meanwhile: read it again` })
        }
        return view(schedule, now)
      }).pipe(Effect.withSpan("ScheduleService.update")),
    remove: (principal, id) =>
      Effect.flatMap(
        store.remove(principal.organization_id, id),
        (removed) => removed ? Effect.void : Effect.fail(notFound(id))
      ),
    runs: (principal, id, params) =>
      Effect.gen(function*() {
        yield* find(principal, id)
        const before = params.cursor === undefined ? null : Number(params.cursor)
        if (before !== null && !Number.isSafeInteger(before)) {
          return yield* BadRequest.field("cursor", "not a cursor of this listing")
        }
        const page = yield* store.runs(id, before, params.limit + 1)
        const items = page.slice(0, params.limit).map((run) =>
          ScheduleRun.make({
            schedule_id: run.schedule_id,
            due_at: DateTime.unsafeMake(run.due_at),
            outcome: run.outcome,
            scan_ids: run.scan_ids,
            recorded_at: DateTime.unsafeMake(run.recorded_at)
          })
        )
        return ScheduleRunPage.make({
          items,
          next_cursor: page.length > params.limit ? String(page[params.limit - 1]!.due_at) : null
        })
      })
  })
})

export const layerPorts = Layer.effect(ScheduleService, make)

/** The service over Postgres (PgClient, ScanService and ShardInbox needed). */
export const layer = layerPorts.pipe(Layer.provide(ScheduleStorePostgres.layer))
