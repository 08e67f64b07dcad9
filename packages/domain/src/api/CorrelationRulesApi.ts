/**
 * The organization's own correlation rules, in SpiderFoot's correlation YAML format: uploaded (validated, refused
 * with the line and the reason), listed and deleted. Evaluated with the built-in rules on the organization's scans.
 */
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { RiskLevel, RuleId } from "../correlation/Rule.js"
import { OrganizationId } from "../Ids.js"
import { Authentication } from "./Authentication.js"
import { documented } from "./Documented.js"
import { Problems, strictBody } from "./Errors.js"

export class UploadCorrelationRuleRequest
  extends Schema.Class<UploadCorrelationRuleRequest>("UploadCorrelationRuleRequest")({
    /** The rule file's text. */
    yaml: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(65_536))
  })
{}

export class CorrelationRuleView extends Schema.Class<CorrelationRuleView>("CorrelationRuleView")({
  id: RuleId,
  organization_id: OrganizationId,
  name: Schema.String,
  risk: RiskLevel,
  /** The text as uploaded. */
  yaml: Schema.String,
  created_at: Schema.DateTimeUtc,
  updated_at: Schema.DateTimeUtc
}) {}

export class CorrelationRuleList extends Schema.Class<CorrelationRuleList>("CorrelationRuleList")({
  items: Schema.Array(CorrelationRuleView)
}) {}

const ruleId = HttpApiSchema.param("id", RuleId)

/** A rule to upload: open ports of remote-administration services (SpiderFoot's format). */
export const exampleRule = [
  "id: remote_admin_open",
  "version: 1",
  "meta:",
  "  name: Remote administration port open",
  "  description: A port of a remote-administration service answers from the Internet.",
  "  risk: HIGH",
  "collections:",
  "  - collect:",
  "      - method: exact",
  "        field: type",
  "        value: OPEN_PORT",
  "      - method: regex",
  "        field: data",
  "        value: '.*:(22|23|5900|5985|5986)$'",
  "headline: \"Remote administration port open: {data}\"",
  ""
].join("\n")

export class CorrelationRulesApi extends HttpApiGroup.make("correlationRules")
  .add(
    HttpApiEndpoint.get("list", "/correlation-rules")
      .addSuccess(CorrelationRuleList)
      .annotate(OpenApi.Summary, "The organization's own correlation rules (besides the built-in ones)")
  )
  .add(
    HttpApiEndpoint.post("upload", "/correlation-rules")
      .setPayload(UploadCorrelationRuleRequest.annotations(strictBody))
      .addSuccess(CorrelationRuleView, { status: 201 })
      .annotate(OpenApi.Summary, "Upload a correlation rule in SpiderFoot's YAML format (admins only)")
      .annotate(
        OpenApi.Description,
        "The rule (`id`, `version: 1`, `meta` with `name`, `description` and `risk`, `collections` of `collect` " +
          "method blocks on `type`, `module`, `data`, `meta.<key>`, optionally under `source.` or `child.`, an " +
          "optional `aggregation` and `analysis`, and a `headline`) is validated first: a malformed one is refused " +
          "with 400 and `errors[0].message` giving the line and the reason. A rule with the id of one the " +
          "organization has replaces it; with the id of a built-in rule, it replaces that one on the " +
          "organization's scans. Findings are CORRELATION results of scans started after the upload."
      )
      .annotate(OpenApi.Transform, documented({ example: { yaml: exampleRule } }))
  )
  .add(
    HttpApiEndpoint.del("remove")`/correlation-rules/${ruleId}`
      .addSuccess(HttpApiSchema.NoContent)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "Delete one of the organization's correlation rules (admins only)")
  )
  .middleware(Authentication)
  .addError(Problems.Forbidden)
  .addError(Problems.ServiceUnavailable)
  .annotate(OpenApi.Title, "Correlation rules")
{}
