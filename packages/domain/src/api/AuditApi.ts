/** The audit log of an organization: every command, who sent it, from where, and how it ended. Admins only. */
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { OrganizationId, UserId } from "../Ids.js"
import { ApiKeyId, Authentication } from "./Authentication.js"
import { allErrors, Problems } from "./Errors.js"
import { Cursor, Limit, pageLimits, TimeParam } from "./Query.js"

export const AuditOutcome = Schema.Literal("success", "failure", "denied")
export type AuditOutcome = typeof AuditOutcome.Type

export class AuditEntry extends Schema.Class<AuditEntry>("AuditEntry")({
  id: Schema.String,
  organization_id: OrganizationId,
  user_id: Schema.NullOr(UserId),
  key_id: Schema.NullOr(ApiKeyId),
  /** e.g. `scan.create`, `scan.start`, `template.delete`, `api_key.revoke`. */
  action: Schema.String,
  /** e.g. `scan/<id>`, `template/<id>`, `api_key/<id>`. */
  resource: Schema.String,
  /** The client's address (the first X-Forwarded-For hop when behind a proxy). */
  address: Schema.NullOr(Schema.String),
  outcome: AuditOutcome,
  /** The HTTP status answered. */
  status: Schema.NullOr(Schema.Int),
  detail: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  at: Schema.DateTimeUtc
}) {}

export const AuditParams = Schema.Struct({
  limit: Schema.optionalWith(Limit, { default: () => pageLimits.default }),
  cursor: Schema.optional(Cursor),
  user_id: Schema.optional(UserId),
  action: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(100))),
  resource: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200))),
  from: Schema.optional(TimeParam("Entries at or after this time")),
  to: Schema.optional(TimeParam("Entries before this time"))
})
export type AuditParams = typeof AuditParams.Type

export class AuditPage extends Schema.Class<AuditPage>("AuditPage")({
  items: Schema.Array(AuditEntry),
  next_cursor: Schema.NullOr(Schema.String)
}) {}

export class AuditApi extends HttpApiGroup.make("audit")
  .add(
    HttpApiEndpoint.get("list", "/audit")
      .setUrlParams(AuditParams.annotations(allErrors))
      .addSuccess(AuditPage)
      .annotate(OpenApi.Summary, "The organization's audit log, newest first (admins only)")
  )
  .middleware(Authentication)
  .addError(Problems.Forbidden)
  .addError(Problems.ServiceUnavailable)
  .annotate(OpenApi.Title, "Audit")
{}
