/** The assets endpoints: the inventory, run differences and the retention policy (changed by admins, audited). */
import { HttpApiBuilder } from "@effect/platform"
import { MirageApi } from "@mirage/domain/api/Api"
import { AssetPage, AssetView } from "@mirage/domain/api/AssetsApi"
import { CurrentPrincipal } from "@mirage/domain/api/Authentication"
import { BadRequest } from "@mirage/domain/api/Errors"
import { RetentionPolicy } from "@mirage/domain/Retention"
import { decodeAssetCursor, Inventory } from "@mirage/runtime/monitoring/inventory/Inventory"
import type { Asset } from "@mirage/runtime/monitoring/inventory/Inventory"
import { getPolicy, putPolicy } from "@mirage/runtime/monitoring/retention/Retention"
import type { PgClient } from "@mirage/runtime/platform/PgClient"
import type { ResultStore } from "@mirage/runtime/scans/ResultStore"
import type { ScanReadModel } from "@mirage/runtime/scans/ScanReadModel"
import { DateTime, Effect, Either, Option } from "effect"
import { audited, requireAdmin } from "../Audited.js"
import * as Diff from "../Diffs/Diff.js"
import * as Problem from "../Problem.js"

const view = (asset: Asset) =>
  AssetView.make({
    target: { type: asset.target_type, value: asset.target_value },
    type: asset.type,
    value: asset.value,
    status: asset.status,
    first_seen: DateTime.unsafeMake(asset.first_seen),
    last_seen: DateTime.unsafeMake(asset.last_seen),
    scans: asset.scans,
    expires_at: asset.expires_at === null ? null : DateTime.unsafeMake(asset.expires_at)
  })

export const layer = HttpApiBuilder.group(MirageApi, "assets", (handlers) =>
  Effect.gen(function*() {
    const inventory = yield* Inventory
    // The diff and the policy read their stores through the services of the gateway's layer.
    const context = yield* Effect.context<ScanReadModel | ResultStore | PgClient | Inventory>()
    return handlers
      .handle("list", ({ urlParams }) =>
        Effect.gen(function*() {
          const principal = yield* CurrentPrincipal
          const cursor = urlParams.cursor === undefined ? undefined : yield* Either.mapLeft(
            decodeAssetCursor(urlParams.cursor),
            () => BadRequest.field("cursor", "a cursor is the next_cursor of a previous page")
          )
          const page = yield* inventory.list({
            organization_id: principal.organization_id,
            target: urlParams.target,
            type: urlParams.type,
            status: urlParams.status,
            cursor,
            limit: urlParams.limit
          })
          return AssetPage.make({ items: page.items.map(view), next_cursor: page.next_cursor })
        }).pipe(Effect.catchTag("PersistenceError", Problem.unavailable)))
      .handle("diff", ({ path, urlParams }) =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => Diff.diff(principal.organization_id, path.id, urlParams.against)),
          Effect.provide(context),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("getRetention", () =>
        CurrentPrincipal.pipe(
          Effect.flatMap((principal) => getPolicy(principal.organization_id)),
          Effect.provide(context),
          Effect.map(Option.getOrElse(() => RetentionPolicy.make({ keep_runs: null, keep_days: null }))),
          Effect.catchTag("PersistenceError", Problem.unavailable)
        ))
      .handle("putRetention", ({ payload }) =>
        requireAdmin.pipe(
          Effect.flatMap((principal) => putPolicy(principal.organization_id, payload)),
          Effect.provide(context),
          Effect.as(payload),
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("retention.update", "retention", {
            detail: { keep_runs: payload.keep_runs, keep_days: payload.keep_days }
          })
        ))
  }))
