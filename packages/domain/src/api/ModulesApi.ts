/**
 * The modules endpoints: every collection module Mirage can run, what it takes and produces, its
 * flags (for choosing modules by kind, e.g. every passive one) and whether its source's key is set.
 */
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { EntityType } from "../Entity.js"
import { ModuleId } from "../Ids.js"
import { ModuleFlag } from "../ModuleFlag.js"
import { Authentication } from "./Authentication.js"
import { allErrors, Problems } from "./Errors.js"

export class ModuleSource extends Schema.Class<ModuleSource>("ModuleSource")({
  id: Schema.String,
  name: Schema.String,
  /** The real source's base URL (null for DNS and the targets' own servers). */
  base_url: Schema.NullOr(Schema.String)
}) {}

export class ModuleInfo extends Schema.Class<ModuleInfo>("ModuleInfo")({
  id: ModuleId,
  name: Schema.String,
  description: Schema.String,
  version: Schema.String,
  source: ModuleSource,
  input_types: Schema.Array(EntityType),
  output_types: Schema.Array(EntityType),
  flags: Schema.Array(ModuleFlag),
  requires_key: Schema.Boolean,
  /** Whether a key for its source is configured on the nodes (the key itself is never shown). */
  key_configured: Schema.Boolean,
  default_config: Schema.Record({ key: Schema.String, value: Schema.Unknown })
}) {}

export class ModuleList extends Schema.Class<ModuleList>("ModuleList")({
  items: Schema.Array(ModuleInfo)
}) {}

const flag = `(${ModuleFlag.literals.join("|")})`
const flagsDescription = `Comma-separated flags the modules must all have: ${ModuleFlag.literals.join(", ")}`

/** `flags=passive,safe`: modules with every one of them. */
const FlagList = Schema.compose(Schema.split(","), Schema.Array(ModuleFlag)).annotations({
  description: flagsDescription,
  jsonSchema: { type: "string", pattern: `^${flag}(,${flag})*$`, description: flagsDescription }
})

export const ModuleFilter = Schema.Struct({
  flags: Schema.optional(FlagList),
  input_type: Schema.optional(EntityType.annotations({ description: "Only modules that take this entity type" }))
})
export type ModuleFilter = typeof ModuleFilter.Type

const moduleId = HttpApiSchema.param("id", ModuleId)

export class ModulesApi extends HttpApiGroup.make("modules")
  .add(
    HttpApiEndpoint.get("list", "/modules")
      .setUrlParams(ModuleFilter.annotations(allErrors))
      .addSuccess(ModuleList)
      .annotate(OpenApi.Summary, "Collection modules: input and output types, flags, source, whether its key is set")
      .annotate(
        OpenApi.Description,
        "`flags=passive,safe` lists the modules having all those flags (what a template of \"all passive modules\" " +
          "would run); `input_type=DOMAIN` those taking that entity type. `GET /sources` groups the same modules " +
          "by data source, with the source's rate limit and current state."
      )
  )
  .add(
    HttpApiEndpoint.get("get")`/modules/${moduleId}`
      .addSuccess(ModuleInfo)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "One collection module")
  )
  .middleware(Authentication)
  .addError(Problems.Forbidden)
  .addError(Problems.ServiceUnavailable)
  .annotate(OpenApi.Title, "Modules")
{}
