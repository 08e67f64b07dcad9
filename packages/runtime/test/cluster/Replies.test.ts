/** Replies: a command's outcome published on the asker's channel reaches it; none within the wait is None. */
import { describe, expect, it } from "@effect/vitest"
import { TestStores } from "@mirage/testkit"
import { Deferred, Effect, Fiber, Option, Redacted, TestClock } from "effect"
import type { Scope } from "effect"
import type { RepliesService, Reply } from "../../src/cluster/Replies.js"
import * as RepliesMemory from "../../src/cluster/Replies/Memory.js"
import * as RepliesRedis from "../../src/cluster/Replies/Redis.js"
import * as RedisClient from "../../src/platform/RedisClient.js"

/** Two processes: a gateway that asks and a node that answers. */
interface Processes {
  readonly gateway: RepliesService
  readonly node: RepliesService
}

const redisProcesses: Effect.Effect<Processes, never, Scope.Scope> = Effect.gen(function*() {
  const prefix = yield* TestStores.freshRedisPrefix
  const url = yield* TestStores.redisUrl
  const process = Effect.flatMap(
    RedisClient.make({ url: Redacted.make(url), prefix: prefix.replace(/:$/, "") }),
    (client) => Effect.provideService(RepliesRedis.make, RedisClient.RedisClient, client)
  )
  return { gateway: yield* process, node: yield* process }
}).pipe(Effect.orDie)

const memoryProcesses: Effect.Effect<Processes, never, Scope.Scope> = Effect.gen(function*() {
  const hub = RepliesMemory.makeMemoryHub()
  return { gateway: yield* RepliesMemory.make(hub), node: yield* RepliesMemory.make(hub) }
})

const accepted = (commandId: string): Reply => ({ command_id: commandId, outcome: "accepted", rejection: null })

const suite = (name: string, processes: Effect.Effect<Processes, never, Scope.Scope>) =>
  describe(name, () => {
    it.scoped("each process has a channel of its own", () =>
      Effect.gen(function*() {
        const { gateway, node } = yield* processes
        expect(gateway.channel).not.toEqual(node.channel)
      }))

    it.scoped("ask gets the reply published on its channel, even one faster than the send returns", () =>
      Effect.gen(function*() {
        const { gateway, node } = yield* processes
        const reply: Reply = {
          command_id: "cmd-1",
          outcome: "rejected",
          rejection: { tag: "IllegalTransition", message: "cannot start a scan that is RUNNING", status: "RUNNING" }
        }
        // The "send" is the node answering at once: interest was registered before it ran.
        const got = yield* gateway.ask("cmd-1", node.publish(gateway.channel, reply), 5_000)
        expect(got).toEqual(Option.some(reply))
      }))

    it.scoped("a reply to another command, or on another channel, is not taken", () =>
      Effect.gen(function*() {
        const { gateway, node } = yield* processes
        // The right reply comes last: had a wrong one been taken, the ask would have ended with it.
        const got = yield* gateway.ask(
          "cmd-2",
          Effect.all([
            node.publish(gateway.channel, accepted("cmd-other")),
            node.publish(node.channel, { ...accepted("cmd-2"), outcome: "rejected" }),
            node.publish(gateway.channel, accepted("cmd-2"))
          ]),
          5_000
        )
        expect(got).toEqual(Option.some(accepted("cmd-2")))
      }))

    it.scoped("no reply within the wait gives None", () =>
      Effect.gen(function*() {
        const { gateway } = yield* processes
        const asking = yield* Effect.fork(gateway.ask("cmd-3", Effect.void, 1_000))
        yield* TestClock.adjust("1 second")
        expect(yield* Fiber.join(asking)).toEqual(Option.none())
        // A reply that comes too late goes nowhere.
        yield* gateway.publish(gateway.channel, accepted("cmd-3"))
      }))

    it.scoped("several callers waiting for the same command all get its reply", () =>
      Effect.gen(function*() {
        const { gateway, node } = yield* processes
        const registered = yield* Deferred.make<void>()
        // The first caller's send runs once its interest is registered.
        const first = yield* Effect.fork(gateway.ask("cmd-4", Deferred.succeed(registered, undefined), 5_000))
        yield* Deferred.await(registered)
        const second = yield* gateway.ask("cmd-4", node.publish(gateway.channel, accepted("cmd-4")), 5_000)
        expect(second).toEqual(Option.some(accepted("cmd-4")))
        expect(yield* Fiber.join(first)).toEqual(Option.some(accepted("cmd-4")))
      }))
  })

describe("Replies", () => {
  suite("Redis", redisProcesses)
  suite("Memory", memoryProcesses)
})
