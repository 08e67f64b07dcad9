/** The real layers of an actor node: the three stores and every adapter over them. */
import * as EventStorePostgres from "@mirage/runtime/EventStore/Postgres"
import * as JobOptionsRedis from "@mirage/runtime/JobOptions/Redis"
import * as Journal from "@mirage/runtime/Journal"
import * as MembershipRedis from "@mirage/runtime/Membership/Redis"
import * as ModuleExecutor from "@mirage/runtime/ModuleExecutor"
import * as MongoDatabase from "@mirage/runtime/MongoDatabase"
import * as Orchestration from "@mirage/runtime/Orchestration"
import * as PgClient from "@mirage/runtime/PgClient"
import * as RedisClient from "@mirage/runtime/RedisClient"
import * as RepliesRedis from "@mirage/runtime/Replies/Redis"
import * as ResultStoreMongo from "@mirage/runtime/ResultStore/Mongo"
import * as ResultWriter from "@mirage/runtime/ResultWriter"
import * as ShardInboxRedis from "@mirage/runtime/ShardInbox/Redis"
import * as ShardLeasesRedis from "@mirage/runtime/ShardLeases/Redis"
import * as TaskPool from "@mirage/runtime/TaskPool"
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

export const NodeLive = Layer.mergeAll(
  Journal.layer,
  ResultWriter.layer,
  TaskPool.layer,
  ModuleExecutor.layer,
  Orchestration.layer
).pipe(
  Layer.provideMerge(Adapters)
)
