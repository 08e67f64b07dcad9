/** The schedules endpoints: ScheduleService use cases, audited when they change something. */
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { MirageApi } from "@mirage/domain/api/Api"
import { CurrentPrincipal } from "@mirage/domain/api/Authentication"
import { Schedule } from "@mirage/domain/Schedule"
import { ScheduleService } from "@mirage/runtime/monitoring/schedules/ScheduleService"
import { Effect, Schema } from "effect"
import { audited } from "../Audited.js"
import { etag, expectedVersion } from "../ETag.js"
import * as Problem from "../Problem.js"

/** The schedule with its version in `ETag`. */
const versioned = (schedule: Schedule) =>
  Schema.encode(Schedule)(schedule).pipe(
    Effect.flatMap((body) => HttpServerResponse.json(body, { headers: { etag: etag(schedule.version) } })),
    Effect.orDie
  )

export const layer = HttpApiBuilder.group(MirageApi, "schedules", (handlers) =>
  Effect.gen(function*() {
    const schedules = yield* ScheduleService
    return handlers
      .handle("create", ({ payload }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => schedules.create(principal, payload)),
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("schedule.create", "schedule", { status: 201, detail: { name: payload.name, cron: payload.cron } })
        ))
      .handle("list", ({ urlParams }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => schedules.list(principal, urlParams)),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("get", ({ path }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => schedules.get(principal, path.id)),
          Effect.flatMap(versioned),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("update", ({ headers, path, payload }) =>
        Effect.all([CurrentPrincipal, expectedVersion(headers["if-match"])]).pipe(
          Effect.flatMap(([principal, expected]) =>
            schedules.update(principal, path.id, payload, expected)
          ),
          Effect.flatMap(versioned),
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("schedule.update", `schedule/${path.id}`)
        ))
      .handle("delete", ({ path }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => schedules.remove(principal, path.id)),
          Effect.as(HttpServerResponse.empty({ status: 204 })),
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("schedule.delete", `schedule/${path.id}`, { status: 204 })
        ))
      .handle("runs", ({ path, urlParams }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => schedules.runs(principal, path.id, urlParams)),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
  }))
