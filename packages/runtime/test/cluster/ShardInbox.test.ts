/** The shard inboxes' contract, run against Redis Streams (a fresh key prefix per test) and the in-memory twin. */
import { describe, expect, it } from "@effect/vitest"
import { ScanId } from "@mirage/domain/Ids"
import { TestStores } from "@mirage/testkit"
import { Clock, Effect, Fiber, Redacted, TestClock } from "effect"
import type { Scope } from "effect"
import type { Envelope, ShardInboxService } from "../../src/cluster/ShardInbox.js"
import * as ShardInboxMemory from "../../src/cluster/ShardInbox/Memory.js"
import * as ShardInboxRedis from "../../src/cluster/ShardInbox/Redis.js"
import { shardOf } from "../../src/cluster/Shards.js"
import * as RedisClient from "../../src/platform/RedisClient.js"

const shards = 4

interface Harness {
  readonly inbox: ShardInboxService
  /** Appends an entry whose envelope field is `raw`, as a buggy or foreign sender would. */
  readonly sendRaw: (shard: number, raw: string) => Effect.Effect<unknown>
  /** Claims the shard's pending entries for `consumer` once they have been idle a little while. */
  readonly claimWhenIdle: (shard: number, consumer: string) => Effect.Effect<ReadonlyArray<ShardInboxDelivery>>
  /** Lets a blocking read time out. */
  readonly passBlock: (ms: number) => Effect.Effect<void>
}

type ShardInboxDelivery = Effect.Effect.Success<ReturnType<ShardInboxService["claim"]>>[number]

const redisHarness: Effect.Effect<Harness, never, Scope.Scope> = Effect.gen(function*() {
  const prefix = yield* TestStores.freshRedisPrefix
  const url = yield* TestStores.redisUrl
  const client = yield* RedisClient.make({ url: Redacted.make(url), prefix: prefix.replace(/:$/, "") })
  const inbox = yield* Effect.provideService(ShardInboxRedis.makeWith(shards), RedisClient.RedisClient, client)
  const harness: Harness = {
    inbox,
    sendRaw: (shard, raw) => Effect.promise(() => client.redis.xadd(client.key(`s${shard}`, "inbox"), "*", "e", raw)),
    // Real Redis measures idle time on its own clock: ask with a 1 ms minimum idle time until it has passed (no sleep,
    // each attempt is a round trip).
    claimWhenIdle: (shard, consumer) =>
      inbox.claim(shard, consumer, 1).pipe(
        Effect.repeat({ until: (claimed) => claimed.length > 0, times: 10_000 }),
        Effect.orDie
      ),
    passBlock: () => Effect.void
  }
  return harness
}).pipe(Effect.orDie)

const memoryHarness: Effect.Effect<Harness> = Effect.sync(() => {
  const store = ShardInboxMemory.makeStore(shards)
  const inbox = ShardInboxMemory.make(store)
  return {
    inbox,
    sendRaw: (shard, raw) => ShardInboxMemory.appendRaw(store, shard, raw),
    claimWhenIdle: (shard, consumer) =>
      TestClock.adjust("1 second").pipe(Effect.zipRight(Effect.orDie(inbox.claim(shard, consumer, 1000)))),
    passBlock: (ms) => TestClock.adjust(ms)
  }
})

/** Scan ids whose commands land in the given shard. */
const targetsIn = (shard: number, count: number): Array<ScanId> => {
  const out: Array<ScanId> = []
  for (let i = 0; out.length < count; i++) {
    const id = ScanId.make(`00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`)
    if (shardOf(id, shards) === shard) out.push(id)
  }
  return out
}

const envelope = (target: string, commandId: string): Envelope => ({
  target,
  command_id: commandId,
  command: { _tag: "StartScan" },
  reply_to: "mirage:reply:abc",
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  sent_at: 1_700_000_000_000
})

const read = (inbox: ShardInboxService, consumer: string, wanted: ReadonlyArray<number>, blockMs = 0) =>
  inbox.read(consumer, wanted, { count: 10, blockMs })

const suite = (name: string, harness: Effect.Effect<Harness, never, Scope.Scope>) =>
  describe(name, () => {
    it.scoped("delivers what is sent to the shard's reader until it is acknowledged", () =>
      Effect.gen(function*() {
        const { inbox } = yield* harness
        expect(inbox.shards).toBe(shards)
        const [target] = targetsIn(1, 1)
        const sent = envelope(target!, "cmd-1")
        const id = yield* inbox.send(sent)
        const [delivery, ...more] = yield* read(inbox, "c1", [1])
        expect(more).toEqual([])
        expect(delivery).toMatchObject({ shard: 1, id, deliveries: 1, envelope: sent })
        expect(yield* inbox.pending(1)).toEqual({ pending: 1, lag: 0 })
        // Delivered once to the group: nobody reads it again as new.
        expect(yield* read(inbox, "c2", [1])).toEqual([])
        yield* inbox.ack(1, [id])
        expect(yield* inbox.pending(1)).toEqual({ pending: 0, lag: 0 })
        yield* inbox.ack(1, [])
      }))

    it.scoped("delivers entries sent before anyone read the shard, in order", () =>
      Effect.gen(function*() {
        const { inbox } = yield* harness
        const targets = targetsIn(2, 3)
        const ids: Array<string> = []
        for (const [i, target] of targets.entries()) ids.push(yield* inbox.send(envelope(target, `early-${i}`)))
        expect(yield* inbox.pending(2)).toEqual({ pending: 0, lag: 3 })
        const deliveries = yield* read(inbox, "c1", [2])
        expect(deliveries.map((d) => d.id)).toEqual(ids)
        expect(deliveries.map((d) => d.envelope?.command_id)).toEqual(["early-0", "early-1", "early-2"])
        expect(yield* inbox.pending(2)).toEqual({ pending: 3, lag: 0 })
        expect(yield* inbox.pending(3)).toEqual({ pending: 0, lag: 0 })
      }))

    it.scoped("reads several shards at once, at most `count` of each", () =>
      Effect.gen(function*() {
        const { inbox } = yield* harness
        for (const [i, target] of targetsIn(0, 3).entries()) yield* inbox.send(envelope(target, `a${i}`))
        for (const [i, target] of targetsIn(3, 1).entries()) yield* inbox.send(envelope(target, `b${i}`))
        const first = yield* inbox.read("c1", [0, 3], { count: 2, blockMs: 0 })
        expect(first.map((d) => [d.shard, d.envelope?.command_id])).toEqual([[0, "a0"], [0, "a1"], [3, "b0"]])
        const second = yield* inbox.read("c1", [0, 3], { count: 2, blockMs: 0 })
        expect(second.map((d) => [d.shard, d.envelope?.command_id])).toEqual([[0, "a2"]])
      }))

    it.scoped("hands an unacknowledged entry to another consumer once idle, counting deliveries", () =>
      Effect.gen(function*() {
        const { claimWhenIdle, inbox } = yield* harness
        const [target] = targetsIn(1, 1)
        const id = yield* inbox.send(envelope(target!, "cmd-1"))
        yield* read(inbox, "old-owner", [1])
        // Not idle long enough yet.
        expect(yield* inbox.claim(1, "new-owner", 60_000)).toEqual([])
        const claimed = yield* claimWhenIdle(1, "new-owner")
        expect(claimed.map((d) => [d.id, d.deliveries, d.envelope?.command_id])).toEqual([[id, 2, "cmd-1"]])
        const again = yield* claimWhenIdle(1, "third")
        expect(again.map((d) => [d.id, d.deliveries])).toEqual([[id, 3]])
        expect(yield* inbox.pending(1)).toEqual({ pending: 1, lag: 0 })
        yield* inbox.ack(1, [id])
        expect(yield* inbox.pending(1)).toEqual({ pending: 0, lag: 0 })
        expect(yield* inbox.claim(1, "fourth", 0)).toEqual([])
        // A shard nobody read yet has nothing to claim.
        expect(yield* inbox.claim(2, "fourth", 0)).toEqual([])
      }))

    it.scoped("an owner takes over at once what other consumers hold of its shard, never its own entries", () =>
      Effect.gen(function*() {
        const { inbox } = yield* harness
        const targets = targetsIn(1, 4)
        const ids: Array<string> = []
        for (const [i, target] of targets.entries()) ids.push(yield* inbox.send(envelope(target, `cmd-${i}`)))
        // The owner reads the first entry; a node that lost the shard had a read out that took the next two.
        yield* inbox.read("owner", [1], { count: 1, blockMs: 0 })
        yield* inbox.read("previous", [1], { count: 2, blockMs: 0 })
        yield* inbox.read("older", [1], { count: 1, blockMs: 0 })
        const orphans = yield* inbox.claimOrphans(1, "owner")
        expect(orphans.map((d) => [d.id, d.deliveries, d.envelope?.command_id])).toEqual([
          [ids[1], 2, "cmd-1"],
          [ids[2], 2, "cmd-2"],
          [ids[3], 2, "cmd-3"]
        ])
        // Now all four are the owner's: nothing more to adopt, and an idle claim by the owner is what redelivers them.
        expect(yield* inbox.claimOrphans(1, "owner")).toEqual([])
        expect(yield* inbox.pending(1)).toEqual({ pending: 4, lag: 0 })
        yield* inbox.ack(1, ids)
        expect(yield* inbox.claimOrphans(1, "owner")).toEqual([])
        // A shard nobody read yet has nothing to adopt.
        expect(yield* inbox.claimOrphans(2, "owner")).toEqual([])
      }))

    it.scoped("moves an entry to the dead letters and acknowledges it; lists them newest first", () =>
      Effect.gen(function*() {
        const { inbox } = yield* harness
        const [target] = targetsIn(3, 1)
        const before = yield* Clock.currentTimeMillis
        const id = yield* inbox.send(envelope(target!, "poison"))
        const second = yield* inbox.send(envelope(target!, "poison-2"))
        const [delivery, next] = yield* read(inbox, "c1", [3])
        yield* inbox.deadLetter(delivery!, "delivered 1 times")
        expect(yield* inbox.pending(3)).toEqual({ pending: 1, lag: 0 })
        yield* inbox.deadLetter(next!, "undecodable entry")
        expect(yield* inbox.pending(3)).toEqual({ pending: 0, lag: 0 })
        const dead = yield* inbox.deadLetters(3, 10)
        expect(dead.map(({ at: _, ...letter }) => letter)).toEqual([
          { shard: 3, raw: next!.raw, reason: "undecodable entry", deliveries: 1, id: second },
          { shard: 3, raw: delivery!.raw, reason: "delivered 1 times", deliveries: 1, id }
        ])
        for (const letter of dead) expect(letter.at).toBeGreaterThanOrEqual(before)
        expect((yield* inbox.deadLetters(3, 1)).map((letter) => letter.id)).toEqual([second])
        expect(yield* inbox.deadLetters(4, 10)).toEqual([])
      }))

    it.scoped("delivers an undecodable entry without an envelope", () =>
      Effect.gen(function*() {
        const { inbox, sendRaw } = yield* harness
        yield* sendRaw(2, "{not json")
        yield* sendRaw(2, JSON.stringify({ target: "x" }))
        const deliveries = yield* read(inbox, "c1", [2])
        expect(deliveries.map((d) => [d.envelope, d.raw, d.deliveries])).toEqual([
          [undefined, "{not json", 1],
          [undefined, JSON.stringify({ target: "x" }), 1]
        ])
      }))

    it.scoped("a blocking read waits for the next entry, or gives up after blockMs", () =>
      Effect.gen(function*() {
        const { inbox, passBlock } = yield* harness
        const waiting = yield* Effect.fork(read(inbox, "c1", [0], 20))
        yield* passBlock(20)
        expect(yield* Fiber.join(waiting)).toEqual([])
        const reader = yield* Effect.fork(read(inbox, "c1", [0, 1], 10_000))
        const [target] = targetsIn(1, 1)
        yield* inbox.send(envelope(target!, "wake"))
        const woken = yield* Fiber.join(reader)
        expect(woken.map((d) => d.envelope?.command_id)).toEqual(["wake"])
      }))
  })

describe("ShardInbox", () => {
  suite("Redis", redisHarness)
  suite("Memory", memoryHarness)

  describe("Redis only", () => {
    const redis = Effect.gen(function*() {
      const prefix = yield* TestStores.freshRedisPrefix
      const url = yield* TestStores.redisUrl
      const client = yield* RedisClient.make({ url: Redacted.make(url), prefix: prefix.replace(/:$/, "") })
      const inbox = yield* Effect.provideService(ShardInboxRedis.makeWith(shards), RedisClient.RedisClient, client)
      return { client, inbox }
    }).pipe(Effect.orDie)

    it.scoped("an entry without an envelope field comes with its fields as raw", () =>
      Effect.gen(function*() {
        const { client, inbox } = yield* redis
        yield* Effect.promise(() => client.redis.xadd(client.key("s1", "inbox"), "*", "x", "1"))
        const deliveries = yield* read(inbox, "c1", [1])
        expect(deliveries.map((d) => [d.envelope, d.raw])).toEqual([[undefined, JSON.stringify(["x", "1"])]])
      }))

    it.scoped("recreates the group when the stream was deleted under it", () =>
      Effect.gen(function*() {
        const { client, inbox } = yield* redis
        expect(yield* read(inbox, "c1", [1])).toEqual([])
        yield* Effect.promise(() => client.redis.del(client.key("s1", "inbox")))
        const [target] = targetsIn(1, 1)
        yield* inbox.send(envelope(target!, "after"))
        const deliveries = yield* read(inbox, "c1", [1])
        expect(deliveries.map((d) => d.envelope?.command_id)).toEqual(["after"])
      }))
  })
})
