/** The progress feed over Redis: a follower gets the scan's latest event, then every later one, and no other scan's. */
import { describe, expect, it } from "@effect/vitest"
import { ScanId } from "@mirage/domain/Ids"
import { ScanProgressEvent } from "@mirage/domain/ScanProgress"
import { ProgressFeed } from "@mirage/runtime/scans/ProgressFeed"
import * as ProgressFeedRedis from "@mirage/runtime/scans/ProgressFeed/Redis"
import { Chunk, DateTime, Effect, Fiber, Layer, Stream } from "effect"
import { stores } from "../monitoring/Harness.js"

const ours = ScanId.make("6c0e0000-0000-4000-8000-0000000000d1")
const theirs = ScanId.make("6c0e0000-0000-4000-8000-0000000000d2")

const event = (scan: ScanId, seq: number) =>
  ScanProgressEvent.make({
    type: "progress",
    scan_id: scan,
    status: "RUNNING",
    reason: null,
    progress: seq / 10,
    result_count: seq,
    tasks: { queued: 0, running: 1, completed: seq, failed: 0, cancelled: 0 },
    modules: [],
    seq,
    at: DateTime.unsafeMake(1_700_000_000_000 + seq)
  })

describe("ProgressFeed over Redis", () => {
  it.live("follows a scan from its latest event", () =>
    Effect.gen(function*() {
      const feed = yield* ProgressFeed
      yield* feed.publish(event(ours, 1))
      yield* feed.publish(event(ours, 2))
      const live = yield* feed.follow(ours)
      const fiber = yield* Effect.fork(Stream.runCollect(Stream.take(live, 3)))
      yield* feed.publish(event(theirs, 3))
      yield* feed.publish(event(ours, 4))
      yield* feed.publish(event(ours, 5))
      const got = Chunk.toReadonlyArray(yield* Fiber.join(fiber))
      expect(got.map((each) => each.seq)).toEqual([2, 4, 5])
    }).pipe(Effect.provide(ProgressFeedRedis.layer.pipe(Layer.provideMerge(stores))), Effect.scoped), 30_000)
})
