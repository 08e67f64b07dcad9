/** The quotas endpoints, for the organization's admins: read the quotas with their defaults, override them (audited). */
import { HttpApiBuilder } from "@effect/platform"
import { MirageApi } from "@mirage/domain/api/Api"
import { OrganizationQuotas, QuotaValues } from "@mirage/domain/api/QuotasApi"
import type { OrganizationId } from "@mirage/domain/Ids"
import { QuotaConfig, ScanQuotas } from "@mirage/runtime/scans/Quotas"
import type { QuotaLimits } from "@mirage/runtime/scans/Quotas"
import { Effect } from "effect"
import { audited, requireAdmin } from "../Audited.js"
import * as Problem from "../Problem.js"

const names = ["max_running_scans", "max_concurrent_tasks"] as const

export const layer = HttpApiBuilder.group(MirageApi, "quotas", (handlers) =>
  Effect.gen(function*() {
    const quotas = yield* ScanQuotas
    const defaults: QuotaLimits = yield* QuotaConfig
    const read = (organizationId: OrganizationId) =>
      Effect.map(quotas.overrides(organizationId), (overrides) =>
        OrganizationQuotas.make({
          max_running_scans: overrides.max_running_scans ?? defaults.max_running_scans,
          max_concurrent_tasks: overrides.max_concurrent_tasks ?? defaults.max_concurrent_tasks,
          defaults: QuotaValues.make(defaults),
          overridden: names.filter((name) => overrides[name] !== null)
        }))
    return handlers
      .handle("get", () =>
        Effect.gen(function*() {
          const admin = yield* requireAdmin
          return yield* read(admin.organization_id)
        }).pipe(Effect.catchTag("PersistenceError", Problem.unavailable)))
      .handle("update", ({ payload }) =>
        Effect.gen(function*() {
          const admin = yield* requireAdmin
          const current = yield* quotas.overrides(admin.organization_id)
          // An absent field keeps its override; null clears it.
          yield* quotas.override(admin.organization_id, {
            max_running_scans: payload.max_running_scans === undefined
              ? current.max_running_scans
              : payload.max_running_scans,
            max_concurrent_tasks: payload.max_concurrent_tasks === undefined
              ? current.max_concurrent_tasks
              : payload.max_concurrent_tasks
          })
          return yield* read(admin.organization_id)
        }).pipe(
          Effect.catchTag("PersistenceError", Problem.unavailable),
          audited("quota.update", "quotas", {
            detail: {
              ...(payload.max_running_scans === undefined ? {} : { max_running_scans: payload.max_running_scans }),
              ...(payload.max_concurrent_tasks === undefined
                ? {}
                : { max_concurrent_tasks: payload.max_concurrent_tasks })
            }
          })
        ))
  }))
