/**
 * Runs one collection task: a module on one entity. The real executor wraps modules with rate
 * limits, retries, credentials and the cache; simulations use a deterministic twin.
 */
import type { Entity } from "@mirage/domain/Entity"
import type { Finding } from "@mirage/domain/Findings"
import type { ModuleId, TaskId } from "@mirage/domain/Ids"
import type { Priority } from "@mirage/domain/Scan"
import { Context, Data } from "effect"
import type { Effect, Redacted } from "effect"

export interface TaskSpec {
  readonly task_id: TaskId
  /** The scan id, or the standalone job's own id: what results are unique within. */
  readonly owner: string
  readonly scan_id: string | null
  readonly module_id: ModuleId
  readonly entity: Entity
  readonly config: Readonly<Record<string, unknown>>
  readonly priority: Priority
  readonly timeout_ms: number
  readonly use_proxy?: boolean
  /** At most this many findings are returned; more makes the task's outcome `result_limited`. */
  readonly max_results?: number
  readonly api_key?: Redacted.Redacted<string>
  /** W3C trace context of the scan, so module spans join the scan's trace. */
  readonly traceparent?: string
}

/** What a module found, before normalization and dedup: the domain's, which decides what findings become. */
export type { Finding }

export type TaskOutcomeKind = "failed" | "auth_failed" | "rate_limited" | "timed_out" | "bad_config"

export class TaskFailure extends Data.TaggedError("TaskFailure")<{
  readonly kind: TaskOutcomeKind
  readonly reason: string
}> {
  override get message() {
    return `${this.kind}: ${this.reason}`
  }
}

export interface TaskExecutorService {
  readonly run: (task: TaskSpec) => Effect.Effect<ReadonlyArray<Finding>, TaskFailure>
}

export class TaskExecutor extends Context.Tag("@mirage/runtime/TaskExecutor")<TaskExecutor, TaskExecutorService>() {}
