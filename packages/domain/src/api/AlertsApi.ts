/** Alert rules and channels (CRUD, organization-scoped, audited), the alerts raised, and their live stream. */
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import {
  AlertChannelId,
  AlertChannelView,
  CreateAlertChannelRequest,
  UpdateAlertChannelRequest
} from "../AlertChannels.js"
import { Alert, AlertRule, AlertRuleId, CreateAlertRuleRequest, UpdateAlertRuleRequest } from "../Alerts.js"
import { Authentication } from "./Authentication.js"
import { documented } from "./Documented.js"
import { allErrors, Problems, strictBody } from "./Errors.js"
import { PageParams } from "./Query.js"

export class AlertRuleList extends Schema.Class<AlertRuleList>("AlertRuleList")({ items: Schema.Array(AlertRule) }) {}
export class AlertChannelList extends Schema.Class<AlertChannelList>("AlertChannelList")({
  items: Schema.Array(AlertChannelView)
}) {}
export class AlertPage extends Schema.Class<AlertPage>("AlertPage")({
  items: Schema.Array(Alert),
  next_cursor: Schema.NullOr(Schema.String)
}) {}

/** The body of GET /alerts/events: Server-Sent Events, each `data:` an Alert. */
export const AlertEventStream = HttpApiSchema.Text({ contentType: "text/event-stream" }).annotations({
  identifier: "AlertEventStream",
  description: "Server-Sent Events; `event: alert`, `id:` the alert id, `data:` an Alert"
})

const ruleId = HttpApiSchema.param("id", AlertRuleId)
const channelId = HttpApiSchema.param("id", AlertChannelId)

export class AlertsApi extends HttpApiGroup.make("alerts")
  .add(
    HttpApiEndpoint.get("listRules", "/alert-rules").addSuccess(AlertRuleList).annotate(OpenApi.Summary, "Alert rules")
  )
  .add(
    HttpApiEndpoint.post("createRule", "/alert-rules")
      .setPayload(CreateAlertRuleRequest.annotations(strictBody))
      .addSuccess(AlertRule, { status: 201 })
      .annotate(OpenApi.Summary, "Create an alert rule")
      .annotate(
        OpenApi.Description,
        "Conditions: `new_entity` (types, `under_root`: only DOMAINs under the run's root domain), `entity_gone` " +
          "(types), `certificate_expiring` (`within_days`). A series' first run is its baseline: it raises no " +
          "`new_entity` alert. With `digest`, one alert per run carries every entity of the rule."
      )
      .annotate(
        OpenApi.Transform,
        documented({
          example: {
            name: "New subdomain",
            condition: { _tag: "new_entity", types: ["DOMAIN"], under_root: true },
            severity: "high"
          }
        })
      )
  )
  .add(
    HttpApiEndpoint.get("getRule")`/alert-rules/${ruleId}`.addSuccess(AlertRule).addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "Get an alert rule")
  )
  .add(
    HttpApiEndpoint.patch("updateRule")`/alert-rules/${ruleId}`
      .setPayload(UpdateAlertRuleRequest.annotations(strictBody))
      .addSuccess(AlertRule)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "Change an alert rule (only the fields given)")
      .annotate(OpenApi.Transform, documented({ example: { severity: "critical", digest: true } }))
  )
  .add(
    HttpApiEndpoint.del("deleteRule")`/alert-rules/${ruleId}`
      .addSuccess(HttpApiSchema.NoContent)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "Delete an alert rule")
  )
  .add(
    HttpApiEndpoint.get("listChannels", "/alert-channels")
      .addSuccess(AlertChannelList)
      .annotate(OpenApi.Summary, "Alert channels (secrets redacted), with where their deliveries stand")
  )
  .add(
    HttpApiEndpoint.post("createChannel", "/alert-channels")
      .setPayload(CreateAlertChannelRequest.annotations(strictBody))
      .addSuccess(AlertChannelView, { status: 201 })
      .annotate(OpenApi.Summary, "Create an alert channel")
      .annotate(
        OpenApi.Description,
        "Targets: `webhook` (url, secret: HMAC-SHA256 signed like scan webhooks), `slack`, `teams`, `discord` " +
          "(webhook_url), `telegram` (bot_token, chat_id), `email` (SMTP host, port, secure, tls: `starttls` " +
          "(default, required) or `none`, ca, username, password, from, to). Alerts below `min_severity` are not " +
          "sent. URLs must be https (http only to loopback unless the operator allows it) and no address may be " +
          "private, loopback, link-local or reserved unless the operator allows the network: a refusal is a 400 " +
          "naming the field. Secrets are sealed at rest and never answered: views show `[redacted]`, and " +
          "`deliveries` (pending, sent, failed, the last failure's reason)."
      )
      .annotate(
        OpenApi.Transform,
        documented({
          example: {
            name: "SOC Slack",
            target: { _tag: "slack", webhook_url: "https://hooks.slack.com/services/T000/B000/XXXX" },
            min_severity: "high"
          }
        })
      )
  )
  .add(
    HttpApiEndpoint.get("getChannel")`/alert-channels/${channelId}`.addSuccess(AlertChannelView)
      .addError(Problems.NotFound).annotate(OpenApi.Summary, "Get an alert channel (secrets redacted)")
  )
  .add(
    HttpApiEndpoint.patch("updateChannel")`/alert-channels/${channelId}`
      .setPayload(UpdateAlertChannelRequest.annotations(strictBody))
      .addSuccess(AlertChannelView)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "Change an alert channel (a new target replaces the old one whole)")
      .annotate(OpenApi.Transform, documented({ example: { min_severity: "medium", enabled: false } }))
  )
  .add(
    HttpApiEndpoint.del("deleteChannel")`/alert-channels/${channelId}`
      .addSuccess(HttpApiSchema.NoContent)
      .addError(Problems.NotFound)
      .annotate(OpenApi.Summary, "Delete an alert channel")
  )
  .add(
    HttpApiEndpoint.get("listAlerts", "/alerts")
      .setUrlParams(PageParams.annotations(allErrors))
      .addSuccess(AlertPage)
      .annotate(OpenApi.Summary, "Alerts raised, newest first")
  )
  .add(
    HttpApiEndpoint.get("alertEvents", "/alerts/events")
      .addSuccess(AlertEventStream)
      .annotate(OpenApi.Summary, "Alerts as they are raised, as Server-Sent Events")
  )
  .middleware(Authentication)
  .addError(Problems.Forbidden)
  .addError(Problems.ServiceUnavailable)
  .annotate(OpenApi.Title, "Alerts")
{}
