/** AlertFeed over Redis: one capped stream per organization, `<prefix>:{org-<id>}:alerts` (field `data`). */
import { Alert } from "@mirage/domain/Alerts"
import type { OrganizationId } from "@mirage/domain/Ids"
import { Effect, Layer } from "effect"
import { RedisClient } from "../../../platform/RedisClient.js"
import * as RedisStreamFeed from "../../../platform/RedisStreamFeed.js"
import { AlertFeed } from "../AlertFeed.js"

export const maxLength = 10_000

export const make = Effect.gen(function*() {
  const redis = yield* RedisClient
  const keyOf = (id: OrganizationId) => redis.key(`org-${id}`, "alerts")
  const feed = RedisStreamFeed.make(redis.redis, Alert, { what: "alerts", maxLength })
  return AlertFeed.of({
    publish: (alert) => feed.publish(keyOf(alert.organization_id), alert),
    // Only what is published after the follower started.
    follow: (organizationId) => Effect.map(feed.follow(keyOf(organizationId)), ({ after }) => after)
  })
})

export const layer = Layer.effect(AlertFeed, make)
