/** The schedules endpoints: scans run at the due times of a cron expression, and what each due time became. */
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import {
  CreateScheduleRequest,
  Schedule,
  ScheduleId,
  SchedulePage,
  ScheduleRunPage,
  UpdateScheduleRequest
} from "../Schedule.js"
import { Authentication } from "./Authentication.js"
import { documented } from "./Documented.js"
import { allErrors, Problems, strictBody } from "./Errors.js"
import { PageParams } from "./Query.js"
import { IfMatchHeaders } from "./ScansApi.js"

const id = HttpApiSchema.param("id", ScheduleId)

export class SchedulesApi extends HttpApiGroup.make("schedules")
  .add(
    HttpApiEndpoint.post("create", "/schedules")
      .setPayload(CreateScheduleRequest.annotations(strictBody))
      .addSuccess(Schedule, { status: 201 })
      .annotate(OpenApi.Summary, "Create a schedule: a scan run for each target at every due time")
      .annotate(
        OpenApi.Description,
        "`cron` has 5 fields, or 6 with seconds first, read in `time_zone` (IANA, default UTC). `overlap`: `skip` " +
          "a due time while the previous run still runs, or `queue_one` run to start when it ends. `catch_up` after " +
          "an outage: `run_once` (the latest missed due time runs) or `skip_missed`. A bad expression, an unknown " +
          "zone or a template the organization cannot see is a 400 naming the field."
      )
      .annotate(
        OpenApi.Transform,
        documented({
          example: {
            name: "Nightly footprint",
            cron: "0 2 * * *",
            time_zone: "Europe/Paris",
            overlap: "skip",
            catch_up: "run_once",
            scan: {
              targets: [{ type: "DOMAIN", value: "example.com" }],
              template_id: "passive",
              new_entities_only: true
            }
          }
        })
      )
  )
  .add(
    HttpApiEndpoint.get("list", "/schedules")
      .setUrlParams(PageParams.annotations(allErrors))
      .addSuccess(SchedulePage)
      .annotate(OpenApi.Summary, "The organization's schedules, oldest first")
  )
  .add(
    HttpApiEndpoint.get("get")`/schedules/${id}`
      .addSuccess(Schedule)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "Get a schedule, with its next due time")
      .annotate(OpenApi.Transform, documented({ etag: "200" }))
  )
  .add(
    HttpApiEndpoint.put("update")`/schedules/${id}`
      .setPayload(UpdateScheduleRequest.annotations(strictBody))
      .setHeaders(IfMatchHeaders)
      .addSuccess(Schedule)
      .addError(Problems.NotFound)
      .addError(Problems.PreconditionFailed)
      .annotate(OpenApi.Summary, "Change a schedule (only the fields given); `enabled: false` pauses it")
      .annotate(OpenApi.Transform, documented({ example: { enabled: false }, etag: "200" }))
      .annotate(
        OpenApi.Description,
        "Enabling a schedule, or changing its expression or zone, starts it afresh: due times before the change " +
          "are not caught up. With `If-Match`, only that version is updated, else 412."
      )
  )
  .add(
    HttpApiEndpoint.del("delete")`/schedules/${id}`
      .addSuccess(HttpApiSchema.NoContent)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "Delete a schedule (its runs and their scans stay)")
  )
  .add(
    HttpApiEndpoint.get("runs")`/schedules/${id}/runs`
      .setUrlParams(PageParams.annotations(allErrors))
      .addSuccess(ScheduleRunPage)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "What each due time of the schedule became, newest first")
      .annotate(
        OpenApi.Description,
        "One entry per due time: `started` (its scans, one per target), `queued`, `skipped_overlap` or `missed` " +
          "(an outage, per the catch-up policy)."
      )
  )
  .middleware(Authentication)
  .addError(Problems.Forbidden)
  .addError(Problems.ServiceUnavailable)
  .annotate(OpenApi.Title, "Schedules")
{}
