/**
 * The bearer security middleware: resolves the API key to its principal (401 with a
 * `WWW-Authenticate: Bearer` challenge otherwise) and keeps viewers to reading (403).
 */
import { HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Authentication, canWrite } from "@mirage/domain/api/Authentication"
import { Forbidden, Unauthorized } from "@mirage/domain/api/Errors"
import * as Tracing from "@mirage/runtime/platform/Tracing"
import { ApiKeys } from "@mirage/runtime/tenancy/ApiKeys"
import { Audit } from "@mirage/runtime/tenancy/Audit"
import { Effect, Layer, Option, Redacted } from "effect"
import { auditedRequests } from "./Audited.js"
import * as Problem from "./Problem.js"

/** Longer bearer tokens are not keys: refused before hashing. */
const maxKeyLength = 512

const readMethods: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"])

/** RFC 6750: a missing key gets a bare challenge, a wrong one says `invalid_token`. */
const challenge = (detail: string, invalidToken: boolean) =>
  Effect.zipRight(
    HttpApp.appendPreResponseHandler((_request, response) =>
      Effect.succeed(
        HttpServerResponse.setHeader(
          response,
          "www-authenticate",
          invalidToken ? `Bearer realm="mirage", error="invalid_token"` : `Bearer realm="mirage"`
        )
      )
    ),
    Effect.fail(new Unauthorized({ detail }))
  )

export const layer = Layer.effect(
  Authentication,
  Effect.gen(function*() {
    const keys = yield* ApiKeys
    const audit = yield* Audit
    return Authentication.of({
      bearer: Effect.fnUntraced(function*(token: Redacted.Redacted) {
        const length = Redacted.value(token).length
        if (length === 0) return yield* challenge("an API key is required: Authorization: Bearer <key>", false)
        if (length > maxKeyLength) return yield* challenge("the API key is invalid or revoked", true)
        const principal = yield* keys.authenticate(token).pipe(
          Effect.catchTag("PersistenceError", Problem.unavailable)
        )
        if (Option.isNone(principal)) return yield* challenge("the API key is invalid or revoked", true)
        const request = yield* HttpServerRequest.HttpServerRequest
        // Only writes are audited here: a read's URL is not parsed for it.
        const record = (outcome: "denied" | "failure", status: number, detail: Record<string, unknown>) => {
          const pathname = new URL(request.url, "http://gateway").pathname
          return audit.record({
            organization_id: principal.value.organization_id,
            user_id: principal.value.user_id,
            key_id: principal.value.key_id,
            action: `${request.method} ${pathname}`,
            resource: pathname.replace(/^\//, ""),
            address: Option.getOrNull(request.remoteAddress),
            outcome,
            status,
            detail: { ...detail, role: principal.value.role }
          }).pipe(Effect.catchAll((error) => Effect.logError("audit write failed", error)))
        }
        if (!readMethods.has(request.method)) {
          if (!canWrite(principal.value.role)) {
            // A refused write is audited too: who tried what, from where.
            yield* record("denied", 403, {})
            return yield* new Forbidden({ detail: `a ${principal.value.role} key can only read` })
          }
          // A write refused before its handler ran (the body failed validation) is audited here.
          yield* HttpApp.appendPreResponseHandler((_request, response) =>
            response.status === 400 && !auditedRequests.has(request)
              ? Effect.as(record("failure", 400, { error: "the request failed validation" }), response)
              : Effect.succeed(response)
          )
        }
        yield* Tracing.annotate({
          "mirage.organization_id": principal.value.organization_id,
          "mirage.user_id": principal.value.user_id,
          "mirage.key_id": principal.value.key_id
        })
        return principal.value
      })
    })
  })
)
