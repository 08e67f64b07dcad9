import { describe, expect, it } from "@effect/vitest"
import { runScanId } from "@mirage/domain/Schedule"
import { dueBetween, isTimeZone, nextDue, outstanding, parse } from "@mirage/domain/ScheduleCron"
import { Clock, Effect, Either, TestClock } from "effect"

const at = (iso: string) => Date.parse(iso)
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

describe("parse", () => {
  it("accepts 5 and 6 fields in a known zone, normalizing spaces", () => {
    expect(parse({ cron: "0  3 * * 1", time_zone: "Europe/Paris" })).toEqual(
      Either.right({ cron: "0 3 * * 1", time_zone: "Europe/Paris" })
    )
    expect(Either.isRight(parse({ cron: "*/5 * * * * *", time_zone: "UTC" }))).toBe(true)
  })

  it("names the field of each problem", () => {
    const bad = (cron: string, time_zone = "UTC") =>
      Either.getLeft(parse({ cron, time_zone })).pipe((o) => o._tag === "Some" ? o.value.field : null)
    expect(bad("61 * * * *")).toBe("cron")
    expect(bad("* * *")).toBe("cron")
    expect(bad("nonsense here * * *")).toBe("cron")
    expect(bad("0 0 31 2 *")).toBe("cron")
    expect(bad("0 * * * *", "Mars/Olympus_Mons")).toBe("time_zone")
    expect(isTimeZone("America/New_York")).toBe(true)
    expect(isTimeZone("")).toBe(false)
  })
})

describe("nextDue", () => {
  it("follows the time zone's offset", () => {
    const spec = { cron: "0 9 * * *", time_zone: "Asia/Tokyo" }
    expect(iso(nextDue(spec, at("2026-03-01T00:00:00Z")))).toBe("2026-03-02T00:00:00.000Z")
    expect(iso(nextDue(spec, at("2026-02-28T23:59:59Z")))).toBe("2026-03-01T00:00:00.000Z")
  })

  it("is strictly after the instant given", () => {
    const spec = { cron: "*/2 * * * * *", time_zone: "UTC" }
    expect(iso(nextDue(spec, at("2026-01-01T00:00:02Z")))).toBe("2026-01-01T00:00:04.000Z")
    expect(iso(nextDue(spec, at("2026-01-01T00:00:02.500Z")))).toBe("2026-01-01T00:00:04.000Z")
  })

  it("fires once on the day clocks go forward, never on the skipped hour twice", () => {
    // Europe/Paris springs forward at 02:00 local on 2026-03-29: 02:30 does not exist that day.
    const spec = { cron: "30 2 * * *", time_zone: "Europe/Paris" }
    const due = dueBetween(spec, at("2026-03-27T00:00:00Z"), at("2026-03-31T00:00:00Z"), 10)
    expect(due.map(iso)).toEqual([
      "2026-03-27T01:30:00.000Z",
      "2026-03-28T01:30:00.000Z",
      // The nonexistent local time runs at the first instant after the jump (03:30 local, 01:30 UTC).
      ...due.slice(2, -1).map(iso),
      "2026-03-30T00:30:00.000Z"
    ])
    expect(due.length).toBeLessThanOrEqual(4)
    expect(new Set(due).size).toBe(due.length)
  })

  it("fires once when the clocks go back and the hour repeats", () => {
    // Europe/Paris falls back at 03:00 local on 2026-10-25: 02:30 local happens twice.
    const spec = { cron: "30 2 * * *", time_zone: "Europe/Paris" }
    const due = dueBetween(spec, at("2026-10-24T12:00:00Z"), at("2026-10-26T12:00:00Z"), 10)
    const onDay = due.filter((ms) => iso(ms)!.startsWith("2026-10-25"))
    expect(onDay.length).toBe(1)
    expect(due.length).toBe(2)
  })

  it.effect("the next due time from the clock's now, moved by TestClock", () =>
    Effect.gen(function*() {
      const spec = { cron: "0 */15 * * * *", time_zone: "UTC" }
      yield* TestClock.setTime(at("2026-06-01T10:07:00Z"))
      expect(iso(nextDue(spec, yield* Clock.currentTimeMillis))).toBe("2026-06-01T10:15:00.000Z")
      yield* TestClock.adjust("8 minutes")
      expect(iso(nextDue(spec, yield* Clock.currentTimeMillis))).toBe("2026-06-01T10:30:00.000Z")
    }))
})

describe("outstanding", () => {
  const spec = { cron: "* * * * *", time_zone: "UTC" }
  const start = at("2026-01-01T00:00:00Z")

  it("fires a due time that is only late", () => {
    expect(outstanding(spec, start, start + 61_000, { catchUp: "skip_missed", graceMs: 5_000, limit: 100 })).toEqual([
      { due_at: start + 60_000, action: "fire" }
    ])
  })

  it("run_once: after an outage only the latest missed due time runs, the others are recorded missed", () => {
    const list = outstanding(spec, start, start + 5 * 60_000 + 30_000, {
      catchUp: "run_once",
      graceMs: 5_000,
      limit: 100
    })
    expect(list.map((o) => o.action)).toEqual(["missed", "missed", "missed", "missed", "fire"])
    expect(list.map((o) => o.due_at)).toEqual([1, 2, 3, 4, 5].map((m) => start + m * 60_000))
  })

  it("skip_missed: none of the missed due times runs", () => {
    const list = outstanding(spec, start, start + 3 * 60_000 + 30_000, {
      catchUp: "skip_missed",
      graceMs: 5_000,
      limit: 100
    })
    expect(list.map((o) => o.action)).toEqual(["missed", "missed", "missed"])
  })

  it("run_once does not add a run when a due time is already firing late", () => {
    const list = outstanding(spec, start, start + 2 * 60_000 + 1_000, {
      catchUp: "run_once",
      graceMs: 5_000,
      limit: 100
    })
    expect(list).toEqual([{ due_at: start + 60_000, action: "missed" }, { due_at: start + 120_000, action: "fire" }])
  })

  it("keeps the latest `limit` of a long outage", () => {
    const list = outstanding(spec, start, start + 1000 * 60_000, { catchUp: "run_once", graceMs: 0, limit: 3 })
    expect(list.map((o) => o.due_at)).toEqual([998, 999, 1000].map((m) => start + m * 60_000))
    expect(list.at(-1)!.action).toBe("fire")
  })
})

describe("runScanId", () => {
  it("is the same for the same schedule, due time and target, and differs otherwise", () => {
    const id = "5f0c7d8e-0000-4000-8000-000000000001"
    expect(runScanId(id, 1000, 0)).toBe(runScanId(id, 1000, 0))
    expect(new Set([runScanId(id, 1000, 0), runScanId(id, 2000, 0), runScanId(id, 1000, 1)]).size).toBe(3)
  })
})
