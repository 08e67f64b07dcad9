/** The templates endpoints: TemplateService use cases, audited when they change something. */
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { MirageApi } from "@mirage/domain/api/Api"
import { CurrentPrincipal } from "@mirage/domain/api/Authentication"
import { TemplateView } from "@mirage/domain/api/TemplatesApi"
import { TemplateService, versionOf } from "@mirage/runtime/scans/TemplateService"
import { Effect, Schema } from "effect"
import { audited } from "../Audited.js"
import { etag, expectedVersion } from "../ETag.js"
import * as Problem from "../Problem.js"

/** The template with its version in `ETag`. */
const versioned = (template: TemplateView) =>
  Schema.encode(TemplateView)(template).pipe(
    Effect.flatMap((body) => HttpServerResponse.json(body, { headers: { etag: etag(versionOf(template)) } })),
    Effect.orDie
  )

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
          Effect.flatMap(versioned),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("create", ({ payload }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => templates.create(principal, payload)),
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("template.create", "template", { status: 201, detail: { name: payload.name } })
        ))
      .handle("update", ({ headers, path, payload }) =>
        Effect.all([CurrentPrincipal, expectedVersion(headers["if-match"])]).pipe(
          Effect.flatMap(([principal, expected]) =>
            templates.update(principal, path.id, payload, expected)
          ),
          Effect.flatMap(versioned),
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("template.update", `template/${path.id}`)
        ))
      .handle("delete", ({ headers, path }) =>
        Effect.all([CurrentPrincipal, expectedVersion(headers["if-match"])]).pipe(
          Effect.flatMap(([principal, expected]) => templates.remove(principal, path.id, expected)),
          Effect.as(HttpServerResponse.empty({ status: 204 })),
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("template.delete", `template/${path.id}`, { status: 204 })
        ))
  }))
