/**
 * The errors of the HTTP API. Each is an RFC 7807 problem (`application/problem+json` with
 * `type`, `title`, `status`, `detail`) and carries its HTTP status, so the server encodes it and
 * `HttpApiClient` decodes it back into the same class.
 */
import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"
import * as AST from "effect/SchemaAST"
import { ScanStatus } from "../Scan.js"

export const problemContentType = "application/problem+json"

/** How query strings are decoded: every fault of a request reported at once, not only the first. */
export const allErrors = { parseOptions: { errors: "all" } } as const

/**
 * How request bodies are decoded: every fault at once, and a field the API does not have is one (a misspelt
 * optional field must not pass unnoticed as if it were absent), as the document's `additionalProperties` says.
 */
export const strictBody = { parseOptions: { errors: "all", onExcessProperty: "error" } } as const

/** The `type` URI reference of each problem: stable, documented, resolvable relative to the API. */
export const problemType = (slug: string): string => `/problems/${slug}`

const withDefault = <A extends string | number>(schema: Schema.Schema<A>, value: A) =>
  schema.pipe(Schema.propertySignature, Schema.withConstructorDefault(() => value))

/** The members every problem has; `type`, `title` and `status` are fixed per class. */
const problemFields = <const S extends number>(status: S, slug: string, title: string) => ({
  type: withDefault(Schema.String, problemType(slug)),
  title: withDefault(Schema.String, title),
  status: withDefault(Schema.Literal(status), status),
  detail: Schema.String
})

const problemAnnotations = (status: number, description: string) => ({
  description,
  [HttpApiSchema.AnnotationStatus]: status,
  [HttpApiSchema.AnnotationEncoding]: { kind: "Json", contentType: problemContentType }
})

/** One thing wrong with a request: where (a dotted path such as `configuration.recursion_depth`) and what. */
export const InvalidField = Schema.Struct({
  field: Schema.String,
  message: Schema.String
})
export type InvalidField = typeof InvalidField.Type

export class BadRequest extends Schema.TaggedError<BadRequest>()(
  "BadRequest",
  {
    ...problemFields(400, "invalid-request", "Invalid request"),
    errors: Schema.Array(InvalidField)
  },
  problemAnnotations(400, "The request is malformed or breaks a rule; `errors` names each field and what is wrong")
) {
  /** A problem with one field of the request. */
  static field(field: string, message: string): BadRequest {
    return BadRequest.ofFields([{ field, message }])
  }
  /** Every problem of the request, each with its field; the detail names them all. */
  static ofFields(errors: ReadonlyArray<InvalidField>): BadRequest {
    return new BadRequest({ detail: errors.map((e) => `${e.field}: ${e.message}`).join("; "), errors })
  }
  override get message() {
    return this.detail
  }
}

export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  problemFields(401, "unauthorized", "Unauthorized"),
  problemAnnotations(401, "No valid API key: send `Authorization: Bearer <key>`")
) {
  override get message() {
    return this.detail
  }
}

export class Forbidden extends Schema.TaggedError<Forbidden>()(
  "Forbidden",
  problemFields(403, "forbidden", "Forbidden"),
  problemAnnotations(403, "The API key's role does not allow this request")
) {
  override get message() {
    return this.detail
  }
}

export class NotFound extends Schema.TaggedError<NotFound>()(
  "NotFound",
  problemFields(404, "not-found", "Not found"),
  problemAnnotations(404, "No such resource (or it belongs to another organization)")
) {
  override get message() {
    return this.detail
  }
}

export class Conflict extends Schema.TaggedError<Conflict>()(
  "Conflict",
  {
    ...problemFields(409, "illegal-transition", "Conflict"),
    current_status: ScanStatus
  },
  problemAnnotations(409, "The scan's current status does not allow the command")
) {
  override get message() {
    return this.detail
  }
}

export class PreconditionFailed extends Schema.TaggedError<PreconditionFailed>()(
  "PreconditionFailed",
  problemFields(412, "precondition-failed", "Precondition failed"),
  problemAnnotations(412, "If-Match names a version the resource no longer has: read it again and retry")
) {
  override get message() {
    return this.detail
  }
}

/** A request the resource's state refuses (not a scan's status): revoking the last admin key, cancelling an ended job. */
export class StateConflict extends Schema.TaggedError<StateConflict>()(
  "StateConflict",
  {
    ...problemFields(409, "conflict", "Conflict"),
    /** The resource's status when it has one (a collect job's). */
    current_status: Schema.optional(Schema.String)
  },
  problemAnnotations(409, "The resource's current state does not allow the request")
) {
  override get message() {
    return this.detail
  }
}

export class InternalError extends Schema.TaggedError<InternalError>()(
  "InternalError",
  problemFields(500, "internal", "Internal error"),
  problemAnnotations(500, "An unexpected failure; the server logged it")
) {
  override get message() {
    return this.detail
  }
}

export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>()(
  "ServiceUnavailable",
  problemFields(503, "unavailable", "Service unavailable"),
  problemAnnotations(503, "A store the request needs is unavailable; retry later")
) {
  override get message() {
    return this.detail
  }
}

/** Every problem the API answers with. */
export type Problem =
  | BadRequest
  | Unauthorized
  | Forbidden
  | NotFound
  | Conflict
  | PreconditionFailed
  | StateConflict
  | InternalError
  | ServiceUnavailable

/**
 * A problem as the API declares it: its RFC 7807 members only. `_tag` names the class in code (for `catchTag`)
 * and is no member of a problem, so it stays out of bodies and of the OpenAPI document; decoding puts it back.
 */
const onTheWire = <Self extends { readonly _tag: string }, I extends { readonly _tag: string }>(
  error: Schema.Schema<Self, I> & { readonly _tag: string }
): Schema.Schema<Self, Omit<I, "_tag">> => {
  const declared = AST.typeAST(error.ast).annotations
  return Schema.transform(
    Schema.encodedSchema(error).pipe(Schema.omit("_tag")),
    error,
    {
      strict: false,
      decode: (members) => ({ ...members, _tag: error._tag }),
      encode: ({ _tag, ...members }) => members
    }
  ).annotations({
    identifier: error._tag,
    description: declared[AST.DescriptionAnnotationId] as string,
    [HttpApiSchema.AnnotationStatus]: declared[HttpApiSchema.AnnotationStatus],
    [HttpApiSchema.AnnotationEncoding]: declared[HttpApiSchema.AnnotationEncoding]
  })
}

/** The problems as endpoints declare them (`.addError(Problems.NotFound)`); handlers fail with the classes. */
export const Problems = {
  BadRequest: onTheWire(BadRequest),
  Unauthorized: onTheWire(Unauthorized),
  Forbidden: onTheWire(Forbidden),
  NotFound: onTheWire(NotFound),
  Conflict: onTheWire(Conflict),
  PreconditionFailed: onTheWire(PreconditionFailed),
  StateConflict: onTheWire(StateConflict),
  InternalError: onTheWire(InternalError),
  ServiceUnavailable: onTheWire(ServiceUnavailable)
}
