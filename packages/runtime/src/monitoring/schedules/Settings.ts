/** The schedules' settings: how late a due time may fire, how nodes pick up changes, how a queued run waits. */
import { Config, Duration } from "effect"
import * as Setting from "../../platform/Setting.js"

export const grace = Setting.millis("monitoring", "MIRAGE_SCHEDULE_GRACE_MS", {
  default: "30 seconds",
  description: "A due time this late still fires; older ones were missed (an outage) and follow the catch-up policy"
})
export const refresh = Setting.millis("monitoring", "MIRAGE_SCHEDULE_REFRESH_MS", {
  default: "1 second",
  description: "How often a node looks for new, changed and deleted schedules of its shards"
})
export const queuePoll = Setting.millis("monitoring", "MIRAGE_SCHEDULE_QUEUE_POLL_MS", {
  default: "5 seconds",
  description: "How often a schedule with a queued run checks whether the previous run has ended"
})
export const missedLimit = Setting.integer("monitoring", "MIRAGE_SCHEDULE_MISSED_LIMIT", {
  default: 100,
  description: "Missed due times recorded at most per schedule after an outage (the latest ones)"
})

export interface ScheduleSettings {
  readonly graceMs: number
  readonly refreshMs: number
  readonly queuePollMs: number
  readonly missedLimit: number
}

export const ScheduleConfig: Config.Config<ScheduleSettings> = Config.all({
  graceMs: Config.map(grace, Duration.toMillis),
  refreshMs: Config.map(refresh, Duration.toMillis),
  queuePollMs: Config.map(queuePoll, Duration.toMillis),
  missedLimit
})
