/**
 * The shard inboxes in memory, the twin of ShardInbox/Redis: one stream per shard read by one consumer group, with
 * pending entries, delivery counts, claims by idle time and dead letters. Time is Effect's Clock (entry ids and idle
 * times), so a simulation under TestClock is deterministic.
 */
import { Clock, Deferred, Duration, Effect, Either, Exit, FiberId, Layer, Schema } from "effect"
import { PersistenceError } from "../../platform/Errors.js"
import { Envelope, ShardInbox } from "../ShardInbox.js"
import type { DeadLetter, Delivery, ShardInboxService } from "../ShardInbox.js"
import { ShardCount, shardOf } from "../Shards.js"

const EnvelopeJson = Schema.parseJson(Envelope)
const encodeEnvelope = Schema.encodeEither(EnvelopeJson)
const decodeEnvelope = Schema.decodeUnknownEither(EnvelopeJson)

/** Like XAUTOCLAIM's: how many entries one claim takes over at most. */
const claimLimit = 1000

interface PendingEntry {
  consumer: string
  deliveries: number
  deliveredAt: number
}

interface Stream {
  readonly entries: Array<{ readonly id: string; readonly raw: string }>
  readonly raws: Map<string, string>
  /** Index in `entries` of the first entry not yet delivered to the group. */
  delivered: number
  /** In first-delivery order, which is id order. */
  readonly pel: Map<string, PendingEntry>
  readonly dead: Array<DeadLetter>
  lastMs: number
  lastSeq: number
}

/** The inboxes' contents: several nodes of one simulation share one. */
export interface ShardInboxMemory {
  readonly shards: number
  readonly streams: Map<number, Stream>
  /** Completed (and replaced) by every send, waking blocked reads. */
  signal: Deferred.Deferred<void>
  /** While true every call fails, as when Redis is unreachable. */
  outage: boolean
}

export const makeStore = (shards: number): ShardInboxMemory => ({
  shards,
  streams: new Map(),
  signal: Deferred.unsafeMake(FiberId.none),
  outage: false
})

const streamOf = (store: ShardInboxMemory, shard: number): Stream => {
  let stream = store.streams.get(shard)
  if (stream === undefined) {
    stream = { entries: [], raws: new Map(), delivered: 0, pel: new Map(), dead: [], lastMs: -1, lastSeq: 0 }
    store.streams.set(shard, stream)
  }
  return stream
}

/** Appends an entry as it is, as XADD of any text would: how tests put undecodable entries in a stream. */
export const appendRaw = (store: ShardInboxMemory, shard: number, raw: string): Effect.Effect<string> =>
  Effect.map(Clock.currentTimeMillis, (now) => {
    const stream = streamOf(store, shard)
    // Ids grow like Redis ones: `<ms>-<seq>`, the sequence counting within one millisecond.
    if (now > stream.lastMs) {
      stream.lastMs = now
      stream.lastSeq = 0
    } else {
      stream.lastSeq++
    }
    const id = `${stream.lastMs}-${stream.lastSeq}`
    stream.entries.push({ id, raw })
    stream.raws.set(id, raw)
    const waiting = store.signal
    store.signal = Deferred.unsafeMake(FiberId.none)
    Deferred.unsafeDone(waiting, Exit.void)
    return id
  })

/** The dead letters of a shard, oldest first. */
export const deadLetters = (store: ShardInboxMemory, shard: number): ReadonlyArray<DeadLetter> =>
  store.streams.get(shard)?.dead ?? []

const toDelivery = (shard: number, id: string, raw: string, deliveries: number): Delivery => ({
  shard,
  id,
  deliveries,
  envelope: Either.getOrUndefined(decodeEnvelope(raw)),
  raw
})

export const make = (store: ShardInboxMemory): ShardInboxService => {
  const guarded = <A, E>(operation: string, run: Effect.Effect<A, E>) =>
    Effect.suspend((): Effect.Effect<A, E | PersistenceError> =>
      store.outage ? Effect.fail(new PersistenceError({ operation, cause: "inbox unavailable" })) : run
    )

  const take = (consumer: string, shards: ReadonlyArray<number>, count: number, now: number) => {
    const out: Array<Delivery> = []
    for (const shard of new Set(shards)) {
      const stream = streamOf(store, shard)
      const fresh = stream.entries.slice(stream.delivered, stream.delivered + Math.max(1, count))
      stream.delivered += fresh.length
      for (const { id, raw } of fresh) {
        stream.pel.set(id, { consumer, deliveries: 1, deliveredAt: now })
        out.push(toDelivery(shard, id, raw, 1))
      }
    }
    return out
  }

  const read: ShardInboxService["read"] = (consumer, shards, options) =>
    guarded(
      "ShardInbox.read",
      Effect.gen(function*() {
        const deadline = (yield* Clock.currentTimeMillis) + Math.max(0, options.blockMs)
        while (true) {
          const now = yield* Clock.currentTimeMillis
          // Taking the signal and the entries in one step: a send in between cannot be missed.
          const signal = store.signal
          const taken = take(consumer, shards, options.count, now)
          if (taken.length > 0 || now >= deadline) return taken
          yield* Deferred.await(signal).pipe(Effect.timeoutOption(Duration.millis(deadline - now)))
        }
      })
    )

  /** Pending entries of the shard that `takes` picks (in stream order, at most claimLimit), now delivered to `consumer`. */
  const takeOver = (
    operation: string,
    shard: number,
    consumer: string,
    takes: (entry: PendingEntry, now: number) => boolean
  ) =>
    guarded(
      operation,
      Effect.map(Clock.currentTimeMillis, (now) => {
        const stream = streamOf(store, shard)
        const out: Array<Delivery> = []
        for (const [id, entry] of stream.pel) {
          if (out.length >= claimLimit) break
          if (!takes(entry, now)) continue
          entry.consumer = consumer
          entry.deliveries++
          entry.deliveredAt = now
          out.push(toDelivery(shard, id, stream.raws.get(id) ?? "", entry.deliveries))
        }
        return out
      })
    )

  const claim: ShardInboxService["claim"] = (shard, consumer, minIdleMs) =>
    takeOver("ShardInbox.claim", shard, consumer, (entry, now) => now - entry.deliveredAt >= minIdleMs)

  const claimOrphans: ShardInboxService["claimOrphans"] = (shard, consumer) =>
    takeOver("ShardInbox.claimOrphans", shard, consumer, (entry) => entry.consumer !== consumer)

  return ShardInbox.of({
    shards: store.shards,
    send: (envelope) =>
      guarded(
        "ShardInbox.send",
        Either.match(encodeEnvelope(envelope), {
          onLeft: (cause) => Effect.fail(new PersistenceError({ operation: "ShardInbox.send: encode", cause })),
          onRight: (raw) => appendRaw(store, shardOf(envelope.target, store.shards), raw)
        })
      ),
    read,
    claim,
    claimOrphans,
    ack: (shard, ids) =>
      guarded(
        "ShardInbox.ack",
        Effect.sync(() => {
          const stream = streamOf(store, shard)
          for (const id of ids) stream.pel.delete(id)
        })
      ),
    deadLetter: (delivery, reason) =>
      guarded(
        "ShardInbox.deadLetter",
        Effect.map(Clock.currentTimeMillis, (at) => {
          const stream = streamOf(store, delivery.shard)
          stream.dead.push({
            shard: delivery.shard,
            id: delivery.id,
            raw: delivery.raw,
            reason,
            deliveries: delivery.deliveries,
            at
          })
          stream.pel.delete(delivery.id)
        })
      ),
    deadLetters: (shard, limit) =>
      guarded(
        "ShardInbox.deadLetters",
        Effect.sync(() => (limit <= 0 ? [] : streamOf(store, shard).dead.slice(-limit).reverse()))
      ),
    pending: (shard) =>
      guarded(
        "ShardInbox.pending",
        Effect.sync(() => {
          const stream = streamOf(store, shard)
          return { pending: stream.pel.size, lag: stream.entries.length - stream.delivered }
        })
      )
  })
}

/** Shard inboxes on the given contents. */
export const layer = (store: ShardInboxMemory) => Layer.succeed(ShardInbox, make(store))

/** Shard inboxes of their own, with the cluster's shard count from `MIRAGE_SHARDS`. */
export const layerFresh = Layer.effect(ShardInbox, Effect.map(ShardCount, (shards) => make(makeStore(shards))))
