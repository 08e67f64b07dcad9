/** The templates endpoints: TemplateService use cases, audited when they change something. */
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { MirageApi } from "@mirage/domain/api/Api"
import { CurrentPrincipal } from "@mirage/domain/api/Authentication"
import { TemplateService } from "@mirage/runtime/TemplateService"
import { Effect } from "effect"
import { audited } from "../Audited.js"
import * as Problem from "../Problem.js"

export const layer = HttpApiBuilder.group(MirageApi, "templates", (handlers) =>
  Effect.gen(function*() {
    const templates = yield* TemplateService
    return handlers
      .handle("list", () =>
        CurrentPrincipal.pipe(
          Effect.flatMap(templates.list),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("get", ({ path }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => templates.get(principal, path.id)),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("create", ({ payload }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => templates.create(principal, payload)),
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("template.create", "template", { status: 201, detail: { name: payload.name } })
        ))
      .handle("update", ({ path, payload }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => templates.update(principal, path.id, payload)),
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("template.update", `template/${path.id}`)
        ))
      .handle("delete", ({ path }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => templates.remove(principal, path.id)),
          Effect.as(HttpServerResponse.empty({ status: 204 })),
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("template.delete", `template/${path.id}`, { status: 204 })
        ))
  }))
