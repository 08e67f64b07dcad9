/**
 * Every setting of every Mirage process, declared where it belongs and gathered here: what `mirage config` prints and
 * the README's configuration table shows. The development tools' settings (testkit's declarations only, not the
 * fixture world) are listed too, so that no variable read anywhere goes unlisted.
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
import "@mirage/testkit/Settings"
import "./Settings.js"

export { declarations, effective } from "@mirage/runtime/platform/Setting"
