/** The real layers of an actor node: the three stores and every adapter over them. */
import { describe, validateModuleConfig } from "@mirage/modules/Registry"
import * as MembershipRedis from "@mirage/runtime/cluster/Membership/Redis"
import * as RepliesRedis from "@mirage/runtime/cluster/Replies/Redis"
import * as ShardInboxRedis from "@mirage/runtime/cluster/ShardInbox/Redis"
import * as ShardLeasesRedis from "@mirage/runtime/cluster/ShardLeases/Redis"
import * as CredentialsConfig from "@mirage/runtime/collection/Credentials/Config"
import * as JobOptionsRedis from "@mirage/runtime/collection/JobOptions/Redis"
import * as ModuleCatalog from "@mirage/runtime/collection/ModuleCatalog"
import * as ModuleExecutor from "@mirage/runtime/collection/ModuleExecutor"
import * as TaskPool from "@mirage/runtime/collection/TaskPool"
import * as Correlator from "@mirage/runtime/monitoring/correlation/Correlator"
import * as ScheduleLauncher from "@mirage/runtime/monitoring/schedules/ScheduleLauncher"
import * as ScheduleStorePostgres from "@mirage/runtime/monitoring/schedules/ScheduleStore/Postgres"
import * as MongoDatabase from "@mirage/runtime/platform/MongoDatabase"
import * as PgClient from "@mirage/runtime/platform/PgClient"
import * as RedisClient from "@mirage/runtime/platform/RedisClient"
import * as EventStorePostgres from "@mirage/runtime/scans/EventStore/Postgres"
import * as Journal from "@mirage/runtime/scans/Journal"
import * as Orchestration from "@mirage/runtime/scans/Orchestration"
import * as ResultStoreMongo from "@mirage/runtime/scans/ResultStore/Mongo"
import * as ResultWriter from "@mirage/runtime/scans/ResultWriter"
import * as ScanReadModelPostgres from "@mirage/runtime/scans/ScanReadModel/Postgres"
import * as ScanService from "@mirage/runtime/scans/ScanService"
import { Layer } from "effect"

export const Stores = Layer.mergeAll(PgClient.layer, RedisClient.layer, MongoDatabase.layer)

export const Adapters = Layer.mergeAll(
  EventStorePostgres.layer,
  ResultStoreMongo.layer,
  ShardInboxRedis.layer,
  RepliesRedis.layer,
  MembershipRedis.layer,
  ShardLeasesRedis.layer,
  // Read by ModuleExecutor (optionally): a standalone job's own key and proxy choice.
  JobOptionsRedis.layer
).pipe(Layer.provideMerge(Stores))

/** What the schedule actors need: their store, and the scan service that creates and starts their runs. */
export const Schedules = Layer.mergeAll(
  ScheduleStorePostgres.layer,
  ScheduleLauncher.layerScans.pipe(
    Layer.provide(ScanService.layer),
    Layer.provide(Layer.mergeAll(
      ScanReadModelPostgres.layer,
      ModuleCatalog.layerKeyed(describe(), validateModuleConfig).pipe(Layer.provide(CredentialsConfig.layer))
    ))
  )
)

/** Layers of a node with what its scan actors and observers read beside them (each optionally). */
export const withActorReads = <A, E, R>(layer: Layer.Layer<A, E, R>) =>
  layer.pipe(
    // The live inventory and the inventory itself.
    Layer.provideMerge(Orchestration.layerInventory),
    // The correlator: rules load before the node starts.
    Layer.provideMerge(Correlator.layer)
  )

export const NodeLive = withActorReads(Layer.mergeAll(
  Journal.layer,
  ResultWriter.layer,
  TaskPool.layer,
  ModuleExecutor.layer,
  Orchestration.layer,
  Schedules
)).pipe(Layer.provideMerge(Adapters))
