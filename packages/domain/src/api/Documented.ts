/**
 * What the OpenAPI generator cannot derive from an endpoint's schemas, added to its operation: an example of its
 * request body, and the `ETag` header its success carries.
 */
import type { OpenApi } from "@effect/platform"
import { Predicate } from "effect"

export interface Extras {
  /** A body the endpoint accepts as is (a test sends each one). */
  readonly example?: unknown
  /** The success that carries the resource's version in `ETag`. */
  readonly etag?: "200"
}

const etagHeader = {
  ETag: {
    description: "The resource's version, e.g. \"12\": send it back in `If-Match` to change only that version",
    schema: { type: "string" }
  }
}

/** `.annotate(OpenApi.Transform, documented({ example }))`. */
export const documented = (extras: Extras): OpenApi.Transform["Type"] => (operation) => {
  const body = operation["requestBody"]
  if (extras.example !== undefined && Predicate.isRecord(body) && Predicate.isRecord(body["content"])) {
    for (const media of Object.values(body["content"])) {
      if (Predicate.isRecord(media)) media["example"] = extras.example
    }
  }
  const responses = operation["responses"]
  const success = extras.etag !== undefined && Predicate.isRecord(responses) ? responses[extras.etag] : undefined
  if (Predicate.isRecord(success)) success["headers"] = etagHeader
  return operation
}
