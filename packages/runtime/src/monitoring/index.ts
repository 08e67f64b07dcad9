/**
 * Monitoring: what runs scans again and watches what they find over time.
 *
 * Schedules launch recurring scans (`schedules/`: the ScheduleService use cases, a ScheduleActor per schedule run
 * by its shard's owner under the shard's epoch, the ScheduleHost that follows the node's leases, the
 * ScheduleLauncher that turns a due time into scans, and the fenced ScheduleStore). Each completed run is applied to
 * its series' asset inventory (`inventory/`: Inventory, Runs), and the Monitor evaluates the organization's alert
 * rules against the change and delivers what is raised to the AlertFeed and the Channels, SMTP included
 * (`alerts/`: AlertStore, AlertFeed, Channels, Monitor, Smtp). Correlation rules run on each scan's results as they
 * arrive (`correlation/`: Correlator, RuleFile). Retention purges the runs an organization's policy no longer keeps
 * (`retention/`).
 */
export * as AlertFeed from "./alerts/AlertFeed.js"
export * as AlertStore from "./alerts/AlertStore.js"
export * as Channels from "./alerts/Channels.js"
export * as Monitor from "./alerts/Monitor.js"
export * as Smtp from "./alerts/Smtp.js"
export * as Correlator from "./correlation/Correlator.js"
export * as RuleFile from "./correlation/RuleFile.js"
export * as Inventory from "./inventory/Inventory.js"
export * as Runs from "./inventory/Runs.js"
export * as Retention from "./retention/Retention.js"
export * as ScheduleActor from "./schedules/ScheduleActor.js"
export * as ScheduleHost from "./schedules/ScheduleHost.js"
export * as ScheduleLauncher from "./schedules/ScheduleLauncher.js"
export * as ScheduleService from "./schedules/ScheduleService.js"
export * as ScheduleStore from "./schedules/ScheduleStore.js"
