/** The settings of retention and of alert deliveries. */
import * as Setting from "../../platform/Setting.js"

export const retentionEvery = Setting.millis("monitoring", "MIRAGE_RETENTION_EVERY_MS", {
  default: "1 hour",
  description: "How often a node applies the organizations' retention policies to old runs"
})
