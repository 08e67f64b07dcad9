/**
 * Retention of old runs: an organization keeps the last N runs of each series and/or the runs of the last D days;
 * the results and events of older runs are purged. Only ended runs are ever purged, never the latest ended run of
 * a series, and never a run someone else still needs (the inventory, a scan that depends on it).
 */
import { Schema } from "effect"
import type { ScanId } from "./Ids.js"

export class RetentionPolicy extends Schema.Class<RetentionPolicy>("RetentionPolicy")({
  /** Runs kept per series (scans with the same target), newest first; null: no limit by count. */
  keep_runs: Schema.NullOr(Schema.Int.pipe(Schema.between(1, 100_000))),
  /** Runs younger than this many days are kept; null: no limit by age. */
  keep_days: Schema.NullOr(Schema.Int.pipe(Schema.between(1, 36_500)))
}) {}

/** A run as retention sees it. */
export interface RetainedRun {
  readonly id: ScanId
  /** The series it belongs to (organization and target). */
  readonly series: string
  readonly created_at: number
  /** Null while the run has not ended (created, queued, running or paused). */
  readonly ended_at: number | null
}

const dayMs = 86_400_000

/** The runs the policy lets go, given the ones that must stay whatever the policy says. */
export const expiredRuns = (
  runs: ReadonlyArray<RetainedRun>,
  policy: RetentionPolicy,
  now: number,
  needed: ReadonlySet<ScanId>
): ReadonlyArray<ScanId> => {
  if (policy.keep_runs === null && policy.keep_days === null) return []
  const bySeries = new Map<string, Array<RetainedRun>>()
  for (const run of runs) {
    const list = bySeries.get(run.series) ?? []
    list.push(run)
    bySeries.set(run.series, list)
  }
  const expired: Array<ScanId> = []
  for (const list of bySeries.values()) {
    const newestFirst = [...list].sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1))
    const latestEnded = newestFirst.find((run) => run.ended_at !== null)
    newestFirst.forEach((run, index) => {
      if (run.ended_at === null || run === latestEnded || needed.has(run.id)) return
      const tooMany = policy.keep_runs !== null && index >= policy.keep_runs
      const tooOld = policy.keep_days !== null && run.ended_at < now - policy.keep_days * dayMs
      if (tooMany || tooOld) expired.push(run.id)
    })
  }
  return expired
}
