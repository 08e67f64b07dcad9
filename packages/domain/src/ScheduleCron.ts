/**
 * The maths of a schedule's cron expression: parsing it with its IANA time zone (croner), the due times after an
 * instant, and which due times a schedule fires, queues, skips or records as missed. Pure: instants are given.
 */
import { Cron } from "croner"
import { Either } from "effect"

/** A cron expression (5 fields, or 6 with seconds first) in a time zone, checked. */
export interface CronSpec {
  readonly cron: string
  readonly time_zone: string
}

/** Why an expression or a time zone was refused, with the request field it names. */
export interface CronProblem {
  readonly field: "cron" | "time_zone"
  readonly message: string
}

/** Whether `zone` is an IANA time zone this runtime knows. */
export const isTimeZone = (zone: string): boolean => {
  if (zone.length === 0 || zone.length > 64) return false
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone })
    return true
  } catch {
    return false
  }
}

const build = (spec: CronSpec): Cron => new Cron(spec.cron, { timezone: spec.time_zone, paused: true })

/**
 * Zoned cron maths costs near a millisecond a step, and many schedules share an expression (every hour, every night):
 * each spec keeps its compiled Cron and the last spans (after, next) it computed, within which every instant has the
 * same next due time. A memo of a pure function: the answers are the same with or without it.
 */
interface Memo {
  readonly cron: Cron
  readonly spans: Array<readonly [number, number]>
}
const memos = new Map<string, Memo>()
const memoSpecs = 1_000
const memoSpans = 8

const memoOf = (spec: CronSpec): Memo => {
  const key = `${spec.cron}\u0000${spec.time_zone}`
  let memo = memos.get(key)
  if (memo === undefined) {
    if (memos.size >= memoSpecs) memos.delete(memos.keys().next().value!)
    memo = { cron: build(spec), spans: [] }
    memos.set(key, memo)
  }
  return memo
}

/** The spec if both the expression and the zone are valid, the first problem otherwise. */
export const parse = (spec: CronSpec): Either.Either<CronSpec, CronProblem> => {
  if (!isTimeZone(spec.time_zone)) {
    return Either.left({ field: "time_zone", message: `unknown time zone ${JSON.stringify(spec.time_zone)}` })
  }
  const fields = spec.cron.trim().split(/\s+/)
  if (fields.length !== 5 && fields.length !== 6) {
    return Either.left({ field: "cron", message: "a cron expression has 5 fields, or 6 with seconds first" })
  }
  try {
    const cron = build(spec)
    if (cron.nextRun(new Date(0)) === null) {
      return Either.left({ field: "cron", message: "the expression never fires" })
    }
    return Either.right({ cron: fields.join(" "), time_zone: spec.time_zone })
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    return Either.left({ field: "cron", message: `invalid cron expression: ${reason}` })
  }
}

/** The first due time strictly after `afterMs` (ms since the epoch), or null if there is none. */
export const nextDue = (spec: CronSpec, afterMs: number): number | null => {
  const memo = memoOf(spec)
  for (const [from, to] of memo.spans) if (afterMs >= from && afterMs < to) return to
  const next = memo.cron.nextRun(new Date(afterMs))
  if (next === null) return null
  memo.spans.unshift([afterMs, next.getTime()])
  if (memo.spans.length > memoSpans) memo.spans.pop()
  return next.getTime()
}

/** The due times in (`afterMs`, `untilMs`], in order, at most `limit` of them. */
export const dueBetween = (
  spec: CronSpec,
  afterMs: number,
  untilMs: number,
  limit: number
): ReadonlyArray<number> => {
  const due: Array<number> = []
  let cursor = afterMs
  while (due.length < limit) {
    const next = nextDue(spec, cursor)
    if (next === null || next > untilMs) break
    due.push(next)
    cursor = next
  }
  return due
}

/** The latest `limit` due times in (`afterMs`, `untilMs`], in order. */
export const latestBetween = (
  spec: CronSpec,
  afterMs: number,
  untilMs: number,
  limit: number
): ReadonlyArray<number> => {
  const due: Array<number> = []
  let cursor = afterMs
  for (;;) {
    const next = nextDue(spec, cursor)
    if (next === null || next > untilMs) break
    due.push(next)
    if (due.length > limit) due.shift()
    cursor = next
  }
  return due
}

/** What an actor does after an outage (or its first start late): run the latest missed due time once, or none. */
export type CatchUp = "run_once" | "skip_missed"

/** What a due time became: a run, or missed (an outage under the catch-up policy). */
export interface Outstanding {
  readonly due_at: number
  readonly action: "fire" | "missed"
}

/**
 * The due times outstanding at `now` since `afterMs` (the last one recorded, or when the schedule began), each with
 * what to do: those within `graceMs` of now are only late and fire; older ones were missed in an outage, and the
 * catch-up policy says whether the latest of them still runs once (`run_once`) or none do (`skip_missed`).
 * At most `limit` are returned (the latest ones); older ones beyond it are not recorded.
 */
export const outstanding = (
  spec: CronSpec,
  afterMs: number,
  now: number,
  options: { readonly catchUp: CatchUp; readonly graceMs: number; readonly limit: number }
): ReadonlyArray<Outstanding> => {
  const due = latestBetween(spec, afterMs, now, options.limit)
  const late = due.filter((at) => now - at <= options.graceMs)
  const missed = due.filter((at) => now - at > options.graceMs)
  const rescued = options.catchUp === "run_once" && late.length === 0 ? missed.at(-1) : undefined
  return [
    ...missed.map((due_at) => ({ due_at, action: due_at === rescued ? "fire" as const : "missed" as const })),
    ...late.map((due_at) => ({ due_at, action: "fire" as const }))
  ]
}
