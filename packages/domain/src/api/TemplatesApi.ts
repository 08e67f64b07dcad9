/** The templates endpoints: the built-in templates and the organization's own, and their CRUD. */
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { TemplateId } from "../Ids.js"
import { CreateTemplateRequest, Template, UpdateTemplateRequest } from "../Template.js"
import { Authentication } from "./Authentication.js"
import { documented } from "./Documented.js"
import { Problems, strictBody } from "./Errors.js"
import { IfMatchHeaders } from "./ScansApi.js"

/** A template as answered: with what the module registry of today says about its modules. */
export class TemplateView extends Template.extend<TemplateView>("TemplateView")({
  /** Modules of the template that are not installed: a scan from it skips them. */
  warnings: Schema.Array(Schema.String)
}) {}

export class TemplateList extends Schema.Class<TemplateList>("TemplateList")({
  items: Schema.Array(TemplateView)
}) {}

const id = HttpApiSchema.param("id", TemplateId)

export class TemplatesApi extends HttpApiGroup.make("templates")
  .add(
    HttpApiEndpoint.get("list", "/templates")
      .addSuccess(TemplateList)
      .annotate(OpenApi.Summary, "Built-in templates and the organization's own")
  )
  .add(
    HttpApiEndpoint.post("create", "/templates")
      .setPayload(CreateTemplateRequest.annotations(strictBody))
      .addSuccess(TemplateView, { status: 201 })
      .annotate(OpenApi.Summary, "Create a template of the organization")
      .annotate(
        OpenApi.Transform,
        documented({
          example: {
            name: "Passive domain footprint",
            description: "Certificates, DNS and every keyless passive source",
            target_types: ["DOMAIN"],
            modules: [{ id: "crtsh" }, { id: "dns_resolve" }],
            select: { flags: ["passive", "safe"], exclude: ["needs-key"] },
            configuration: { recursion_depth: 1 }
          }
        })
      )
      .annotate(
        OpenApi.Description,
        "`modules` names modules; `select` chooses more by flag (every installed module with all of its `flags` and " +
          "none of its `exclude`), resolved into the template's modules now. At least one module either way; an " +
          "unknown flag is a 400."
      )
  )
  .add(
    HttpApiEndpoint.get("get")`/templates/${id}`
      .addSuccess(TemplateView)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "Get a template")
      .annotate(OpenApi.Transform, documented({ etag: "200" }))
      .annotate(OpenApi.Description, "The `ETag` header carries the template's version, for `If-Match`.")
  )
  .add(
    HttpApiEndpoint.put("update")`/templates/${id}`
      .setPayload(UpdateTemplateRequest.annotations(strictBody))
      .setHeaders(IfMatchHeaders)
      .addSuccess(TemplateView)
      .addError(Problems.NotFound)
      .addError(Problems.PreconditionFailed)
      .annotate(OpenApi.Summary, "Update a template of the organization (built-in ones are read-only: 403)")
      .annotate(
        OpenApi.Transform,
        documented({ example: { description: "Certificates, DNS and reverse DNS" }, etag: "200" })
      )
      .annotate(
        OpenApi.Description,
        "Only the fields given change; concurrent updates of different fields all apply. With `If-Match`, only " +
          "that version is updated, else 412."
      )
  )
  .add(
    HttpApiEndpoint.del("delete")`/templates/${id}`
      .setHeaders(IfMatchHeaders)
      .addSuccess(HttpApiSchema.NoContent)
      .addError(Problems.NotFound)
      .addError(Problems.PreconditionFailed)
      .annotate(OpenApi.Summary, "Delete a template of the organization (built-in ones are read-only: 403)")
  )
  .middleware(Authentication)
  .addError(Problems.Forbidden)
  .addError(Problems.ServiceUnavailable)
  .annotate(OpenApi.Title, "Templates")
{}
