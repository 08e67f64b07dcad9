/**
 * Auditing of commands at the edge: who (principal), what (action, resource), from where (the
 * client address, and any X-Forwarded-For), when, and how it ended (the HTTP status answered).
 * The audit write never changes the answer: if it fails, the failure is logged.
 */
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { AuditOutcome } from "@mirage/domain/api/AuditApi"
import type { Principal } from "@mirage/domain/api/Authentication"
import { CurrentPrincipal } from "@mirage/domain/api/Authentication"
import { Forbidden } from "@mirage/domain/api/Errors"
import { Audit } from "@mirage/runtime/tenancy/Audit"
import { Cause, Effect, Exit, Option, Predicate } from "effect"

/** Where the request came from: the peer address, and the first X-Forwarded-For hop kept apart (it can be forged). */
export const origin = Effect.map(HttpServerRequest.HttpServerRequest, (request) => ({
  address: Option.getOrNull(request.remoteAddress),
  forwarded_for: request.headers["x-forwarded-for"]?.split(",")[0]?.trim() ?? null
}))

const statusOfFailure = (cause: Cause.Cause<unknown>): number => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure) && Predicate.hasProperty(failure.value, "status")) {
    const status = failure.value.status
    if (typeof status === "number") return status
  }
  return Cause.isInterruptedOnly(cause) ? 499 : 500
}

const statusOfSuccess = (value: unknown, fallback: number): number =>
  HttpServerResponse.isServerResponse(value) ? value.status : fallback

/** Requests whose handler records their own entry; the others that fail validation are recorded by `Auth`. */
export const auditedRequests = new WeakSet<HttpServerRequest.HttpServerRequest>()

/** Records one audit entry for the request, whatever the effect's outcome. */
export const audited = (
  action: string,
  resource: string,
  options: { readonly status?: number; readonly detail?: Record<string, unknown> } = {}
) =>
<A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const principal = yield* CurrentPrincipal
    const audit = yield* Audit
    const where = yield* origin
    auditedRequests.add(yield* HttpServerRequest.HttpServerRequest)
    const record = (outcome: AuditOutcome, status: number, detail: Record<string, unknown>) =>
      audit.record({
        organization_id: principal.organization_id,
        user_id: principal.user_id,
        key_id: principal.key_id,
        action,
        resource,
        address: where.address,
        outcome,
        status,
        detail: {
          ...options.detail,
          ...detail,
          role: principal.role,
          ...(where.forwarded_for === null ? {} : { forwarded_for: where.forwarded_for })
        }
      }).pipe(Effect.catchAll((error) => Effect.logError("audit write failed", error)))
    return yield* effect.pipe(
      Effect.onExit((exit) =>
        Exit.match(exit, {
          onSuccess: (value) => record("success", statusOfSuccess(value, options.status ?? 200), {}),
          onFailure: (cause) => {
            const status = statusOfFailure(cause)
            const failure = Cause.failureOption(cause)
            const detail = Option.isSome(failure) && Predicate.hasProperty(failure.value, "detail")
              ? { error: String(failure.value.detail) }
              : {}
            return record(status === 403 ? "denied" : "failure", status, detail)
          }
        })
      )
    )
  })

/** Admins only: 403 for the other roles (recorded by the caller's `audited`, if any). */
export const requireAdmin = Effect.flatMap(CurrentPrincipal, (principal: Principal) =>
  principal.role === "admin"
    ? Effect.succeed(principal)
    : Effect.fail(new Forbidden({ detail: `this needs an admin key; a ${principal.role} key was given` })))
