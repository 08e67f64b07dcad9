/** The Mirage HTTP API: every group, and the problems any endpoint may answer with. */
import { HttpApi, OpenApi } from "@effect/platform"
import { Predicate } from "effect"
import { AlertsApi } from "./AlertsApi.js"
import { ApiKeysApi } from "./ApiKeysApi.js"
import { AssetsApi } from "./AssetsApi.js"
import { AuditApi } from "./AuditApi.js"
import { CollectApi } from "./CollectApi.js"
import { CorrelationRulesApi } from "./CorrelationRulesApi.js"
import { problemContentType, Problems } from "./Errors.js"
import { HealthApi } from "./HealthApi.js"
import { ModulesApi } from "./ModulesApi.js"
import { QuotasApi } from "./QuotasApi.js"
import { ScansApi } from "./ScansApi.js"
import { SchedulesApi } from "./SchedulesApi.js"
import { TemplatesApi } from "./TemplatesApi.js"

/**
 * The framework declares its own decode error on every endpoint, but the server answers every
 * malformed request with the BadRequest problem instead: the document says so.
 */
const decodeErrorsAreProblems = (spec: Record<string, unknown>): Record<string, unknown> => {
  const badRequest = {
    description: "The request is malformed or breaks a rule; `errors` names each field and what is wrong",
    content: { [problemContentType]: { schema: { $ref: "#/components/schemas/BadRequest" } } }
  }
  const paths = spec["paths"]
  if (Predicate.isRecord(paths)) {
    for (const item of Object.values(paths)) {
      if (!Predicate.isRecord(item)) continue
      for (const [method, operation] of Object.entries(item)) {
        if (Predicate.isRecord(operation) && Predicate.isRecord(operation["responses"])) {
          operation["responses"]["400"] = badRequest
          // The generator leaves out a bodiless success: deletions answer 204.
          if (method === "delete" && operation["responses"]["204"] === undefined) {
            operation["responses"]["204"] = { description: "Done; no body" }
          }
        }
      }
    }
  }
  // The results endpoint also streams exports in other media types than its JSON page.
  const results = Predicate.isRecord(paths) ? paths["/scans/{id}/results"] : undefined
  if (Predicate.isRecord(results) && Predicate.isRecord(results["get"])) {
    const ok = Predicate.isRecord(results["get"]["responses"]) ? results["get"]["responses"]["200"] : undefined
    if (Predicate.isRecord(ok) && Predicate.isRecord(ok["content"])) {
      ok["content"]["application/x-ndjson"] = {
        schema: { type: "string", description: "One CollectionResult JSON object per line" }
      }
      ok["content"]["text/csv"] = {
        schema: {
          type: "string",
          description: "Header id,scan_id,task_id,module_id,data_type,data,confidence,collected_at,hash; RFC 4180"
        }
      }
    }
  }
  const components = spec["components"]
  if (Predicate.isRecord(components) && Predicate.isRecord(components["schemas"])) {
    for (const name of ["HttpApiDecodeError", "Issue", "PropertyKey"]) delete components["schemas"][name]
    const time = components["schemas"]["DateTimeUtc"]
    if (Predicate.isRecord(time)) time["format"] = "date-time"
  }
  return withoutBuiltinIds(spec)
}

/**
 * The generator marks `Schema.Unknown` (any JSON value: module configurations, source data) with the same
 * `$id: "/schemas/unknown"` wherever it appears, and a document may not declare one `$id` twice: those go.
 */
const withoutBuiltinIds = <A>(node: A): A => {
  if (Array.isArray(node)) {
    for (const item of node) withoutBuiltinIds(item)
  } else if (Predicate.isRecord(node)) {
    if (typeof node["$id"] === "string" && node["$id"].startsWith("/schemas/")) delete node["$id"]
    for (const value of Object.values(node)) withoutBuiltinIds(value)
  }
  return node
}

export class MirageApi extends HttpApi.make("mirage")
  .add(HealthApi)
  .add(ScansApi)
  .add(TemplatesApi)
  .add(SchedulesApi)
  .add(AuditApi)
  .add(ApiKeysApi)
  .add(QuotasApi)
  .add(CollectApi)
  .add(ModulesApi)
  .add(AssetsApi)
  .add(AlertsApi)
  .add(CorrelationRulesApi)
  // Any request can be malformed, hit an unknown route, or meet an unexpected failure.
  .addError(Problems.BadRequest)
  .addError(Problems.NotFound)
  .addError(Problems.InternalError)
  .annotate(OpenApi.Title, "Mirage")
  .annotate(OpenApi.Version, "0.1.0")
  .annotate(
    OpenApi.Description,
    "OSINT scan orchestration and data collection. Errors are RFC 7807 problems (application/problem+json); " +
      "a body field the API does not have is refused (400), and a method a path does not have answers 405 with " +
      "`Allow` listing the ones it has."
  )
  .annotate(OpenApi.Transform, decodeErrorsAreProblems)
{}
