/**
 * The shard inboxes on Redis Streams: stream `{s<shard>}:inbox` read through the consumer group `nodes`, dead letters
 * in `{s<shard>}:dead` (same hash tag, so a dead-lettering MULTI stays in one slot of a Redis Cluster).
 */
import { Effect, Either, Layer, Pool, Schema } from "effect"
import type { Redis } from "ioredis"
import { PersistenceError } from "../../platform/Errors.js"
import { RedisClient } from "../../platform/RedisClient.js"
import type { RedisConnection } from "../../platform/RedisClient.js"
import { Envelope, ShardInbox } from "../ShardInbox.js"
import type { DeadLetter, Delivery, ShardInboxService } from "../ShardInbox.js"
import { ShardCount, shardOf } from "../Shards.js"

export const group = "nodes"

/** How many entries one claim takes over at most; the rest stay pending (and idle) for the next claim. */
const claimLimit = 1000

const EnvelopeJson = Schema.parseJson(Envelope)
const encodeEnvelope = Schema.encode(EnvelopeJson)
const decodeEnvelope = Schema.decodeUnknownEither(EnvelopeJson)

// Replies of the stream commands, as ioredis gives them (strings and integers, nested arrays).
const Fields = Schema.Array(Schema.String)
const Entries = Schema.Array(Schema.Tuple(Schema.String, Schema.NullOr(Fields)))
const ReadReply = Schema.NullOr(Schema.Array(Schema.Tuple(Schema.String, Entries)))
const AutoClaimReply = Schema.Tuple([Schema.String, Entries], Schema.Unknown)
const PendingRange = Schema.Array(Schema.Tuple(Schema.String, Schema.String, Schema.Number, Schema.Number))
const GroupsReply = Schema.Array(Schema.Array(Schema.Unknown))
const OrphansReply = Schema.Array(Schema.Tuple(Schema.String, Schema.NullOr(Fields), Schema.Number))

/**
 * Takes over, for ARGV[2], the entries pending on the group's other consumers (at most ARGV[3]), in one step:
 * `{ id, fields, deliveries }` of each (fields are nil for an entry deleted meanwhile). Usually the summary says there
 * are none, and that is the only command run.
 */
const adoptScript = `
local summary = redis.call('XPENDING', KEYS[1], ARGV[1])
if summary[1] == 0 then return {} end
local out = {}
local limit = tonumber(ARGV[3])
for _, owner in ipairs(summary[4]) do
  if owner[1] ~= ARGV[2] and #out < limit then
    local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', limit - #out, owner[1])
    local ids, deliveries = {}, {}
    for _, p in ipairs(pending) do
      table.insert(ids, p[1])
      deliveries[p[1]] = p[4] + 1
    end
    if #ids > 0 then
      for _, entry in ipairs(redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, unpack(ids))) do
        table.insert(out, { entry[1], entry[2], deliveries[entry[1]] })
      end
    end
  end
end
return out
`
const GroupInfo = Schema.Struct({
  name: Schema.String,
  pending: Schema.Number,
  "last-delivered-id": Schema.String,
  lag: Schema.NullOr(Schema.Number)
})
const RangeReply = Schema.Array(Schema.Unknown)
const DeadRange = Schema.Array(Schema.Tuple(Schema.String, Schema.Array(Schema.String)))

/** How far the fallback count of the lag looks (Redis only lacks the lag after deletions, which Mirage never makes). */
const lagCountLimit = 10_000

const decodeReply = <A, I>(schema: Schema.Schema<A, I>, operation: string) => (reply: unknown) =>
  Schema.decodeUnknown(schema)(reply).pipe(Effect.mapError((cause) => new PersistenceError({ operation, cause })))

const errorText = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** The envelope field of an entry, or (for an entry that has none) all its fields as JSON. */
const delivery = (shard: number, id: string, fields: ReadonlyArray<string>, deliveries: number): Delivery => {
  const at = fields.findIndex((field, i) => i % 2 === 0 && field === "e")
  const raw = at >= 0 ? fields[at + 1] ?? "" : JSON.stringify(fields)
  return { shard, id, deliveries, envelope: Either.getOrUndefined(decodeEnvelope(raw)), raw }
}

const call = (operation: string, run: () => Promise<unknown>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new PersistenceError({ operation, cause }) })

/** The inboxes' streams on one Redis: their keys, and the consumer groups made on first use. */
interface Streams {
  readonly redis: Redis
  readonly inboxKey: (shard: number) => string
  readonly deadKey: (shard: number) => string
  /** Runs `op` once the shards' groups exist; again once if a group vanished meanwhile (stream deleted). */
  readonly withGroups: <A>(
    wanted: ReadonlyArray<number>,
    op: Effect.Effect<A, PersistenceError>
  ) => Effect.Effect<A, PersistenceError>
}

const makeStreams = (client: RedisConnection): Streams => {
  const redis = client.redis
  const inboxKey = (shard: number) => client.key(`s${shard}`, "inbox")
  // Groups are created on first use, from the start of the stream: entries sent before any node read the shard
  // are delivered too.
  const ready = new Set<number>()
  const ensureGroups = (wanted: ReadonlyArray<number>) =>
    Effect.suspend(() =>
      Effect.forEach(
        wanted.filter((shard) => !ready.has(shard)),
        (shard) =>
          Effect.tryPromise({
            try: () => redis.xgroup("CREATE", inboxKey(shard), group, "0", "MKSTREAM"),
            catch: (cause) => cause
          }).pipe(
            Effect.catchIf(
              (cause) => errorText(cause).startsWith("BUSYGROUP"),
              () => Effect.void
            ),
            Effect.mapError((cause) => new PersistenceError({ operation: "ShardInbox: create group", cause })),
            Effect.tap(() => Effect.sync(() => ready.add(shard)))
          ),
        { discard: true, concurrency: "unbounded" }
      )
    )
  const withGroups = <A>(wanted: ReadonlyArray<number>, op: Effect.Effect<A, PersistenceError>) =>
    ensureGroups(wanted).pipe(
      Effect.zipRight(op),
      Effect.catchIf(
        (error) => errorText(error.cause).startsWith("NOGROUP"),
        () =>
          Effect.sync(() => wanted.forEach((shard) => ready.delete(shard))).pipe(
            Effect.zipRight(ensureGroups(wanted)),
            Effect.zipRight(op)
          )
      )
    )
  return { redis, inboxKey, deadKey: (shard) => client.key(`s${shard}`, "dead"), withGroups }
}

const sender = ({ inboxKey, redis }: Streams, shards: number): ShardInboxService["send"] => (envelope) =>
  Effect.gen(function*() {
    const text = yield* encodeEnvelope(envelope).pipe(
      Effect.mapError((cause) => new PersistenceError({ operation: "ShardInbox.send: encode", cause }))
    )
    const shard = shardOf(envelope.target, shards)
    return yield* call("ShardInbox.send", () => redis.xadd(inboxKey(shard), "*", "e", text)).pipe(
      Effect.flatMap(decodeReply(Schema.String, "ShardInbox.send"))
    )
  })

const readOn = (connection: Redis, args: ReadonlyArray<string | number>) =>
  call("ShardInbox.read", () => connection.call("XREADGROUP", ...args)).pipe(
    Effect.flatMap(decodeReply(ReadReply, "ShardInbox.read"))
  )

/**
 * New entries of the shards for a consumer. A blocking read gets a connection of its own from `blocking`: a BLOCK on
 * the shared, auto-pipelined connection would stall every other command of the process behind it.
 */
const reader = (
  { inboxKey, redis, withGroups }: Streams,
  blocking: Pool.Pool<Redis>
): ShardInboxService["read"] =>
(consumer, wanted, options) => {
  if (wanted.length === 0) {
    return options.blockMs > 0
      ? Effect.as(Effect.sleep(options.blockMs), [])
      : Effect.succeed([])
  }
  const shardOfKey = new Map(wanted.map((shard) => [inboxKey(shard), shard]))
  const keys = Array.from(shardOfKey.keys())
  const block = options.blockMs > 0 ? ["BLOCK", Math.ceil(options.blockMs)] : []
  const args = [
    "GROUP",
    group,
    consumer,
    "COUNT",
    Math.max(1, options.count),
    ...block,
    "STREAMS",
    ...keys,
    ...keys.map(() => ">")
  ]
  const reply = options.blockMs > 0
    ? Effect.scoped(
      Effect.flatMap(
        blocking.get,
        (connection) => readOn(connection, args).pipe(Effect.onInterrupt(() => blocking.invalidate(connection)))
      )
    )
    : readOn(redis, args)
  return withGroups(wanted, reply).pipe(
    Effect.map((streams) =>
      (streams ?? []).flatMap(([key, entries]) => {
        const shard = shardOfKey.get(key) ?? -1
        return entries.flatMap(([id, fields]) => (fields === null ? [] : [delivery(shard, id, fields, 1)]))
      })
    )
  )
}

/** Entries of a shard idle for `minIdleMs`, taken over for `consumer` (at most about `claimLimit`). */
const claimEntries = ({ inboxKey, redis }: Streams, shard: number, consumer: string, minIdleMs: number) =>
  Effect.gen(function*() {
    const claimed: Array<readonly [string, ReadonlyArray<string>]> = []
    let start = "0-0"
    do {
      const [next, entries] = yield* call(
        "ShardInbox.claim",
        () =>
          redis.call(
            "XAUTOCLAIM",
            inboxKey(shard),
            group,
            consumer,
            Math.max(0, Math.floor(minIdleMs)),
            start,
            "COUNT",
            100
          )
      ).pipe(Effect.flatMap(decodeReply(AutoClaimReply, "ShardInbox.claim")))
      for (const [id, fields] of entries) {
        if (fields !== null) {
          claimed.push([id, fields])
        }
      }
      start = next
    } while (start !== "0-0" && claimed.length < claimLimit)
    return claimed
  })

const claimer = (streams: Streams): ShardInboxService["claim"] => (shard, consumer, minIdleMs) =>
  streams.withGroups([shard], claimEntries(streams, shard, consumer, minIdleMs)).pipe(
    Effect.flatMap((claimed) =>
      // Delivery counts of the claimed entries: one XPENDING per entry, sent together (auto-pipelined).
      Effect.forEach(claimed, ([id, fields]) =>
        call("ShardInbox.claim: pending", () =>
          streams.redis.xpending(streams.inboxKey(shard), group, id, id, 1)).pipe(
            Effect.flatMap(decodeReply(PendingRange, "ShardInbox.claim: pending")),
            Effect.map((pending) => delivery(shard, id, fields, pending[0]?.[3] ?? 1))
          ), { concurrency: "unbounded" })
    )
  )

const orphanClaimer =
  ({ inboxKey, redis, withGroups }: Streams): ShardInboxService["claimOrphans"] => (shard, consumer) =>
    withGroups(
      [shard],
      call("ShardInbox.claimOrphans", () => redis.eval(adoptScript, 1, inboxKey(shard), group, consumer, claimLimit))
    ).pipe(
      Effect.flatMap(decodeReply(OrphansReply, "ShardInbox.claimOrphans")),
      // In stream order, as a read gives them: commands to one scan are handled in the order they were sent.
      Effect.map((claimed) =>
        [...claimed].sort(([a], [b]) => compareIds(a, b)).flatMap(([id, fields, deliveries]) =>
          fields === null ? [] : [delivery(shard, id, fields, deliveries)]
        )
      )
    )

/** Moves an entry to its shard's dead letters and acknowledges it, in one transaction. */
const deadLetterer = ({ deadKey, inboxKey, redis }: Streams): ShardInboxService["deadLetter"] => (entry, reason) =>
  Effect.tryPromise({
    try: () =>
      redis.multi()
        .xadd(
          deadKey(entry.shard),
          "*",
          "e",
          entry.raw,
          "reason",
          reason,
          "deliveries",
          entry.deliveries,
          "id",
          entry.id
        )
        .xack(inboxKey(entry.shard), group, entry.id)
        .exec(),
    catch: (cause) => new PersistenceError({ operation: "ShardInbox.deadLetter", cause })
  }).pipe(
    Effect.flatMap((results) => {
      const failed = results === null ? "transaction discarded" : results.find(([error]) => error !== null)?.[0]
      return failed === undefined || failed === null
        ? Effect.void
        : Effect.fail(new PersistenceError({ operation: "ShardInbox.deadLetter", cause: failed }))
    })
  )

const deadLetterReader = ({ deadKey, redis }: Streams): ShardInboxService["deadLetters"] => (shard, limit) =>
  call("ShardInbox.deadLetters", () => redis.xrevrange(deadKey(shard), "+", "-", "COUNT", limit)).pipe(
    Effect.flatMap(decodeReply(DeadRange, "ShardInbox.deadLetters")),
    Effect.map((entries) =>
      entries.map(([streamId, fields]): DeadLetter => {
        const field = pairs(fields)
        return {
          shard,
          id: String(field["id"] ?? ""),
          raw: String(field["e"] ?? ""),
          reason: String(field["reason"] ?? ""),
          deliveries: Number(field["deliveries"] ?? 0),
          // A stream id starts with the time Redis added the entry.
          at: Number(streamId.split("-")[0])
        }
      })
    )
  )

/** How many entries of a shard are delivered and not acknowledged, and how many are not read yet. */
const pendingCounter = ({ inboxKey, redis }: Streams): ShardInboxService["pending"] => (shard) =>
  Effect.gen(function*() {
    const operation = "ShardInbox.pending"
    const groups = yield* Effect.tryPromise({
      try: () => redis.xinfo("GROUPS", inboxKey(shard)),
      catch: (cause) => cause
    }).pipe(
      Effect.catchIf((cause) => errorText(cause).includes("no such key"), () => Effect.succeed([])),
      Effect.mapError((cause) => new PersistenceError({ operation, cause })),
      Effect.flatMap(decodeReply(GroupsReply, operation))
    )
    const infos = yield* Effect.forEach(groups, (fields) => decodeReply(GroupInfo, operation)(pairs(fields)))
    const info = infos.find((g) => g.name === group)
    if (info !== undefined && info.lag !== null) return { pending: info.pending, lag: info.lag }
    if (info === undefined) {
      // No group yet: every entry is waiting.
      const length = yield* call(operation, () => redis.xlen(inboxKey(shard))).pipe(
        Effect.flatMap(decodeReply(Schema.Number, operation))
      )
      return { pending: 0, lag: length }
    }
    // Redis could not tell the lag: count the entries after the group's position (up to a bound).
    const after = yield* call(
      operation,
      () => redis.xrange(inboxKey(shard), `(${info["last-delivered-id"]}`, "+", "COUNT", lagCountLimit)
    ).pipe(Effect.flatMap(decodeReply(RangeReply, operation)))
    return { pending: info.pending, lag: after.length }
  })

export const makeWith = (shards: number) =>
  Effect.gen(function*() {
    const client = yield* RedisClient
    const streams = makeStreams(client)
    // Blocking reads get connections of their own (see `reader`).
    const blocking = yield* Pool.makeWithTTL({
      acquire: client.duplicate,
      min: 1,
      max: 4,
      timeToLive: "60 seconds",
      timeToLiveStrategy: "usage"
    })
    return ShardInbox.of({
      shards,
      send: sender(streams, shards),
      read: reader(streams, blocking),
      claim: claimer(streams),
      claimOrphans: orphanClaimer(streams),
      ack: (shard, ids) =>
        Effect.forEach(
          chunks(ids, 1000),
          (chunk) => call("ShardInbox.ack", () => streams.redis.xack(streams.inboxKey(shard), group, ...chunk)),
          { discard: true }
        ),
      deadLetter: deadLetterer(streams),
      deadLetters: deadLetterReader(streams),
      pending: pendingCounter(streams)
    })
  })

/** Stream entry ids (`<ms>-<seq>`) in stream order. */
const compareIds = (a: string, b: string): number => {
  const [aMs = 0, aSeq = 0] = a.split("-").map(Number)
  const [bMs = 0, bSeq = 0] = b.split("-").map(Number)
  return aMs - bMs || aSeq - bSeq
}

/** XINFO's flat [name, value, name, value, ...] as an object. */
const pairs = (fields: ReadonlyArray<unknown>): Record<string, unknown> => {
  const record: Record<string, unknown> = {}
  for (let i = 0; i + 1 < fields.length; i += 2) record[String(fields[i])] = fields[i + 1]
  return record
}

const chunks = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

export const make = Effect.flatMap(ShardCount, makeWith)

/** The shard inboxes on the Redis of `RedisClient`, with the cluster's shard count from `MIRAGE_SHARDS`. */
export const layer = Layer.scoped(ShardInbox, make)

export const layerWith = (shards: number) => Layer.scoped(ShardInbox, makeWith(shards))
