/**
 * Every setting of every Mirage process, declared where it belongs and gathered here: what `mirage config` prints and
 * the README's configuration table shows.
 */
import "@mirage/gateway/Settings"
import "@mirage/node/Settings"
import "@mirage/runtime/cluster/Settings"
import "@mirage/runtime/collection/Settings"
import "@mirage/runtime/monitoring/alerts/Settings"
import "@mirage/runtime/monitoring/Settings"
import "@mirage/runtime/monitoring/schedules/Settings"
import "@mirage/runtime/platform/Settings"
import "@mirage/runtime/monitoring/retention/Settings"
import "@mirage/runtime/scans/Settings"
import "./Settings.js"

export { declarations, effective } from "@mirage/runtime/platform/Setting"
