/**
 * The alerts endpoints: rules and channels (organization-scoped; changes audited, and refused to viewer keys by
 * the authentication middleware), the alerts raised and their live stream. Channel secrets are never answered, and
 * a channel's addresses pass the channel guard before it is stored.
 */
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Alert, AlertRule, AlertRuleId } from "@mirage/domain/Alerts"
import type { UpdateAlertRuleRequest } from "@mirage/domain/Alerts"
import { AlertPage, AlertRuleList } from "@mirage/domain/api/AlertsApi"
import { MirageApi } from "@mirage/domain/api/Api"
import { CurrentPrincipal } from "@mirage/domain/api/Authentication"
import { BadRequest } from "@mirage/domain/api/Errors"
import { randomUuid } from "@mirage/domain/Ids"
import { AlertFeed } from "@mirage/runtime/monitoring/alerts/AlertFeed"
import { AlertStore, decodeAlertCursor } from "@mirage/runtime/monitoring/alerts/AlertStore"
import { Clock, DateTime, Effect, Option, Schedule, Schema, Stream } from "effect"
import { audited } from "../Audited.js"
import * as Problem from "../Problem.js"
import { found, removed } from "./Answers.js"
import * as Channels from "./Channels.js"

const encodeAlert = Schema.encodeSync(Alert)

/** Alerts as Server-Sent Events, with a comment every 15 s so that proxies keep idle connections. */
const eventStream = <E>(alerts: Stream.Stream<Alert, E>) => {
  const frames = Stream.map(
    alerts,
    (alert) => `event: alert\nid: ${alert.id}\ndata: ${JSON.stringify(encodeAlert(alert))}\n\n`
  )
  const comments = Stream.fromSchedule(Schedule.spaced("15 seconds")).pipe(Stream.as(": keep-alive\n\n"))
  return HttpServerResponse.stream(Stream.encodeText(Stream.merge(frames, comments, { haltStrategy: "left" })), {
    contentType: "text/event-stream",
    headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
  })
}

/** A cursor that is not a page's next_cursor is a bad request (not a store failure). */
const checkedCursor = (cursor: string | undefined) =>
  cursor !== undefined && Option.isNone(decodeAlertCursor(cursor))
    ? Effect.fail(BadRequest.field("cursor", "a cursor is the next_cursor of a previous page"))
    : Effect.void

/** The rule with the fields given changed. */
const changedRule = (current: AlertRule, payload: UpdateAlertRuleRequest): AlertRule =>
  AlertRule.make({
    ...current,
    ...Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== undefined))
  })

export const layer = HttpApiBuilder.group(MirageApi, "alerts", (handlers) =>
  Effect.gen(function*() {
    const store = yield* AlertStore
    const feed = yield* AlertFeed
    const channels = yield* Channels.handlers
    const rule = (organizationId: AlertRule["organization_id"], id: AlertRuleId) =>
      Effect.flatMap(store.rule(organizationId, id), found<AlertRule>(`alert rule ${id}`))
    return handlers
      .handle("listRules", () =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => store.rules(principal.organization_id)),
          Effect.map((items) => AlertRuleList.make({ items })),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("getRule", ({ path }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => rule(principal.organization_id, path.id)),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("createRule", ({ payload }) =>
        Effect.gen(function*() {
          const principal = yield* CurrentPrincipal
          const created = AlertRule.make({
            id: AlertRuleId.make(yield* randomUuid),
            organization_id: principal.organization_id,
            ...payload,
            created_at: DateTime.unsafeMake(yield* Clock.currentTimeMillis)
          })
          yield* store.putRule(created)
          return created
        }).pipe(
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("alert_rule.create", "alert-rule", { status: 201, detail: { name: payload.name } })
        ))
      .handle("updateRule", ({ path, payload }) =>
        Effect.gen(function*() {
          const principal = yield* CurrentPrincipal
          const current = yield* rule(principal.organization_id, path.id)
          const updated = changedRule(current, payload)
          yield* store.putRule(updated)
          return updated
        }).pipe(
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("alert_rule.update", `alert-rule/${path.id}`)
        ))
      .handle("deleteRule", ({ path }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => store.deleteRule(principal.organization_id, path.id)),
          Effect.flatMap(removed(`alert rule ${path.id}`)),
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("alert_rule.delete", `alert-rule/${path.id}`, { status: 204 })
        ))
      .handle("listChannels", channels.list)
      .handle("getChannel", channels.get)
      .handle("createChannel", channels.create)
      .handle("updateChannel", channels.update)
      .handle("deleteChannel", channels.remove)
      .handle("listAlerts", ({ urlParams }) =>
        Effect.zipRight(checkedCursor(urlParams.cursor), CurrentPrincipal).pipe(
          Effect.flatMap((principal) =>
            store.alerts({
              organization_id: principal.organization_id,
              limit: urlParams.limit,
              cursor: urlParams.cursor
            })
          ),
          Effect.map((page) => AlertPage.make(page)),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("alertEvents", () =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => feed.follow(principal.organization_id)),
          Effect.map(eventStream),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
  }))
