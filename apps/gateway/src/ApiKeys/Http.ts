/** The API keys endpoints, for the organization's admins: create (key shown once), list by prefix, revoke. */
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { MirageApi } from "@mirage/domain/api/Api"
import { ApiKeyInfo, ApiKeyList, IssuedApiKey } from "@mirage/domain/api/ApiKeysApi"
import { NotFound, StateConflict } from "@mirage/domain/api/Errors"
import { ApiKeys } from "@mirage/runtime/tenancy/ApiKeys"
import { Clock, DateTime, Effect, Redacted } from "effect"
import { audited, requireAdmin } from "../Audited.js"
import * as Problem from "../Problem.js"

export const layer = HttpApiBuilder.group(MirageApi, "apiKeys", (handlers) =>
  Effect.gen(function*() {
    const keys = yield* ApiKeys
    return handlers
      .handle("create", ({ payload }) =>
        Effect.gen(function*() {
          const admin = yield* requireAdmin
          const organization_id = admin.organization_id
          if (payload.user_id !== undefined && !(yield* keys.hasUser(organization_id, payload.user_id))) {
            return yield* new NotFound({ detail: `no user ${payload.user_id}` })
          }
          const user_id = payload.user_id ?? (yield* keys.createUser(organization_id, payload.name))
          const issued = yield* keys.create({ organization_id, user_id, role: payload.role, name: payload.name })
          return IssuedApiKey.make({
            id: issued.id,
            name: payload.name,
            prefix: issued.prefix,
            role: payload.role,
            user_id,
            created_at: DateTime.unsafeMake(yield* Clock.currentTimeMillis),
            revoked_at: null,
            key: Redacted.value(issued.key)
          })
        }).pipe(
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("api_key.create", "api_key", { status: 201, detail: { role: payload.role, name: payload.name } })
        ))
      .handle("list", () =>
        Effect.gen(function*() {
          const admin = yield* requireAdmin
          const listed = yield* keys.list(admin.organization_id)
          return ApiKeyList.make({
            items: listed.map((k) =>
              ApiKeyInfo.make({
                ...k,
                created_at: DateTime.unsafeMake(k.created_at),
                revoked_at: k.revoked_at === null ? null : DateTime.unsafeMake(k.revoked_at)
              })
            )
          })
        }).pipe(Effect.catchTag("PersistenceError", Problem.unavailable)))
      .handle("revoke", ({ path }) =>
        Effect.gen(function*() {
          const admin = yield* requireAdmin
          // An organization must keep a way in: no admin revokes their own key, nor the last live admin key. The
          // store decides in one transaction, so two admins revoking each other at once leave one of them.
          switch (yield* keys.revokeByAdmin(admin.organization_id, admin.key_id, path.id)) {
            case "revoked":
              return HttpServerResponse.empty({ status: 204 })
            case "not_found":
              return yield* new NotFound({ detail: `no live API key ${path.id}` })
            case "self":
              return yield* new StateConflict({ detail: "an admin key cannot revoke itself; use another admin key" })
            case "last_admin":
              return yield* new StateConflict({ detail: "this is the organization's last active admin key" })
            case "caller_revoked":
              return yield* new StateConflict({ detail: "the calling key was revoked meanwhile" })
          }
        }).pipe(
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("api_key.revoke", `api_key/${path.id}`, { status: 204 })
        ))
  }))
