/** The implemented API: every group's handlers, with the security middleware and the stores they need. */
import { HttpApiBuilder } from "@effect/platform"
import { MirageApi } from "@mirage/domain/api/Api"
import * as AlertFeedRedis from "@mirage/runtime/monitoring/alerts/AlertFeed/Redis"
import * as AlertStorePostgres from "@mirage/runtime/monitoring/alerts/AlertStore/Postgres"
import * as RuleStorePostgres from "@mirage/runtime/monitoring/correlation/RuleStore/Postgres"
import * as InventoryPostgres from "@mirage/runtime/monitoring/inventory/Postgres"
import * as ScheduleService from "@mirage/runtime/monitoring/schedules/ScheduleService"
import * as ProgressFeedRedis from "@mirage/runtime/scans/ProgressFeed/Redis"
import * as QuotasPostgres from "@mirage/runtime/scans/Quotas/Postgres"
import * as TemplateService from "@mirage/runtime/scans/TemplateService"
import * as AuditPostgres from "@mirage/runtime/tenancy/Audit/Postgres"
import { Layer } from "effect"
import * as Alerts from "./Alerts/Http.js"
import * as ApiKeys from "./ApiKeys/Http.js"
import * as Assets from "./Assets/Http.js"
import * as Audit from "./Audit/Http.js"
import * as Auth from "./Auth.js"
import * as Collect from "./Collect/Http.js"
import * as CorrelationRules from "./CorrelationRules/Http.js"
import * as Health from "./Health/Http.js"
import * as Modules from "./Modules/Http.js"
import * as Quotas from "./Quotas/Http.js"
import * as Scans from "./Scans/Http.js"
import * as Schedules from "./Schedules/Http.js"
import * as Templates from "./Templates/Http.js"

/**
 * Needs ScanService, ApiKeys, ModuleCatalog, ScanReadModel, ResultStore, PgClient (audit log, templates, the
 * inventory and alert rules are in Postgres), RedisClient (live progress and alerts), and for alert channels the
 * ChannelGuard and the ChannelCipher.
 */
export const layer = HttpApiBuilder.api(MirageApi).pipe(
  Layer.provide([
    Health.layer,
    Layer.mergeAll(
      Scans.layer,
      Templates.layer,
      Schedules.layer,
      Audit.layer,
      ApiKeys.layer,
      Quotas.layer.pipe(Layer.provide(QuotasPostgres.layer)),
      Collect.layer,
      Modules.layer,
      Assets.layer,
      Alerts.layer,
      CorrelationRules.layer
    ).pipe(Layer.provide(Auth.layer))
  ]),
  Layer.provide(TemplateService.layer),
  Layer.provide(ScheduleService.layer),
  Layer.provide(AuditPostgres.layer),
  Layer.provide(ProgressFeedRedis.layer),
  Layer.provide([InventoryPostgres.layer, AlertStorePostgres.layer, AlertFeedRedis.layer, RuleStorePostgres.layer])
)
