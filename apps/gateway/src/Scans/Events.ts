/**
 * Live progress as Server-Sent Events: the scan's status snapshot first, then the events its node
 * publishes (through ProgressFeed, so any gateway serves any scan), until a final one.
 */
import { HttpServerResponse } from "@effect/platform"
import type { ScanStatusReport } from "@mirage/domain/api/ScansApi"
import { isFinal, ScanProgressEvent } from "@mirage/domain/ScanProgress"
import { Clock, DateTime, Effect, Schedule, Schema, Stream } from "effect"

const encodeEvent = Schema.encodeSync(ScanProgressEvent)

/** Idle connections get a comment this often, so proxies do not close them. */
export const heartbeat = "15 seconds"

/** The first event: the scan as the read model has it (no per-module counts, no seq). */
export const snapshot = (report: ScanStatusReport) =>
  Effect.map(Clock.currentTimeMillis, (now) =>
    ScanProgressEvent.make({
      type: "snapshot",
      scan_id: report.id,
      status: report.status,
      reason: report.status_reason,
      progress: report.progress,
      result_count: report.result_count,
      tasks: { ...report.tasks },
      modules: [],
      seq: null,
      at: DateTime.unsafeMake(now)
    }))

/** One event in the text/event-stream format. */
export const frame = (event: ScanProgressEvent): string =>
  `event: ${event.type}\n${event.seq === null ? "" : `id: ${event.seq}\n`}data: ${
    JSON.stringify(encodeEvent(event))
  }\n\n`

/** The snapshot, then the live events up to and including a final one. */
export const events = <E>(first: ScanProgressEvent, live: Stream.Stream<ScanProgressEvent, E>) =>
  isFinal(first)
    ? Stream.make(first)
    : Stream.concat(Stream.make(first), Stream.takeUntil(live, isFinal))

export const response = <E>(stream: Stream.Stream<ScanProgressEvent, E>) => {
  const comments = Stream.fromSchedule(Schedule.spaced(heartbeat)).pipe(Stream.as(": keep-alive\n\n"))
  const body = Stream.merge(Stream.map(stream, frame), comments, { haltStrategy: "left" })
  return HttpServerResponse.stream(Stream.encodeText(body), {
    contentType: "text/event-stream",
    headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
  })
}
