/**
 * Lifecycle commands through the gateway: the envelope on the shard's stream, and the answer a
 * node gives mapped to HTTP — 200 applied, 409 refused, 202 when no node answers within the wait.
 * The node is a small fake here: it reads the inbox, runs the real state machine, appends and replies.
 */
import { expect, layer } from "@effect/vitest"
import { ScanId } from "@mirage/domain/Ids"
import type { ScanEvent } from "@mirage/domain/ScanEvent"
import { decide, evolve } from "@mirage/domain/ScanMachine"
import { Replies } from "@mirage/runtime/cluster/Replies"
import type { Reply } from "@mirage/runtime/cluster/Replies"
import { ShardInbox } from "@mirage/runtime/cluster/ShardInbox"
import type { Delivery } from "@mirage/runtime/cluster/ShardInbox"
import { shardOf } from "@mirage/runtime/cluster/Shards"
import { EventStore } from "@mirage/runtime/scans/EventStore"
import { Clock, Effect, Either, Fiber, Layer, Logger, LogLevel, Option } from "effect"
import * as Gateway from "./Gateway.js"

const TestLayer = Gateway.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Warning)))

/** The next delivery of the scan's shard addressed to the scan. */
const nextEnvelope = (consumer: string, scanId: string) =>
  Effect.gen(function*() {
    const inbox = yield* ShardInbox
    const shard = shardOf(scanId, inbox.shards)
    const found = yield* inbox.read(consumer, [shard], { count: 10, blockMs: 200 }).pipe(
      Effect.map((deliveries) => deliveries.find((d) => d.envelope?.target === scanId)),
      Effect.repeat({ until: (delivery): delivery is Delivery => delivery !== undefined }),
      Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error(`no envelope for ${scanId}`) })
    )
    return { shard, delivery: found }
  })

/** A node for one command: decides it on the scan's real log, appends what it causes, replies, acknowledges. */
const serveOnce = (scanId: string) =>
  Effect.gen(function*() {
    const inbox = yield* ShardInbox
    const replies = yield* Replies
    const store = yield* EventStore
    const { delivery, shard } = yield* nextEnvelope("fake-node", scanId)
    const envelope = delivery.envelope
    if (envelope === undefined || envelope.reply_to === null) return yield* Effect.dieMessage("an envelope to answer")
    const loaded = yield* store.load(ScanId.make(scanId))
    if (Option.isNone(loaded)) return yield* Effect.dieMessage(`no log for ${scanId}`)
    const state = loaded.value.state
    const now = yield* Clock.currentTimeMillis
    const decision = decide(state, envelope.command, now)
    const reply: Reply = yield* Either.match(decision, {
      onLeft: (rejection) =>
        Effect.succeed<Reply>({
          command_id: envelope.command_id,
          outcome: "rejected",
          rejection: {
            tag: rejection._tag,
            message: rejection.message,
            status: rejection._tag === "IllegalTransition" ? rejection.status : null
          }
        }),
      onRight: (events: Array<ScanEvent>) =>
        Effect.gen(function*() {
          yield* store.fence(shard, 1)
          yield* store.append([{
            scan_id: state.id,
            shard,
            expected_seq: state.seq,
            events,
            command_id: envelope.command_id,
            fence: { shard, epoch: 1 },
            state: events.reduce(evolve, state),
            snapshot: false
          }])
          return { command_id: envelope.command_id, outcome: "accepted", rejection: null } satisfies Reply
        })
    })
    yield* replies.publish(envelope.reply_to, reply)
    yield* inbox.ack(shard, [delivery.id])
    return reply
  })

interface WireScan {
  readonly id: string
  readonly status: string
  readonly started_at: string | null
}

layer(TestLayer, { excludeTestServices: true, timeout: "60 seconds" })("Commands", (it) => {
  it.effect("answers 202 with the scan when no node answers within the wait, leaving the envelope on the shard's stream", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const scan = (yield* Gateway.post("/scans", Gateway.domainScan("nobody home"), caller)).body as WireScan
      const started = yield* Clock.currentTimeMillis
      const answer = yield* Gateway.post(`/scans/${scan.id}/start`, {}, caller)
      const took = (yield* Clock.currentTimeMillis) - started
      expect(answer.status, answer.text).toBe(202)
      expect(answer.headers["content-type"]).toContain("application/json")
      expect(answer.body).toMatchObject({ id: scan.id, status: "CREATED", started_at: null })
      expect(took).toBeGreaterThanOrEqual(Gateway.commandWaitMs - 50)
      expect(took).toBeLessThan(Gateway.commandWaitMs + 3000)

      const { delivery } = yield* nextEnvelope("inspector", scan.id)
      const replies = yield* Replies
      expect(delivery.envelope).toMatchObject({
        target: scan.id,
        command: { _tag: "StartScan" },
        reply_to: replies.channel
      })
      expect(delivery.envelope?.command_id).toEqual(expect.any(String))
    }))

  it.effect("answers 200 with the scan as applied when the node accepts", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const scan = (yield* Gateway.post("/scans", Gateway.domainScan("started"), caller)).body as WireScan
      const node = yield* Effect.fork(serveOnce(scan.id))
      const answer = yield* Gateway.post(`/scans/${scan.id}/start`, {}, caller)
      expect((yield* Fiber.join(node)).outcome).toBe("accepted")
      expect(answer.status, answer.text).toBe(200)
      expect(answer.body).toMatchObject({ id: scan.id, status: "RUNNING", started_at: expect.any(String) })

      const status = yield* Gateway.get(`/scans/${scan.id}/status`, caller)
      expect(status.status).toBe(200)
      expect(status.body).toMatchObject({
        id: scan.id,
        status: "RUNNING",
        tasks: { queued: 1, running: 0, completed: 0, failed: 0, cancelled: 0 },
        started_at: expect.any(String)
      })
    }))

  it.effect("answers 409 problem naming the current status when the node refuses the transition", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const scan = (yield* Gateway.post("/scans", Gateway.domainScan("twice"), caller)).body as WireScan
      const first = yield* Effect.fork(serveOnce(scan.id))
      expect((yield* Gateway.post(`/scans/${scan.id}/start`, {}, caller)).status).toBe(200)
      yield* Fiber.join(first)

      const second = yield* Effect.fork(serveOnce(scan.id))
      const answer = yield* Gateway.post(`/scans/${scan.id}/start`, {}, caller)
      expect((yield* Fiber.join(second)).outcome).toBe("rejected")
      expect(answer.status, answer.text).toBe(409)
      expect(answer.headers["content-type"]).toContain("application/problem+json")
      expect(answer.body).toMatchObject({
        status: 409,
        type: expect.any(String),
        title: expect.any(String),
        current_status: "RUNNING",
        detail: "cannot start a scan that is RUNNING"
      })
    }))

  it.effect("keeps viewers from sending commands", () =>
    Effect.gen(function*() {
      const analyst = yield* Gateway.newCaller("analyst")
      const viewer = yield* Gateway.sameOrganization(analyst, "viewer")
      const scan = (yield* Gateway.post("/scans", Gateway.domainScan("read only"), analyst)).body as WireScan
      const answer = yield* Gateway.post(`/scans/${scan.id}/start`, {}, viewer)
      expect(answer.status).toBe(403)
      expect(answer.headers["content-type"]).toContain("application/problem+json")
    }))
})
