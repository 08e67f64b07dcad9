/**
 * The organization's correlation rules: any of its keys lists them; admins upload (a malformed rule refused with
 * its line and reason) and delete them, audited.
 */
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { MirageApi } from "@mirage/domain/api/Api"
import { CurrentPrincipal } from "@mirage/domain/api/Authentication"
import { CorrelationRuleList, CorrelationRuleView } from "@mirage/domain/api/CorrelationRulesApi"
import { BadRequest, NotFound } from "@mirage/domain/api/Errors"
import { parse } from "@mirage/runtime/monitoring/correlation/RuleFile"
import { RuleStore, storedRule } from "@mirage/runtime/monitoring/correlation/RuleStore"
import type { StoredRule } from "@mirage/runtime/monitoring/correlation/RuleStore"
import * as Tracing from "@mirage/runtime/platform/Tracing"
import { Clock, DateTime, Effect, Either } from "effect"
import { audited, requireAdmin } from "../Audited.js"
import * as Problem from "../Problem.js"

const viewOf = (rule: StoredRule): CorrelationRuleView =>
  CorrelationRuleView.make({
    id: rule.id,
    organization_id: rule.organization_id,
    name: rule.name,
    risk: rule.risk,
    yaml: rule.yaml,
    created_at: DateTime.unsafeMake(rule.created_at),
    updated_at: DateTime.unsafeMake(rule.updated_at)
  })

export const layer = HttpApiBuilder.group(MirageApi, "correlationRules", (handlers) =>
  Effect.gen(function*() {
    const store = yield* RuleStore
    return handlers
      .handle("list", () =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => store.list(principal.organization_id)),
          Effect.map((items) => CorrelationRuleList.make({ items: items.map(viewOf) })),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("upload", ({ payload }) =>
        Effect.gen(function*() {
          const admin = yield* requireAdmin
          const rule = yield* Either.mapLeft(
            parse(payload.yaml),
            (error) => BadRequest.field("yaml", error.line > 0 ? `line ${error.line}: ${error.reason}` : error.reason)
          )
          const at = yield* Clock.currentTimeMillis
          const stored = yield* store.put(storedRule(admin.organization_id, rule, payload.yaml, at))
          yield* Tracing.annotate({ "correlation_rule.id": stored.id })
          return viewOf(stored)
        }).pipe(
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("correlation_rule.upload", "correlation-rule", { status: 201 })
        ))
      .handle("remove", ({ path }) =>
        Effect.gen(function*() {
          const admin = yield* requireAdmin
          const removed = yield* store.remove(admin.organization_id, path.id)
          if (!removed) return yield* new NotFound({ detail: `no correlation rule ${path.id}` })
          return HttpServerResponse.empty({ status: 204 })
        }).pipe(
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("correlation_rule.delete", `correlation-rule/${path.id}`, { status: 204 })
        ))
  }))
