/**
 * The gateway under test: the real HTTP server on a random port over fresh, isolated stores
 * (a migrated Postgres database, a MongoDB database, a Redis prefix), with helpers to call it.
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import type { HttpClientResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import type { ApiKeyId, Role } from "@mirage/domain/api/Authentication"
import type { EntityType } from "@mirage/domain/Entity"
import type { ModuleId, OrganizationId, UserId } from "@mirage/domain/Ids"
import type { ModuleFlag } from "@mirage/domain/ModuleFlag"
import { Membership } from "@mirage/runtime/cluster/Membership"
import * as MembershipRedis from "@mirage/runtime/cluster/Membership/Redis"
import * as RepliesRedis from "@mirage/runtime/cluster/Replies/Redis"
import { ShardInbox } from "@mirage/runtime/cluster/ShardInbox"
import * as ShardInboxRedis from "@mirage/runtime/cluster/ShardInbox/Redis"
import { ShardLeases } from "@mirage/runtime/cluster/ShardLeases"
import * as ShardLeasesRedis from "@mirage/runtime/cluster/ShardLeases/Redis"
import * as ModuleCatalog from "@mirage/runtime/collection/ModuleCatalog"
import type { PersistenceError } from "@mirage/runtime/platform/Errors"
import * as MongoDatabase from "@mirage/runtime/platform/MongoDatabase"
import * as PgClient from "@mirage/runtime/platform/PgClient"
import * as RedisClient from "@mirage/runtime/platform/RedisClient"
import * as EventStorePostgres from "@mirage/runtime/scans/EventStore/Postgres"
import * as ResultStoreMongo from "@mirage/runtime/scans/ResultStore/Mongo"
import * as ScanReadModelPostgres from "@mirage/runtime/scans/ScanReadModel/Postgres"
import * as ScanService from "@mirage/runtime/scans/ScanService"
import { ApiKeys } from "@mirage/runtime/tenancy/ApiKeys"
import * as ApiKeysPostgres from "@mirage/runtime/tenancy/ApiKeys/Postgres"
import * as ChannelPorts from "@mirage/testkit/ChannelPorts"
import { freshDatabase, freshMongoDatabase, freshRedisPrefix, redisUrl } from "@mirage/testkit/TestStores"
import { Effect, Layer, Redacted } from "effect"
import * as Server from "../src/Server.js"

/** How long a command waits for a node in these tests (short: no node runs unless a test fakes one). */
export const commandWaitMs = 400

const entry = (
  id: string,
  input_types: ReadonlyArray<EntityType>,
  output_types: ReadonlyArray<EntityType>,
  flags: ReadonlyArray<ModuleFlag>,
  default_config: Record<string, unknown> = {}
): ModuleCatalog.CatalogEntry => ({ id: id as ModuleId, input_types, output_types, default_config, flags })

/** A small catalog: DOMAIN → IP → ASN chains, and a module no DOMAIN scan ever reaches; with flags to choose by. */
export const catalog: ReadonlyArray<ModuleCatalog.CatalogEntry> = [
  entry("dns_resolve", ["DOMAIN"], ["IP"], ["active", "safe"], { record_types: ["A", "AAAA"], timeout_ms: 2000 }),
  entry("crtsh", ["DOMAIN"], ["DOMAIN"], ["passive", "safe"], { include_expired: false }),
  entry("ip_asn", ["IP"], ["ASN", "NETBLOCK"], ["passive", "safe"]),
  entry("phone_lookup", ["PHONE"], ["USERNAME"], ["passive", "safe", "needs-key"])
]

/**
 * Alert channels' addresses: production's policy, and names resolved from this table only (no test reaches a real
 * resolver). `private.hooks.test` stands for a name an attacker points at an internal address.
 */
export const channelPorts = {
  table: {
    "hooks.mirage-sandbox.test": ["93.184.215.14"],
    "private.hooks.test": ["10.20.30.40"],
    "metadata.hooks.test": ["169.254.169.254"]
  }
}

export const layer = Layer.unwrapScoped(Effect.gen(function*() {
  const databaseUrl = yield* freshDatabase
  const mongo = yield* freshMongoDatabase
  const prefix = yield* freshRedisPrefix
  const redis = yield* redisUrl
  const Stores = Layer.mergeAll(
    PgClient.layerWith(databaseUrl, 4),
    RedisClient.layerWith({ url: redis, prefix: prefix.replace(/:$/, "") }),
    MongoDatabase.layerWith(mongo.url)
  )
  const Adapters = Layer.mergeAll(
    EventStorePostgres.layer,
    ShardInboxRedis.layer,
    RepliesRedis.layer,
    ResultStoreMongo.layer,
    ScanReadModelPostgres.layer,
    ApiKeysPostgres.layer,
    ModuleCatalog.layerMemory(catalog)
  ).pipe(Layer.provideMerge(Stores))
  return Server.layerApp.pipe(
    Layer.provide(ScanService.layerWith({ commandWaitMs, projectionWaitMs: 2000 })),
    Layer.provideMerge(ChannelPorts.layer(channelPorts)),
    Layer.provideMerge(Adapters),
    Layer.provideMerge(NodeHttpServer.layerTest)
  )
}))

/**
 * A node as the cluster's Redis sees it, without running one: a current heartbeat and every shard's lease for ten
 * minutes. The gateway is then ready; commands still wait for a node that applies them.
 */
export const standInNode = (id: string) =>
  Effect.gen(function*() {
    const { shards } = yield* ShardInbox
    const leases = yield* ShardLeases
    yield* Effect.flatMap(Membership, (membership) => membership.heartbeat(id, 600_000))
    yield* leases.acquire(id, 600_000, Array.from({ length: shards }, (_, shard) => ({ shard, floor: 0 })))
  }).pipe(Effect.provide(Layer.mergeAll(MembershipRedis.layer, ShardLeasesRedis.layer)))

export interface Caller {
  readonly key: Redacted.Redacted<string>
  readonly organization_id: OrganizationId
  readonly user_id: UserId
  readonly key_id: ApiKeyId
}

/** A new organization with one user holding a key of the given role. */
export const newCaller = (role: Role): Effect.Effect<Caller, PersistenceError, ApiKeys> =>
  Effect.gen(function*() {
    const keys = yield* ApiKeys
    const organization_id = yield* keys.createOrganization("org")
    const user_id = yield* keys.createUser(organization_id, "user")
    const issued = yield* keys.create({ organization_id, user_id, role, name: "test" })
    return { key: issued.key, organization_id, user_id, key_id: issued.id }
  })

/** Another key for an existing caller's organization. */
export const sameOrganization = (caller: Caller, role: Role): Effect.Effect<Caller, PersistenceError, ApiKeys> =>
  Effect.gen(function*() {
    const keys = yield* ApiKeys
    const user_id = yield* keys.createUser(caller.organization_id, "colleague")
    const issued = yield* keys.create({
      organization_id: caller.organization_id,
      user_id,
      role,
      name: "colleague"
    })
    return { key: issued.key, organization_id: caller.organization_id, user_id, key_id: issued.id }
  })

export interface Answer {
  readonly status: number
  readonly headers: HttpClientResponse.HttpClientResponse["headers"]
  readonly text: string
  /** The body as JSON (undefined when it is not JSON). */
  readonly body: unknown
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Sends a request and reads the whole answer, whatever its status. */
export const send = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.execute(request)
    const text = yield* response.text
    return { status: response.status, headers: response.headers, text, body: parse(text) } satisfies Answer
  }).pipe(Effect.scoped)

export const as = (caller: Caller | undefined) => (request: HttpClientRequest.HttpClientRequest) =>
  caller === undefined ? request : HttpClientRequest.bearerToken(request, Redacted.value(caller.key))

export const get = (path: string, caller?: Caller) => send(as(caller)(HttpClientRequest.get(path)))

export const post = (path: string, body: unknown, caller?: Caller) =>
  send(as(caller)(HttpClientRequest.post(path).pipe(HttpClientRequest.bodyUnsafeJson(body))))

export const postRaw = (path: string, text: string, caller?: Caller) =>
  send(as(caller)(HttpClientRequest.post(path).pipe(HttpClientRequest.bodyText(text, "application/json"))))

/** Rows of a table in the test's database. */
export const count = (table: "scans" | "scan_events") =>
  Effect.flatMap(
    PgClient.PgClient,
    (sql) => Effect.promise(() => sql<Array<{ n: number }>>`select count(*)::int as n from ${sql(table)}`)
  ).pipe(
    Effect.map((rows) => rows[0]?.n ?? 0)
  )

export const domainScan = (name: string, value = "example.com", extra: Record<string, unknown> = {}) => ({
  name,
  target: { type: "DOMAIN", value },
  modules: [{ id: "dns_resolve" }],
  ...extra
})

/** The stored API keys (to check what is, and is not, kept). */
export const keyRows = Effect.flatMap(
  PgClient.PgClient,
  (sql) =>
    Effect.promise(() =>
      sql<Array<{ id: string; prefix: string; key_hash: string }>>`select id, prefix, key_hash from api_keys`
    )
)

/** For `HttpApiClient.make(api, { transformClient })`: every request carries the caller's key. */
export const authorized = (caller: Caller) => (client: HttpClient.HttpClient): HttpClient.HttpClient =>
  HttpClient.mapRequest(client, HttpClientRequest.bearerToken(Redacted.value(caller.key)))
