/**
 * Who is calling: the principal an API key stands for, and the bearer security middleware that
 * establishes it for every protected endpoint (viewers may only read).
 */
import { HttpApiMiddleware, HttpApiSecurity, OpenApi } from "@effect/platform"
import { Context, Schema } from "effect"
import { OrganizationId, UserId } from "../Ids.js"
import { Problems } from "./Errors.js"

export const Role = Schema.Literal("admin", "analyst", "viewer")
export type Role = typeof Role.Type

export const ApiKeyId = Schema.UUID.pipe(Schema.brand("ApiKeyId"))
export type ApiKeyId = typeof ApiKeyId.Type

export class Principal extends Schema.Class<Principal>("Principal")({
  user_id: UserId,
  organization_id: OrganizationId,
  role: Role,
  key_id: ApiKeyId
}) {}

/** Whether the role may change things (create, start, update, delete), not only read them. */
export const canWrite = (role: Role): boolean => role !== "viewer"

export class CurrentPrincipal extends Context.Tag("@mirage/domain/api/CurrentPrincipal")<
  CurrentPrincipal,
  Principal
>() {}

export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("@mirage/domain/api/Authentication", {
  failure: Schema.Union(Problems.Unauthorized, Problems.Forbidden, Problems.ServiceUnavailable),
  provides: CurrentPrincipal,
  security: {
    bearer: HttpApiSecurity.bearer.pipe(
      HttpApiSecurity.annotate(OpenApi.Description, "An API key (`mk_…`) as a bearer token")
    )
  }
}) {}
