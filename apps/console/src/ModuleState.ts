/** What a scan's module is doing now, from its task counts and its source's state. */
import type { Source } from "@mirage/domain/api/CollectApi"
import type { ModuleProgress } from "@mirage/domain/ScanProgress"
import * as Format from "./Format.js"

export type ModuleRow = typeof ModuleProgress.Encoded
type SourceJson = typeof Source.Encoded

export interface ModuleState {
  readonly state: "rate_limited" | "running" | "queued" | "failed" | "done" | "waiting"
  readonly text: string
  readonly detail?: string
}

/**
 * What a module is doing, from its task counts and its source's state. A failure shows the module's own task error in
 * this scan; the source's last error (which may come from another scan) only when an older node sent no task error.
 */
export const stateOf = (m: ModuleRow, source: SourceJson | undefined, now: number): ModuleState => {
  const pending = m.queued + m.running
  const until = source?.rate_limited_until ? Date.parse(source.rate_limited_until) : Number.NaN
  if (pending > 0 && source?.state === "rate_limited" && until > now) {
    return { state: "rate_limited", text: `rate-limited until ${Format.time(source.rate_limited_until)}` }
  }
  if (m.running > 0) return { state: "running", text: "running" }
  if (m.queued > 0) return { state: "queued", text: "queued" }
  if (m.failed > 0) {
    const reason = m.last_error ?? source?.last_error ?? undefined
    return { state: "failed", text: `failed (${m.failed})`, ...(reason === undefined ? {} : { detail: reason }) }
  }
  if (m.completed + m.cancelled > 0) return { state: "done", text: "done" }
  return { state: "waiting", text: "waiting" }
}
