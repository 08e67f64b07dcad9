/** The asset inventory, run differences and retention endpoints. */
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { EntityType } from "../Entity.js"
import { ScanId } from "../Ids.js"
import { AssetStatus, ScanDiff } from "../Inventory.js"
import { RetentionPolicy } from "../Retention.js"
import { Authentication } from "./Authentication.js"
import { documented } from "./Documented.js"
import { allErrors, Problems, strictBody } from "./Errors.js"
import { Cursor, Limit, pageLimits } from "./Query.js"

export class AssetView extends Schema.Class<AssetView>("AssetView")({
  target: Schema.Struct({ type: EntityType, value: Schema.String }),
  type: EntityType,
  value: Schema.String,
  status: AssetStatus,
  first_seen: Schema.DateTimeUtc,
  last_seen: Schema.DateTimeUtc,
  /** The runs that saw it, oldest first. */
  scans: Schema.Array(ScanId),
  /** End of validity, for certificate-bearing entities. */
  expires_at: Schema.NullOr(Schema.DateTimeUtc)
}) {}

export class AssetPage extends Schema.Class<AssetPage>("AssetPage")({
  items: Schema.Array(AssetView),
  next_cursor: Schema.NullOr(Schema.String)
}) {}

export const AssetParams = Schema.Struct({
  /** The root target's value (e.g. `example.com`). */
  target: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(2048))),
  type: Schema.optional(EntityType),
  status: Schema.optional(AssetStatus),
  limit: Schema.optionalWith(Limit, { default: () => pageLimits.default }),
  cursor: Schema.optional(Cursor)
})

/** `previous` (the run of the same series that completed before) or a scan id. */
export const DiffParams = Schema.Struct({
  against: Schema.optionalWith(
    Schema.Union(Schema.Literal("previous"), ScanId).annotations({
      description: "`previous` (default): the series' run before this one; or a scan id of the organization"
    }),
    { default: () => "previous" as const }
  )
})

const id = HttpApiSchema.param("id", ScanId)

export class AssetsApi extends HttpApiGroup.make("assets")
  .add(
    HttpApiEndpoint.get("list", "/assets")
      .setUrlParams(AssetParams.annotations(allErrors))
      .addSuccess(AssetPage)
      .annotate(OpenApi.Summary, "The asset inventory: every entity the organization's runs ever found")
      .annotate(
        OpenApi.Description,
        "Per root target, each entity with its first and last sighting, the runs that saw it and its status " +
          "relative to the latest run of the series (scans with the same target): `new` (not seen by the run " +
          "before), `present`, `gone` (no longer seen). Ordered by target, type and value; cursor-paged."
      )
  )
  .add(
    HttpApiEndpoint.get("diff")`/scans/${id}/diff`
      .setUrlParams(DiffParams.annotations(allErrors))
      .addSuccess(ScanDiff)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "Entities added and removed since another run, by type, with counts")
  )
  .add(
    HttpApiEndpoint.get("getRetention", "/retention")
      .addSuccess(RetentionPolicy)
      .annotate(OpenApi.Summary, "The organization's retention policy (both null: keep everything)")
  )
  .add(
    HttpApiEndpoint.put("putRetention", "/retention")
      .setPayload(RetentionPolicy.annotations(strictBody))
      .addSuccess(RetentionPolicy)
      .annotate(OpenApi.Summary, "Set the retention policy (admins)")
      .annotate(OpenApi.Transform, documented({ example: { keep_runs: 30, keep_days: 90 } }))
      .annotate(
        OpenApi.Description,
        "Runs beyond the last `keep_runs` of a series, or ended more than `keep_days` ago, lose their results and " +
          "events in a background job. Never purged: runs not ended, the latest ended run of each series, runs " +
          "the inventory refers to (first or last sighting of an asset) and runs a scan still running depends on."
      )
  )
  .middleware(Authentication)
  .addError(Problems.Forbidden)
  .addError(Problems.ServiceUnavailable)
  .annotate(OpenApi.Title, "Assets")
{}
