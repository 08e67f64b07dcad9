/**
 * Every failure answers with an RFC 7807 problem: the API's own errors already are problems; this
 * turns the framework's (request decoding, unknown routes, methods a path does not have, unreadable
 * bodies) and unexpected failures into them too, so no request ever gets a bare 500 or an empty 404.
 */
import { HttpApi, HttpApiBuilder, HttpApiError, HttpServerError, HttpServerResponse } from "@effect/platform"
import type { HttpApp } from "@effect/platform"
import { MirageApi } from "@mirage/domain/api/Api"
import {
  BadRequest,
  InternalError,
  NotFound,
  problemContentType,
  problemType,
  ServiceUnavailable
} from "@mirage/domain/api/Errors"
import type { InvalidField, Problem } from "@mirage/domain/api/Errors"
import type { PersistenceError } from "@mirage/runtime/platform/Errors"
import { Cause, Effect, Option, Predicate } from "effect"

/** `configuration.recursion_depth`, `modules[0].id`; the whole body is `body`. */
export const fieldOf = (path: ReadonlyArray<PropertyKey>): string =>
  path.length === 0
    ? "body"
    : path.reduce<string>(
      (out, key) =>
        typeof key === "number"
          ? `${out}[${key}]`
          : out === ""
          ? String(key)
          : `${out}.${String(key)}`,
      ""
    )

const expectation = /^Expected (.+), actual (.+)$/s

/**
 * One issue per alternative of a union (`Expected "CREATED", actual "DONE"`, `Expected "RUNNING", …`)
 * becomes one issue listing the alternatives.
 */
const mergeAlternatives = (issues: ReadonlyArray<InvalidField>): Array<InvalidField> => {
  const byField = new Map<string, Array<InvalidField>>()
  for (const issue of issues) byField.set(issue.field, [...(byField.get(issue.field) ?? []), issue])
  return Array.from(byField.entries()).flatMap(([field, group]) => {
    if (group.length < 2) return group
    const expected: Array<string> = []
    let actual: string | undefined
    for (const issue of group) {
      const match = expectation.exec(issue.message)
      if (match === null || (actual !== undefined && match[2] !== actual)) return group
      actual = match[2]
      expected.push(match[1] ?? "")
    }
    return [{ field, message: `Expected ${expected.join(" | ")}, actual ${actual}` }]
  })
}

/** A request that did not match the endpoint's schemas, naming every field at fault. */
export const fromDecodeError = (error: HttpApiError.HttpApiDecodeError): BadRequest => {
  const all = error.issues.map((issue) => ({ field: fieldOf(issue.path), message: issue.message }))
  // An optional field that is present but wrong also fails the "absent" alternative: that one says nothing.
  const within = (inner: string, outer: string) =>
    inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`)
  const errors = mergeAlternatives(
    all.filter((e) =>
      !(e.message.startsWith("Expected undefined") && all.some((o) => o !== e && within(o.field, e.field)))
    )
  )
  return errors.length === 0 ? new BadRequest({ detail: error.message, errors }) : BadRequest.ofFields(errors)
}

const isProblem = (u: unknown): u is Problem =>
  Predicate.isTagged(u, "BadRequest") || Predicate.isTagged(u, "Unauthorized") ||
  Predicate.isTagged(u, "Forbidden") || Predicate.isTagged(u, "NotFound") || Predicate.isTagged(u, "Conflict") ||
  Predicate.isTagged(u, "PreconditionFailed") || Predicate.isTagged(u, "StateConflict") ||
  Predicate.isTagged(u, "InternalError") || Predicate.isTagged(u, "ServiceUnavailable")

/** What the framework's own failures become; the API declares these for every endpoint. */
type Rewritten = BadRequest | NotFound | InternalError

/** The problem a failure stands for, or none to let it through untouched (it already is one). */
const toProblem = (cause: Cause.Cause<unknown>): Effect.Effect<Option.Option<Rewritten>> => {
  if (Cause.isInterruptedOnly(cause)) return Effect.succeedNone
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const error = failure.value
    if (isProblem(error)) return Effect.succeedNone
    if (error instanceof HttpApiError.HttpApiDecodeError) return Effect.succeedSome(fromDecodeError(error))
    if (HttpServerError.isServerError(error) && error._tag === "RouteNotFound") {
      return Effect.succeedSome(new NotFound({ detail: `no route ${error.request.method} ${error.request.url}` }))
    }
  }
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect) && HttpServerError.isServerError(defect.value) && defect.value._tag === "RequestError") {
    // The framework dies when it cannot read or parse the body (e.g. invalid JSON).
    return Effect.succeedSome(
      BadRequest.field(
        "body",
        defect.value.reason === "Decode" ? "the body is not valid JSON" : "the body could not be read"
      )
    )
  }
  return Effect.as(
    Effect.logError("request failed unexpectedly", cause),
    Option.some(new InternalError({ detail: "an unexpected error occurred; it was logged" }))
  )
}

/** A problem answered as is, for refusals made outside the API's error encoding (they need headers of their own). */
export const problemResponse = (
  status: number,
  slug: string,
  title: string,
  detail: string,
  headers: Record<string, string> = {}
) =>
  HttpServerResponse.unsafeJson({ type: problemType(slug), title, status, detail }, {
    status,
    contentType: problemContentType,
    headers
  })

/** Each path of the API (`/scans/:id`) as a pattern, with the methods it has. */
const routes = (() => {
  const methods = new Map<string, Array<string>>()
  HttpApi.reflect(MirageApi, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => methods.set(endpoint.path, [...(methods.get(endpoint.path) ?? []), endpoint.method])
  })
  for (const document of ["/openapi.json", "/docs"]) methods.set(document, ["GET"])
  return Array.from(methods, ([path, allowed]) => ({
    pattern: new RegExp(`^${path.replace(/:\w+/g, "[^/]+")}$`),
    allowed
  }))
})()

/** The methods the API has for a URL's path; none when the path is not one of the API's. */
export const allowedMethods = (url: string): ReadonlyArray<string> => {
  const path = url.split("?")[0] ?? ""
  return routes.flatMap((route) => (route.pattern.test(path) ? route.allowed : []))
}

/** 405 with `Allow` when the path exists with other methods (RFC 9110 §15.5.6); none for an unknown path. */
const wrongMethod = (cause: Cause.Cause<unknown>): Option.Option<HttpServerResponse.HttpServerResponse> =>
  Option.flatMap(Cause.failureOption(cause), (error) => {
    if (!HttpServerError.isServerError(error) || error._tag !== "RouteNotFound") return Option.none()
    const allowed = allowedMethods(error.request.url)
    return allowed.length === 0 ? Option.none() : Option.some(problemResponse(
      405,
      "method-not-allowed",
      "Method not allowed",
      `${error.request.method} is not a method of this path; it has ${allowed.join(", ")}`,
      { allow: allowed.join(", ") }
    ))
  })

/** The API middleware: whatever fails becomes one of the API's problems, which the API encodes. */
export const middleware = (app: HttpApp.Default): HttpApp.Default<Rewritten> =>
  Effect.catchAllCause(app, (cause) =>
    Option.match(wrongMethod(cause), {
      onSome: Effect.succeed,
      onNone: () =>
        Effect.flatMap(
          toProblem(cause),
          Option.match({ onNone: () => Effect.failCause(cause as Cause.Cause<never>), onSome: Effect.fail })
        )
    }))

export const layer = HttpApiBuilder.middleware(MirageApi, middleware)

/** A store failure: logged with its cause, answered 503 without it. */
export const unavailable = (error: PersistenceError) =>
  Effect.zipRight(
    Effect.logError("store failure", error),
    Effect.fail(new ServiceUnavailable({ detail: `${error.operation} failed; retry later` }))
  )
