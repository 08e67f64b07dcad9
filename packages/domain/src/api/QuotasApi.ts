/** The organization's quotas: admins read them, with the defaults they override, and change them. */
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { Authentication } from "./Authentication.js"
import { documented } from "./Documented.js"
import { Problems, strictBody } from "./Errors.js"

const Limit = (max: number, description: string) =>
  Schema.Int.pipe(Schema.between(1, max), Schema.annotations({ description }))

const runningScans = Limit(10_000, "Scans of the organization running (or paused) at once; beyond it a start queues")
const concurrentTasks = Limit(1_000_000, "Tasks of the organization running at once over all nodes")

export class QuotaValues extends Schema.Class<QuotaValues>("QuotaValues")({
  max_running_scans: Schema.Int,
  max_concurrent_tasks: Schema.Int
}) {}

/** What applies (the override, or the default where there is none), the defaults, and which are overridden. */
export class OrganizationQuotas extends Schema.Class<OrganizationQuotas>("OrganizationQuotas")({
  max_running_scans: Schema.Int,
  max_concurrent_tasks: Schema.Int,
  defaults: QuotaValues,
  overridden: Schema.Array(Schema.Literal("max_running_scans", "max_concurrent_tasks"))
}) {}

/** Each field: a number overrides the default, null goes back to the default, absent leaves it as it is. */
export class UpdateQuotasRequest extends Schema.Class<UpdateQuotasRequest>("UpdateQuotasRequest")({
  max_running_scans: Schema.optional(Schema.NullOr(runningScans)),
  max_concurrent_tasks: Schema.optional(Schema.NullOr(concurrentTasks))
}) {}

export class QuotasApi extends HttpApiGroup.make("quotas")
  .add(
    HttpApiEndpoint.get("get", "/quotas")
      .addSuccess(OrganizationQuotas)
      .annotate(OpenApi.Summary, "The organization's quotas and the defaults they override (admins only)")
  )
  .add(
    HttpApiEndpoint.put("update", "/quotas")
      .setPayload(UpdateQuotasRequest.annotations(strictBody))
      .addSuccess(OrganizationQuotas)
      .annotate(
        OpenApi.Summary,
        "Override the organization's quotas (admins only); null returns a quota to its default"
      )
      .annotate(OpenApi.Transform, documented({ example: { max_running_scans: 5, max_concurrent_tasks: null } }))
  )
  .middleware(Authentication)
  .addError(Problems.Forbidden)
  .addError(Problems.ServiceUnavailable)
  .annotate(OpenApi.Title, "Quotas")
{}
