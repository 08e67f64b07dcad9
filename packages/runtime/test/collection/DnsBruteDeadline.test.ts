/**
 * A large dns_brute through a node's executor, at a dns rate limit on the TestClock:
 * it streams (lookups go out while most of the wordlist is still waiting for tokens), and when the
 * scan's deadline interrupts it, as the actor does at max_duration, it stops at once and asks no more.
 */
import { describe, expect, it } from "@effect/vitest"
import { Entity } from "@mirage/domain/Entity"
import { ModuleId, TaskId } from "@mirage/domain/Ids"
import * as DnsServer from "@mirage/testkit/DnsServer"
import { Effect, Fiber, TestClock } from "effect"
import { randomUUID } from "node:crypto"
import * as ModuleExecutor from "../../src/collection/ModuleExecutor.js"
import { TaskExecutor } from "../../src/collection/TaskExecutor.js"

const domain = "big.example.test"
const words = Array.from({ length: 20_000 }, (_, i) => `w${i}`)

// The lookups are real UDP: a turn of the event loop, not of the TestClock, lets their answers in.
const ioTurn = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 5)))

/** Polls (a bounded number of turns) until the server has received `n` questions; their count. */
const questionsReach = (server: DnsServer.DnsServer, n: number) =>
  Effect.gen(function*() {
    for (let turn = 0; turn < 2_000; turn++) {
      const asked = server.questions().length
      if (asked >= n) return asked
      yield* ioTurn
    }
    return yield* Effect.dieMessage(`the DNS server saw ${server.questions().length} questions, not ${n}`)
  })

describe("dns_brute at the dns rate limit", () => {
  it.scoped(
    "20,000 words stream at the rate limit and stop the moment the deadline interrupts them",
    () =>
      Effect.gen(function*() {
        const zone: Record<string, DnsServer.ZoneEntry> = { [domain]: { A: ["192.0.2.1"] } }
        for (let i = 0; i < words.length; i += 100) zone[`w${i}.${domain}`] = { A: ["192.0.2.2"] }
        const server = yield* DnsServer.make(zone)
        const executor = yield* Effect.provide(
          TaskExecutor,
          ModuleExecutor.layerMemory({
            endpoints: { dnsServers: [server.address] },
            // Fewer tokens than the default 50/s, so that the TestClock has fewer wake-ups to step through.
            settings: { sources: { dns: { rate_limit: { requests: 10, perSeconds: 1, burst: 20 } } } }
          })
        )
        const running = yield* Effect.fork(executor.run({
          task_id: TaskId.make(randomUUID()),
          owner: "deadline",
          scan_id: null,
          module_id: ModuleId.make("dns_brute"),
          entity: Entity.make({ type: "DOMAIN", value: domain }),
          config: { wordlist: words, use_builtin_wordlist: false, wildcard_probes: 0 },
          priority: "MEDIUM",
          timeout_ms: 3_600_000
        }))
        // The burst (20 tokens), then 10 a second: three seconds of the clock let 30 more out.
        expect(yield* questionsReach(server, 20)).toBe(20)
        yield* Effect.repeatN(ioTurn, 20)
        expect(server.questions().length).toBe(20)
        yield* TestClock.adjust("3 seconds")
        yield* questionsReach(server, 48)
        // The deadline: the actor interrupts the task; the interruption returns without draining the wordlist.
        yield* Fiber.interrupt(running)
        const asked = server.questions().length
        expect(asked).toBeLessThanOrEqual(50)
        yield* TestClock.adjust("1 hour")
        yield* Effect.repeatN(ioTurn, 20)
        expect(server.questions().length).toBe(asked)
      }),
    30_000
  )
})
