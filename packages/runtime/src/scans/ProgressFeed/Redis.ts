/**
 * ProgressFeed over Redis: one stream per scan, `<prefix>:{scan-<id>}:events` (field `data`, the
 * event's JSON), capped and expiring; a follower gets the latest event, then every later one.
 */
import type { ScanId } from "@mirage/domain/Ids"
import { ScanProgressEvent } from "@mirage/domain/ScanProgress"
import { Effect, Layer, Stream } from "effect"
import { RedisClient } from "../../platform/RedisClient.js"
import * as RedisStreamFeed from "../../platform/RedisStreamFeed.js"
import { ProgressFeed } from "../ProgressFeed.js"

/** Entries kept per scan (approximately): followers start from the latest one. */
export const maxLength = 1000
/** A scan's stream expires this long after its last event. */
export const ttlSeconds = 24 * 60 * 60

export const make = Effect.gen(function*() {
  const redis = yield* RedisClient
  const keyOf = (id: ScanId) => redis.key(`scan-${id}`, "events")
  const feed = RedisStreamFeed.make(redis.redis, ScanProgressEvent, { what: "progress events", maxLength, ttlSeconds })
  return ProgressFeed.of({
    publish: (event) => feed.publish(keyOf(event.scan_id), event),
    follow: (id) =>
      Effect.flatMap(
        feed.follow(keyOf(id)),
        ({ after, latest }) => Effect.map(latest, (first) => Stream.concat(Stream.fromIterable(first), after))
      )
  })
})

export const layer = Layer.effect(ProgressFeed, make)
