/** Fresh stores for the monitoring tests, and the runs of the changing world written as a node would. */
import type { EntityType } from "@mirage/domain/Entity"
import type { OrganizationId, ScanId } from "@mirage/domain/Ids"
import * as MongoDatabase from "@mirage/runtime/platform/MongoDatabase"
import { PgClient } from "@mirage/runtime/platform/PgClient"
import * as PgClientLayer from "@mirage/runtime/platform/PgClient"
import * as RedisClient from "@mirage/runtime/platform/RedisClient"
import { ResultStore } from "@mirage/runtime/scans/ResultStore"
import * as ResultStoreMongo from "@mirage/runtime/scans/ResultStore/Mongo"
import * as MonitoringWorld from "@mirage/testkit/MonitoringWorld"
import { freshDatabase, freshMongoDatabase, freshRedisPrefix, redisUrl } from "@mirage/testkit/TestStores"
import { Effect, Layer } from "effect"

export const stores = Layer.unwrapScoped(Effect.gen(function*() {
  const databaseUrl = yield* freshDatabase
  const mongo = yield* freshMongoDatabase
  const prefix = yield* freshRedisPrefix
  const redis = yield* redisUrl
  const pg = PgClientLayer.layerWith(databaseUrl, 4)
  return Layer.mergeAll(
    ResultStoreMongo.layer.pipe(Layer.provideMerge(MongoDatabase.layerWith(mongo.url)), Layer.provide(pg)),
    pg,
    RedisClient.layerWith({ url: redis, prefix: prefix.replace(/:$/, "") })
  )
}))

/** A scan's row in the scans projection, as the event store writes it once the scan completed. */
export const completedScan = (
  organizationId: OrganizationId,
  scanId: ScanId,
  target: { readonly type: EntityType; readonly value: string },
  completedAt: number,
  status = "COMPLETED"
) =>
  Effect.flatMap(
    PgClient,
    (sql) =>
      Effect.promise(() =>
        sql`insert into scans (id, organization_id, user_id, name, status, target_type, target_value, shard, seq,
            created_at, updated_at, started_at, completed_at, document)
          values (${scanId}, ${organizationId}, ${organizationId}, ${"run"}, ${status}, ${target.type}, ${target.value},
            0, 1, to_timestamp(${completedAt - 120_000} / 1000.0), to_timestamp(${completedAt} / 1000.0),
            to_timestamp(${completedAt - 120_000} / 1000.0),
            ${status === "RUNNING" ? null : new Date(completedAt).toISOString()}::timestamptz,
            '{}'::jsonb)`
      )
  )

/** Stores run `n` of the world (its results and its completed scan row) and returns its scan id. */
export const storeRun = (
  organizationId: OrganizationId,
  series: string,
  n: number,
  options: { readonly world?: 1 | 2 | 3 | 4; readonly status?: string; readonly target?: string } = {}
) =>
  Effect.gen(function*() {
    const scanId = MonitoringWorld.scanIdOf(series, n)
    const results = yield* ResultStore
    yield* Effect.orDie(
      results.insert(scanId, MonitoringWorld.results(scanId, options.world ?? (Math.min(n, 4) as 1 | 2 | 3 | 4)))
    )
    yield* completedScan(
      organizationId,
      scanId,
      { type: "DOMAIN", value: options.target ?? MonitoringWorld.root },
      MonitoringWorld.completedAt(n),
      options.status
    )
    return scanId
  })

/** An organization's own correlation rule, as uploaded: SSH found open, under `id`. */
export const sshRuleText = (id: string) =>
  `id: ${id}
version: 1
meta: { name: SSH open, description: An organization's own rule, risk: MEDIUM }
collections:
  - collect:
      - { method: regex, field: data, value: '.*:22$' }
headline: "SSH on {data}"
`
