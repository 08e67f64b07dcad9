/** The alert feed over Redis: a follower gets the organization's alerts published after it started, and no other's. */
import { describe, expect, it } from "@effect/vitest"
import { Alert, AlertId, AlertRuleId } from "@mirage/domain/Alerts"
import { OrganizationId, ScanId } from "@mirage/domain/Ids"
import { AlertFeed } from "@mirage/runtime/monitoring/alerts/AlertFeed"
import * as AlertFeedRedis from "@mirage/runtime/monitoring/alerts/AlertFeed/Redis"
import { Chunk, DateTime, Effect, Fiber, Layer, Stream } from "effect"
import { stores } from "./Harness.js"

const ours = OrganizationId.make("6c0e0000-0000-4000-8000-0000000000a1")
const theirs = OrganizationId.make("6c0e0000-0000-4000-8000-0000000000a2")

const alert = (organization: OrganizationId, n: number) =>
  Alert.make({
    id: AlertId.make(`6c0e0000-0000-4000-8000-00000000000${n}`),
    organization_id: organization,
    rule_id: AlertRuleId.make("6c0e0000-0000-4000-8000-0000000000b1"),
    rule_name: "new port",
    kind: "new_entity",
    severity: "medium",
    scan_id: ScanId.make("6c0e0000-0000-4000-8000-0000000000c1"),
    target: "example.com",
    digest: false,
    entities: [],
    at: DateTime.unsafeMake(1_700_000_000_000 + n)
  })

describe("AlertFeed", () => {
  it.live("follows the organization's alerts from the moment it starts", () =>
    Effect.gen(function*() {
      const feed = yield* AlertFeed
      yield* feed.publish(alert(ours, 1))
      const live = yield* feed.follow(ours)
      const fiber = yield* Effect.fork(Stream.runCollect(Stream.take(live, 2)))
      // The position was taken by follow: what is published from here on is read, whenever the reader starts.
      yield* feed.publish(alert(theirs, 2))
      yield* feed.publish(alert(ours, 3))
      yield* feed.publish(alert(ours, 4))
      const got = Chunk.toReadonlyArray(yield* Fiber.join(fiber))
      expect(got.map((each) => each.id)).toEqual([alert(ours, 3).id, alert(ours, 4).id])
    }).pipe(Effect.provide(AlertFeedRedis.layer.pipe(Layer.provideMerge(stores))), Effect.scoped), 30_000)
})
