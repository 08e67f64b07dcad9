/** The scans' settings: actors, group commit, quotas, commands, webhooks. */
import * as Setting from "../platform/Setting.js"

export const scanConcurrency = Setting.integer("scans", "MIRAGE_SCAN_CONCURRENCY", {
  default: 16,
  description: "Tasks one scan runs at once"
})
export const snapshotEvery = Setting.integer("scans", "MIRAGE_SNAPSHOT_EVERY", {
  default: 200,
  description: "Events between two snapshots of a scan's state"
})
export const journalBatch = Setting.integer("scans", "MIRAGE_JOURNAL_BATCH", {
  default: 512,
  description: "Event appends written in one PostgreSQL transaction at most"
})
export const journalWriters = Setting.integer("scans", "MIRAGE_JOURNAL_WRITERS", {
  default: 1,
  description: "Event append transactions a node runs at once"
})
export const resultBatch = Setting.integer("scans", "MIRAGE_RESULT_BATCH", {
  default: 2000,
  description: "Results written in one insertMany at most"
})
export const resultWriters = Setting.integer("scans", "MIRAGE_RESULT_WRITERS", {
  default: 1,
  description:
    "Result batches a node writes at once (each an insertMany and its read copy): with one, what arrives during a write goes out together in the next"
})
export const maxRunningScans = Setting.integer("scans", "MIRAGE_MAX_RUNNING_SCANS", {
  default: 10,
  description: "Scans of one organization running (or paused) at once, unless overridden per organization"
})
export const maxConcurrentTasks = Setting.integer("scans", "MIRAGE_MAX_CONCURRENT_TASKS", {
  default: 64,
  description: "Tasks of one organization running at once over all nodes, unless overridden"
})
export const quotaReconcile = Setting.millis("scans", "MIRAGE_QUOTA_RECONCILE_MS", {
  default: "2 seconds",
  description: "How often a node reconciles the organizations' running-scan counts"
})
export const quotaReconcileAfter = Setting.millis("scans", "MIRAGE_QUOTA_RECONCILE_AFTER_MS", {
  default: "5 seconds",
  description: "How old an admission must be before reconciliation may release it"
})
export const commandWait = Setting.millis("scans", "MIRAGE_COMMAND_WAIT_MS", {
  default: "5 seconds",
  description: "How long a command request waits for its node's answer before 202"
})
export const projectionWait = Setting.millis("scans", "MIRAGE_PROJECTION_WAIT_MS", {
  default: "2 seconds",
  description: "How long an applied command waits for the read model to show it"
})
export const webhookRetryBase = Setting.millis("scans", "MIRAGE_WEBHOOK_RETRY_BASE_MS", {
  default: "1 second",
  description: "First delay before a failed webhook delivery is tried again (doubling)"
})
export const webhookRetryMax = Setting.millis("scans", "MIRAGE_WEBHOOK_RETRY_MAX_MS", {
  default: "5 minutes",
  description: "Longest delay between two tries of a webhook delivery"
})
export const webhookRetries = Setting.integer("scans", "MIRAGE_WEBHOOK_RETRIES", {
  default: 8,
  description: "Tries of a webhook delivery after the first"
})
export const webhookConcurrency = Setting.integer("scans", "MIRAGE_WEBHOOK_CONCURRENCY", {
  default: 8,
  description: "Webhook deliveries a node sends at once"
})
export const webhookQueue = Setting.integer("scans", "MIRAGE_WEBHOOK_QUEUE", {
  default: 10_000,
  description: "Webhook deliveries a node holds waiting at most"
})
export const stagedSweep = Setting.millis("scans", "MIRAGE_STAGED_SWEEP_MS", {
  default: "10 seconds",
  description: "How often a node settles the staged webhook and dependency changes of updates"
})
export const stagedSweepAfter = Setting.millis("scans", "MIRAGE_STAGED_SWEEP_AFTER_MS", {
  default: "10 seconds",
  description:
    "How old a staged change must be before the sweep looks at it (younger ones are left to the node storing its update)"
})
export const stagedDiscardAfter = Setting.millis("scans", "MIRAGE_STAGED_DISCARD_AFTER_MS", {
  default: "1 day",
  description:
    "How old a staged change whose update is not stored must be before it is discarded (updates carrying one are refused after half)"
})
