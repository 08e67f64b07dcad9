/**
 * The alert channels' handlers: every target passes the channel guard before it is stored (a refusal is a 400
 * naming the field), secrets are never answered, and each view says where the channel's deliveries stand.
 */
import { AlertChannelId, infoOf, noDeliveries, viewOf } from "@mirage/domain/AlertChannels"
import type {
  AlertChannel,
  ChannelInfo,
  CreateAlertChannelRequest,
  UpdateAlertChannelRequest
} from "@mirage/domain/AlertChannels"
import { AlertChannelList } from "@mirage/domain/api/AlertsApi"
import { CurrentPrincipal } from "@mirage/domain/api/Authentication"
import { BadRequest } from "@mirage/domain/api/Errors"
import { randomUuid } from "@mirage/domain/Ids"
import { AlertStore } from "@mirage/runtime/monitoring/alerts/AlertStore"
import { ChannelGuard } from "@mirage/runtime/monitoring/alerts/ChannelGuard"
import { Effect } from "effect"
import { audited } from "../Audited.js"
import * as Problem from "../Problem.js"
import { found, removed } from "./Answers.js"

export const handlers = Effect.gen(function*() {
  const store = yield* AlertStore
  const guard = yield* ChannelGuard
  /** A target whose address is out of scope, or not https, is a bad request naming the field. */
  const allowed = (target: AlertChannel["target"]) =>
    Effect.mapError(guard.check(target), (refused) => BadRequest.field(refused.field, refused.reason))
  const channel = (organizationId: AlertChannel["organization_id"], id: AlertChannelId) =>
    Effect.flatMap(store.channel(organizationId, id), found<ChannelInfo>(`alert channel ${id}`))
  /** The channel as answered, with where its deliveries stand. */
  const view = (info: ChannelInfo) =>
    Effect.map(store.deliveryStats(info.organization_id, [info.id]), (stats) => viewOf(info, stats.get(info.id)))

  const list = () =>
    Effect.gen(function*() {
      const principal = yield* CurrentPrincipal
      const items = yield* store.channels(principal.organization_id)
      const stats = yield* store.deliveryStats(principal.organization_id, items.map((item) => item.id))
      return AlertChannelList.make({ items: items.map((item) => viewOf(item, stats.get(item.id))) })
    }).pipe(Effect.catchTag("PersistenceError", Problem.unavailable))

  const get = ({ path }: { readonly path: { readonly id: AlertChannelId } }) =>
    CurrentPrincipal.pipe(
      Effect.flatMap((principal) => channel(principal.organization_id, path.id)),
      Effect.flatMap(view),
      Effect.catchTag("PersistenceError", Problem.unavailable)
    )

  const create = ({ payload }: { readonly payload: CreateAlertChannelRequest }) =>
    Effect.gen(function*() {
      const principal = yield* CurrentPrincipal
      yield* allowed(payload.target)
      const created: AlertChannel = {
        id: AlertChannelId.make(yield* randomUuid),
        organization_id: principal.organization_id,
        ...payload
      }
      yield* store.putChannel(created)
      return viewOf(infoOf(created), noDeliveries)
    }).pipe(
      Effect.catchTag("PersistenceError", Problem.unavailable),
      // The audit entry names the kind, never the target (it holds the secrets).
      audited("alert_channel.create", "alert-channel", {
        status: 201,
        detail: { name: payload.name, kind: payload.target._tag }
      })
    )

  const update = (
    { path, payload }: { readonly path: { readonly id: AlertChannelId }; readonly payload: UpdateAlertChannelRequest }
  ) =>
    Effect.gen(function*() {
      const principal = yield* CurrentPrincipal
      const changes = { name: payload.name, min_severity: payload.min_severity, enabled: payload.enabled }
      if (payload.target === undefined) {
        // The target stays as stored, secrets and all: never opened for a change that does not touch it. The patch
        // answers none for a channel that is not there (or not the organization's).
        const patched = yield* store.patchChannel(principal.organization_id, path.id, changes)
        return yield* view(yield* found<ChannelInfo>(`alert channel ${path.id}`)(patched))
      }
      // A new target replaces the old one whole.
      const current = yield* channel(principal.organization_id, path.id)
      yield* allowed(payload.target)
      const updated: AlertChannel = {
        id: current.id,
        organization_id: current.organization_id,
        name: payload.name ?? current.name,
        target: payload.target,
        min_severity: payload.min_severity ?? current.min_severity,
        enabled: payload.enabled ?? current.enabled
      }
      yield* store.putChannel(updated)
      return yield* view(infoOf(updated))
    }).pipe(
      Effect.catchTag("PersistenceError", Problem.unavailable),
      audited("alert_channel.update", `alert-channel/${path.id}`)
    )

  const remove = ({ path }: { readonly path: { readonly id: AlertChannelId } }) =>
    CurrentPrincipal.pipe(
      Effect.flatMap((principal) => store.deleteChannel(principal.organization_id, path.id)),
      Effect.flatMap(removed(`alert channel ${path.id}`)),
      Effect.catchTag("PersistenceError", Problem.unavailable),
      audited("alert_channel.delete", `alert-channel/${path.id}`, { status: 204 })
    )

  return { list, get, create, update, remove }
})
