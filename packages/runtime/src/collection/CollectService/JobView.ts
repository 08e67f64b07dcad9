/**
 * A standalone job as `/collect` shows it: its one task as the seed's CollectionTask (from the job, its scan and
 * the task's own error), its collection log entries, and the scan's validation errors named as the request
 * named the fields.
 */
import type { LogEntry } from "@mirage/domain/api/CollectApi"
import { BadRequest } from "@mirage/domain/api/Errors"
import { CollectionTask } from "@mirage/domain/CollectionTask"
import type { TaskStatus } from "@mirage/domain/CollectionTask"
import { TaskId } from "@mirage/domain/Ids"
import type { ModuleId } from "@mirage/domain/Ids"
import type { Scan } from "@mirage/domain/Scan"
import { DateTime } from "effect"
import type { CollectionLogEntry } from "../CollectionLog.js"
import type { JobRecord } from "../JobStore.js"

/** The scan's fields as the request named them: `modules[0].config` is the request's `module_config`. */
const requestField = (field: string): string =>
  field.startsWith("modules[0].config")
    ? field.replace("modules[0].config", "module_config")
    : field.startsWith("modules")
    ? "module_id"
    : field.startsWith("configuration.")
    ? field.replace("configuration.", "config.")
    : field

export const renamed = (error: BadRequest): BadRequest => {
  const errors = error.errors.map((e) => ({ field: requestField(e.field), message: e.message }))
  return new BadRequest({ detail: errors.map((e) => `${e.field}: ${e.message}`).join("; "), errors })
}

/** The job's single task as the seed's CollectionTask, from its scan and (when it ended) the task's own error. */
export const toTask = (job: JobRecord, scan: Scan, queued: boolean, taskError: string | null): CollectionTask => {
  const failed = taskError !== null && scan.result_count === 0
  const timedOut = scan.status === "COMPLETED" && scan.status_reason === "max_duration"
  const status: TaskStatus = queued || scan.status === "CREATED"
    ? "QUEUED"
    : scan.status === "RUNNING" || scan.status === "PAUSED"
    ? "RUNNING"
    : scan.status === "CANCELLED"
    ? "CANCELLED"
    : scan.status === "FAILED" || failed || timedOut
    ? "FAILED"
    : "COMPLETED"
  const error = status === "FAILED"
    ? taskError ?? (timedOut ? `timed out after ${job.timeout_seconds} s` : scan.status_reason ?? "failed")
    : null
  const module = scan.modules[0]
  return CollectionTask.make({
    id: TaskId.make(scan.id),
    scan_id: null,
    module_id: module === undefined ? ("" as ModuleId) : module.id,
    target: scan.target,
    status,
    config: { timeout: job.timeout_seconds, max_results: job.max_results, use_proxy: job.use_proxy, api_key: null },
    created_at: scan.created_at,
    started_at: scan.started_at,
    completed_at: status === "QUEUED" || status === "RUNNING" ? null : scan.completed_at ?? scan.updated_at,
    result_count: scan.result_count,
    error
  })
}

export const toLogEntry = (entry: CollectionLogEntry): LogEntry => {
  const { at, owner: _owner, scan_id: _scan, ...rest } = entry
  return { ...rest, at: DateTime.unsafeMake(at) }
}
