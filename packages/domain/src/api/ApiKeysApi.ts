/** API keys of an organization: admins create them (the key is shown once), list them (prefix only) and revoke them. */
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { UserId } from "../Ids.js"
import { ApiText } from "../Text.js"
import { ApiKeyId, Authentication, Role } from "./Authentication.js"
import { documented } from "./Documented.js"
import { Problems, strictBody } from "./Errors.js"

export class CreateApiKeyRequest extends Schema.Class<CreateApiKeyRequest>("CreateApiKeyRequest")({
  name: ApiText({ min: 1, max: 200 }),
  role: Role,
  /** The user the key acts as, of the caller's organization; absent: a new user named after the key. */
  user_id: Schema.optional(UserId)
}) {}

export class ApiKeyInfo extends Schema.Class<ApiKeyInfo>("ApiKeyInfo")({
  id: ApiKeyId,
  name: Schema.String,
  /** The first characters of the key, to recognise it; the key itself is never stored. */
  prefix: Schema.String,
  role: Role,
  user_id: UserId,
  created_at: Schema.DateTimeUtc,
  revoked_at: Schema.NullOr(Schema.DateTimeUtc)
}) {}

export class IssuedApiKey extends ApiKeyInfo.extend<IssuedApiKey>("IssuedApiKey")({
  /** The key: shown this once. */
  key: Schema.String
}) {}

export class ApiKeyList extends Schema.Class<ApiKeyList>("ApiKeyList")({
  items: Schema.Array(ApiKeyInfo)
}) {}

const id = HttpApiSchema.param("id", ApiKeyId)

export class ApiKeysApi extends HttpApiGroup.make("apiKeys")
  .add(
    HttpApiEndpoint.post("create", "/api-keys")
      .setPayload(CreateApiKeyRequest.annotations(strictBody))
      .addSuccess(IssuedApiKey, { status: 201 })
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "Create an API key (admins only); the key is in this answer only")
      .annotate(OpenApi.Transform, documented({ example: { name: "CI pipeline", role: "analyst" } }))
  )
  .add(
    HttpApiEndpoint.get("list", "/api-keys")
      .addSuccess(ApiKeyList)
      .annotate(OpenApi.Summary, "The organization's API keys, by prefix (admins only)")
  )
  .add(
    HttpApiEndpoint.del("revoke")`/api-keys/${id}`
      .addSuccess(HttpApiSchema.NoContent)
      .addError(Problems.NotFound)
      .addError(Problems.StateConflict)
      .annotate(
        OpenApi.Summary,
        "Revoke an API key at once (admins only); your own key and the organization's last admin key are refused (409)"
      )
  )
  .middleware(Authentication)
  .addError(Problems.Forbidden)
  .addError(Problems.ServiceUnavailable)
  .annotate(OpenApi.Title, "API keys")
{}
