/**
 * One schedule's actor, run by the owner of the schedule's shard under the shard's epoch: at each due time it records
 * what the due time becomes (fenced, once per due time) and launches the run's scans, whose ids follow from the
 * schedule and the due time. A new owner starts where the records end: it launches what a crash left unlaunched,
 * and applies the catch-up policy to the due times nobody recorded.
 */
import type { ScanId } from "@mirage/domain/Ids"
import { runScanId } from "@mirage/domain/Schedule"
import type { RunOutcome } from "@mirage/domain/Schedule"
import { nextDue, outstanding } from "@mirage/domain/ScheduleCron"
import type { Outstanding } from "@mirage/domain/ScheduleCron"
import { Clock, DateTime, Duration, Effect, Metric, Schedule } from "effect"
import * as Metrics from "../../platform/Metrics.js"
import type { Fence } from "../../scans/EventStore.js"
import { ScheduleLauncher } from "./ScheduleLauncher.js"
import { ScheduleStore } from "./ScheduleStore.js"
import type { RunRecord, StoredSchedule } from "./ScheduleStore.js"
import type { ScheduleSettings } from "./Settings.js"

/** The actor's life: never ends on its own but with a stale epoch (the shard moved) or interruption. */
export const run = (stored: StoredSchedule, fence: Fence, settings: ScheduleSettings) =>
  Effect.gen(function*() {
    const store = yield* ScheduleStore
    const launcher = yield* ScheduleLauncher
    const schedule = stored.schedule
    const spec = { cron: schedule.cron, time_zone: schedule.time_zone }
    const progress = yield* store.progress(schedule.id)
    // Due times at or after `since` fire; the last record is where the previous tenure stopped.
    let after = Math.max(DateTime.toEpochMillis(schedule.since) - 1, progress.last?.due_at ?? -Infinity)
    let lastStarted: ReadonlyArray<ScanId> = progress.lastStarted?.scan_ids ?? []
    let queued: RunRecord | null = null

    const launch = (record: RunRecord) =>
      Effect.gen(function*() {
        yield* launcher.launch(stored, record.due_at, record.scan_ids)
        yield* store.launched(fence, schedule.id, record.due_at)
        lastStarted = record.scan_ids
      })

    const record = (due_at: number, outcome: RunOutcome, scan_ids: ReadonlyArray<ScanId>) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const entry = { schedule_id: schedule.id, due_at, outcome, scan_ids, recorded_at: now }
        const { existing } = yield* store.record(fence, entry)
        if (existing === null) {
          // From the due time to the record committed.
          const committed = yield* Clock.currentTimeMillis
          yield* Metric.update(Metrics.scheduleFireLag, Math.max(0, committed - due_at))
          yield* Metric.increment(Metrics.tagged(Metrics.scheduleFires, { outcome }))
        }
        return existing ?? { ...entry, launched: false }
      })

    /** What a due time becomes: missed, skipped or queued behind a run still going, or started. */
    const fire = ({ action, due_at }: Outstanding) =>
      Effect.gen(function*() {
        if (action === "missed") return yield* record(due_at, "missed", [])
        const scanIds = schedule.scan.targets.map((_, index) => runScanId(schedule.id, due_at, index))
        const busy = queued !== null || (lastStarted.length > 0 && (yield* launcher.running(stored, lastStarted)))
        const outcome: RunOutcome = !busy
          ? "started"
          : schedule.overlap === "queue_one" && queued === null
          ? "queued"
          : "skipped_overlap"
        const written = yield* record(due_at, outcome, outcome === "skipped_overlap" ? [] : scanIds)
        if (written.launched) lastStarted = written.scan_ids
        else if (written.outcome === "started") yield* launch(written)
        else if (written.outcome === "queued") queued = written
      })

    /** A queued run starts once the previous one has ended. */
    const drainQueue = Effect.gen(function*() {
      if (queued === null) return
      if (lastStarted.length > 0 && (yield* launcher.running(stored, lastStarted))) return
      yield* launch(queued)
      queued = null
    })

    for (const unlaunched of progress.unlaunched) {
      if (unlaunched.outcome === "started") yield* launch(unlaunched)
      else queued = unlaunched
    }

    const step = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const due = outstanding(spec, after, now, {
        catchUp: schedule.catch_up,
        graceMs: settings.graceMs,
        limit: settings.missedLimit
      })
      for (const item of due) {
        yield* fire(item)
        after = item.due_at
      }
      yield* drainQueue
      const next = nextDue(spec, Math.max(after, now))
      const wait = next === null ? settings.queuePollMs * 1000 : next - now
      yield* Effect.sleep(Duration.millis(queued === null ? wait : Math.min(wait, settings.queuePollMs)))
    })

    return yield* Effect.forever(
      step.pipe(
        Effect.retry({
          while: (error) => error._tag === "PersistenceError",
          schedule: Schedule.exponential(Duration.millis(200)).pipe(Schedule.union(Schedule.spaced("5 seconds")))
        })
      )
    )
  }).pipe(Effect.annotateLogs({ schedule_id: stored.schedule.id }))
