/**
 * The alerts endpoints: rules and channels (organization-scoped; changes audited, and refused to viewer keys by
 * the authentication middleware), the alerts raised and their live stream. Channel secrets are never answered.
 */
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { AlertChannelId, viewOf } from "@mirage/domain/AlertChannels"
import type { AlertChannel, UpdateAlertChannelRequest } from "@mirage/domain/AlertChannels"
import { Alert, AlertRule, AlertRuleId } from "@mirage/domain/Alerts"
import type { UpdateAlertRuleRequest } from "@mirage/domain/Alerts"
import { AlertChannelList, AlertPage, AlertRuleList } from "@mirage/domain/api/AlertsApi"
import { MirageApi } from "@mirage/domain/api/Api"
import { CurrentPrincipal } from "@mirage/domain/api/Authentication"
import { BadRequest, NotFound } from "@mirage/domain/api/Errors"
import { randomUuid } from "@mirage/domain/Ids"
import { AlertFeed } from "@mirage/runtime/monitoring/alerts/AlertFeed"
import { AlertStore, decodeAlertCursor } from "@mirage/runtime/monitoring/alerts/AlertStore"
import { Clock, DateTime, Effect, Option, Schedule, Schema, Stream } from "effect"
import { audited } from "../Audited.js"
import * as Problem from "../Problem.js"

const encodeAlert = Schema.encodeSync(Alert)

const found = <A>(what: string) => (option: Option.Option<A>) =>
  Option.match(option, {
    onNone: () => Effect.fail(new NotFound({ detail: `no ${what}` })),
    onSome: Effect.succeed
  })

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

/** 204 when there was such a thing to delete, else 404. */
const removed = (what: string) => (deleted: boolean) =>
  deleted
    ? Effect.succeed(HttpServerResponse.empty({ status: 204 }))
    : Effect.fail(new NotFound({ detail: `no ${what}` }))

/** The channel with the fields given changed (a new target replaces the old one whole). */
const changedChannel = (current: AlertChannel, payload: UpdateAlertChannelRequest): AlertChannel => ({
  ...current,
  ...(payload.name === undefined ? {} : { name: payload.name }),
  ...(payload.target === undefined ? {} : { target: payload.target }),
  ...(payload.min_severity === undefined ? {} : { min_severity: payload.min_severity }),
  ...(payload.enabled === undefined ? {} : { enabled: payload.enabled })
})

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
    const rule = (organizationId: AlertRule["organization_id"], id: AlertRuleId) =>
      Effect.flatMap(store.rule(organizationId, id), found<AlertRule>(`alert rule ${id}`))
    const channel = (organizationId: AlertChannel["organization_id"], id: AlertChannelId) =>
      Effect.flatMap(store.channel(organizationId, id), found<AlertChannel>(`alert channel ${id}`))
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
      .handle("listChannels", () =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => store.channels(principal.organization_id)),
          Effect.map((items) => AlertChannelList.make({ items: items.map(viewOf) })),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("getChannel", ({ path }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => channel(principal.organization_id, path.id)),
          Effect.map(viewOf),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("createChannel", ({ payload }) =>
        Effect.gen(function*() {
          const principal = yield* CurrentPrincipal
          const created: AlertChannel = {
            id: AlertChannelId.make(yield* randomUuid),
            organization_id: principal.organization_id,
            ...payload
          }
          yield* store.putChannel(created)
          return viewOf(created)
        }).pipe(
          Effect.catchTag("PersistenceError", Problem.unavailable),
          // The audit entry names the kind, never the target (it holds the secrets).
          audited("alert_channel.create", "alert-channel", {
            status: 201,
            detail: { name: payload.name, kind: payload.target._tag }
          })
        ))
      .handle("updateChannel", ({ path, payload }) =>
        Effect.gen(function*() {
          const principal = yield* CurrentPrincipal
          const current = yield* channel(principal.organization_id, path.id)
          const updated = changedChannel(current, payload)
          yield* store.putChannel(updated)
          return viewOf(updated)
        }).pipe(
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("alert_channel.update", `alert-channel/${path.id}`)
        ))
      .handle("deleteChannel", ({ path }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => store.deleteChannel(principal.organization_id, path.id)),
          Effect.flatMap(removed(`alert channel ${path.id}`)),
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("alert_channel.delete", `alert-channel/${path.id}`, { status: 204 })
        ))
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
