/** GET /audit: the organization's audit log, for its admins. */
import { HttpApiBuilder } from "@effect/platform"
import { MirageApi } from "@mirage/domain/api/Api"
import { AuditPage } from "@mirage/domain/api/AuditApi"
import { BadRequest } from "@mirage/domain/api/Errors"
import { Audit, decodeCursor } from "@mirage/runtime/tenancy/Audit"
import { Effect, Either } from "effect"
import { requireAdmin } from "../Audited.js"
import * as Problem from "../Problem.js"

export const layer = HttpApiBuilder.group(MirageApi, "audit", (handlers) =>
  Effect.gen(function*() {
    const audit = yield* Audit
    return handlers.handle("list", ({ urlParams }) =>
      Effect.gen(function*() {
        const principal = yield* requireAdmin
        const cursor = urlParams.cursor === undefined ? undefined : yield* Either.mapLeft(
          decodeCursor(urlParams.cursor),
          (message) => BadRequest.field("cursor", message)
        )
        const page = yield* audit.list(principal.organization_id, {
          limit: urlParams.limit,
          cursor,
          user_id: urlParams.user_id,
          action: urlParams.action,
          resource: urlParams.resource,
          from: urlParams.from,
          to: urlParams.to
        })
        return AuditPage.make(page)
      }).pipe(Effect.catchTag("PersistenceError", Problem.unavailable)))
  }))
