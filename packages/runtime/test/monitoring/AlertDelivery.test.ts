/**
 * The alert outbox and its delivery worker, over real Postgres and a receiver on 127.0.0.1 that de-duplicates by
 * the idempotency key: a worker stopped before sending, or a process dead while holding a delivery, loses nothing
 * and sends nothing twice; retries follow the schedule (TestClock); spent attempts leave a visible failure; two
 * workers share the outbox without a double.
 */
import { describe, expect, it } from "@effect/vitest"
import { AlertChannelId } from "@mirage/domain/AlertChannels"
import type { AlertChannel } from "@mirage/domain/AlertChannels"
import { Alert, AlertEntity, AlertId, AlertRuleId } from "@mirage/domain/Alerts"
import { deriveUuid, OrganizationId, ScanId } from "@mirage/domain/Ids"
import { deliverOne, drainOnce, leaseMs, start } from "@mirage/runtime/monitoring/alerts/AlertDelivery"
import { AlertOutbox } from "@mirage/runtime/monitoring/alerts/AlertOutbox"
import * as AlertOutboxPostgres from "@mirage/runtime/monitoring/alerts/AlertOutbox/Postgres"
import { AlertStore } from "@mirage/runtime/monitoring/alerts/AlertStore"
import * as AlertStorePostgres from "@mirage/runtime/monitoring/alerts/AlertStore/Postgres"
import * as Channels from "@mirage/runtime/monitoring/alerts/Channels"
import { ChannelSender, idempotencyHeader } from "@mirage/runtime/monitoring/alerts/Channels"
import type { DeliverySettings } from "@mirage/runtime/monitoring/alerts/Settings"
import { PgClient } from "@mirage/runtime/platform/PgClient"
import * as ChannelPorts from "@mirage/testkit/ChannelPorts"
import * as HttpFixture from "@mirage/testkit/HttpFixture"
import { Clock, DateTime, Deferred, Effect, Exit, Layer, Option, Scope, TestClock, TestServices } from "effect"
import { driven } from "../support/Driven.js"
import { stores } from "./Harness.js"

const organization = OrganizationId.make("0b7f3c52-4d1e-4a6b-9c2d-5e8f7a6b1c02")

const settings: DeliverySettings = { attempts: 5, baseMs: 1000, maxDelayMs: 5000, pollMs: 3_600_000, concurrency: 4 }

const layer = Layer.mergeAll(AlertStorePostgres.layer, AlertOutboxPostgres.layer, Channels.layer).pipe(
  Layer.provideMerge(ChannelPorts.layer({ policy: ChannelPorts.loopbackOnly })),
  Layer.provideMerge(stores)
)

const ioPoll = TestServices.provideLive(Effect.sleep("5 millis"))

/** The clock is driven to the retries' waits (at most 5 s), never to a request's own timeout (10 s). */
const horizonMs = 6000

const alert = (n: number) =>
  Alert.make({
    id: AlertId.make(deriveUuid("outbox-test-alert", String(n))),
    organization_id: organization,
    rule_id: AlertRuleId.make(deriveUuid("outbox-test-rule")),
    rule_name: "new subdomain",
    kind: "new_entity",
    severity: "high",
    scan_id: ScanId.make(deriveUuid("outbox-test-scan")),
    target: "example.com",
    digest: false,
    entities: [AlertEntity.make({ type: "DOMAIN", value: `host-${n}.example.com`, expires_at: null })],
    at: DateTime.unsafeMake(1_700_000_000_000)
  })

/** A signed-webhook receiver that keeps one message per idempotency key and counts the repeats. */
const receiver = Effect.gen(function*() {
  const keys = new Map<string, number>()
  const fixture = yield* HttpFixture.make("https://alerts.receiver.invalid", (request) => {
    const key = String(request.headers[idempotencyHeader] ?? "")
    keys.set(key, (keys.get(key) ?? 0) + 1)
    return { status: 204 }
  })
  const channel: AlertChannel = {
    id: AlertChannelId.make(deriveUuid("outbox-test-channel")),
    organization_id: organization,
    name: "receiver",
    target: { _tag: "webhook", url: `${fixture.url}/alerts`, secret: "whsec-outbox-0123456789" },
    min_severity: "info",
    enabled: true
  }
  return {
    fixture,
    channel,
    /** Distinct deliveries accepted. */
    accepted: () => [...keys.keys()].filter((key) => key !== "").length,
    /** Requests that repeated a delivery already accepted. */
    repeats: () => [...keys.values()].reduce((sum, count) => sum + count - 1, 0)
  }
})

type Row = { status: string; attempts: number; last_error: string | null; lease_owner: string | null }

const rows = Effect.flatMap(
  PgClient,
  (sql) =>
    Effect.promise(() =>
      sql<Array<Row>>`select status, attempts, last_error, lease_owner from alert_deliveries order by created_at`
    )
)

const raise = (alerts: ReadonlyArray<Alert>, channel: AlertChannel) =>
  Effect.gen(function*() {
    const store = yield* AlertStore
    yield* store.putChannel(channel)
    const fresh = yield* store.raise(alerts, yield* Clock.currentTimeMillis)
    expect(fresh).toHaveLength(alerts.length)
  })

/** Waits (polling real time: the worker does real I/O) until the outbox rows satisfy `condition`. */
const untilRows = (condition: (rows: ReadonlyArray<Row>) => boolean) =>
  Effect.gen(function*() {
    while (!condition(yield* rows)) yield* ioPoll
  })

const allSent = (count: number) => (rows: ReadonlyArray<Row>) =>
  rows.length === count && rows.every((row) => row.status === "sent")

describe("AlertDelivery", () => {
  it.scoped(
    "raising an alert writes its delivery to the outbox, in the same transaction, once",
    () =>
      Effect.gen(function*() {
        const { channel } = yield* receiver
        yield* raise([alert(1)], channel)
        // Raised again (a run observed twice): no new alert, no new delivery.
        expect(yield* (yield* AlertStore).raise([alert(1)], 0)).toEqual([])
        expect((yield* rows).map((row) => [row.status, row.attempts])).toEqual([["pending", 0]])
      }).pipe(Effect.provide(layer)),
    60_000
  )

  it.scoped(
    "an alert goes to each enabled channel at or below its severity, and to no disabled one",
    () =>
      Effect.gen(function*() {
        const store = yield* AlertStore
        const { channel } = yield* receiver
        const takers = [["high", true], ["critical", true], ["info", false]] as const
        const channels = takers.map(([min_severity, enabled]) => ({
          ...channel,
          id: AlertChannelId.make(deriveUuid("outbox-test-channel", min_severity)),
          name: min_severity,
          min_severity,
          enabled
        }))
        yield* Effect.forEach(channels, store.putChannel, { discard: true })
        const severities = ["critical", "high", "medium"] as const
        const alerts = severities.map((severity, n) => Alert.make({ ...alert(n), severity }))
        yield* store.raise(alerts, 0)
        const sql = yield* PgClient
        const pairs = yield* Effect.promise(() =>
          sql<Array<{ severity: string; min: string }>>`
            select a.document->>'severity' as severity, c.document->>'name' as min
            from alert_deliveries d join alerts a on a.id = d.alert_id join alert_channels c on c.id = d.channel_id
            order by 1, 2`
        )
        expect(pairs.map((row) => `${row.severity}→${row.min}`)).toEqual([
          "critical→critical",
          "critical→high",
          "high→high"
        ])
      }).pipe(Effect.provide(layer)),
    60_000
  )

  it.scoped(
    "a worker stopped before sending gives the delivery back; the next worker delivers it once",
    () =>
      Effect.gen(function*() {
        const { accepted, channel, repeats } = yield* receiver
        yield* raise([alert(1)], channel)
        const real = yield* ChannelSender
        const reached = yield* Deferred.make<void>()
        const blocked = ChannelSender.of({
          send: (channel, alert) =>
            Effect.zipRight(
              Deferred.succeed(reached, undefined),
              Effect.zipRight(Effect.never, real.send(channel, alert))
            )
        })
        const first = yield* Scope.make()
        yield* start(settings).pipe(Effect.provideService(ChannelSender, blocked), Scope.extend(first))
        yield* Deferred.await(reached)
        yield* Scope.close(first, Exit.void)
        expect((yield* rows).map((row) => [row.status, row.attempts, row.lease_owner])).toEqual([["pending", 1, null]])
        expect(accepted()).toBe(0)

        yield* start(settings)
        yield* untilRows(allSent(1))
        expect((yield* rows).map((row) => [row.status, row.attempts])).toEqual([["sent", 2]])
        expect(yield* drainOnce(settings, "after")).toBe(0)
        expect([accepted(), repeats()]).toEqual([1, 0])
      }).pipe(Effect.provide(layer)),
    60_000
  )

  it.scoped(
    "a delivery held by a process that died is taken when its lease ends, and sent once",
    () =>
      Effect.gen(function*() {
        const { accepted, channel, repeats } = yield* receiver
        yield* raise([alert(1)], channel)
        const outbox = yield* AlertOutbox
        // The dead process claimed it and counted its attempt, then nothing more.
        const [held] = yield* outbox.claim("dead-node", yield* Clock.currentTimeMillis, leaseMs(settings), 10)
        const counted = yield* outbox.attempt(held!, "dead-node", yield* Clock.currentTimeMillis, leaseMs(settings))
        expect(Option.getOrNull(counted)).toBe(1)
        expect(yield* drainOnce(settings, "live-node")).toBe(0)
        yield* TestClock.adjust(leaseMs(settings) - 1)
        expect(yield* drainOnce(settings, "live-node")).toBe(0)
        yield* TestClock.adjust(1)
        expect(yield* drainOnce(settings, "live-node")).toBe(1)
        expect([accepted(), repeats()]).toEqual([1, 0])
        // The dead process's late word changes nothing.
        yield* outbox.settle(held!, "dead-node", 0, { status: "failed", reason: "late" })
        expect((yield* rows).map((row) => [row.status, row.attempts, row.last_error])).toEqual([["sent", 2, null]])
      }).pipe(Effect.provide(layer)),
    60_000
  )

  it.scoped(
    "a receiver failing twice gets the alert once, on the third attempt, after 1 s and 2 s",
    () =>
      Effect.gen(function*() {
        const { accepted, channel, fixture, repeats } = yield* receiver
        yield* raise([alert(1)], channel)
        yield* fixture.failNext(2, { status: 503 })
        const startedAt = yield* Clock.currentTimeMillis
        expect(yield* driven(drainOnce(settings, "node"), horizonMs)).toBe(1)
        expect((yield* Clock.currentTimeMillis) - startedAt).toBe(3000)
        expect(fixture.requests()).toBe(3)
        // The two failed attempts were answered before reaching the receiver: it kept the third alone.
        expect([accepted(), repeats()]).toEqual([1, 0])
        const keys = new Set(fixture.received().map((request) => request.headers[idempotencyHeader]))
        expect(keys.size).toBe(1)
        expect((yield* rows).map((row) => [row.status, row.attempts])).toEqual([["sent", 3]])
      }).pipe(Effect.provide(layer)),
    60_000
  )

  it.scoped(
    "attempts spent, or a refusal retrying cannot change, leave the delivery failed with its reason",
    () =>
      Effect.gen(function*() {
        const { channel, fixture } = yield* receiver
        yield* raise([alert(1)], channel)
        yield* fixture.failNext(5, { status: 503 })
        yield* driven(drainOnce(settings, "node"), horizonMs)
        // 1 s, 2 s, 4 s, then capped at 5 s: five attempts in 12 s.
        expect(fixture.requests()).toBe(5)
        expect((yield* rows).map((row) => [row.status, row.attempts, row.last_error])).toEqual([
          ["failed", 5, "answered 503"]
        ])
        const stats = (yield* (yield* AlertStore).deliveryStats(organization, [channel.id])).get(channel.id)
        expect(stats).toMatchObject({ pending: 0, sent: 0, failed: 1 })
        expect(stats?.last_failure).toMatchObject({ alert_id: alert(1).id, attempts: 5, reason: "answered 503" })

        // Later: the last failure is this one.
        yield* TestClock.adjust("1 second")
        yield* raise([alert(2)], channel)
        yield* fixture.failNext(1, { status: 410 })
        yield* driven(drainOnce(settings, "node"), horizonMs)
        expect(fixture.requests()).toBe(6)
        const stats2 = (yield* (yield* AlertStore).deliveryStats(organization, [channel.id])).get(channel.id)
        expect(stats2).toMatchObject({ failed: 2, last_failure: { alert_id: alert(2).id, reason: "answered 410" } })
        // Only the channels asked are counted.
        const other = AlertChannelId.make(deriveUuid("outbox-test-other-channel"))
        expect([...(yield* (yield* AlertStore).deliveryStats(organization, [other])).keys()]).toEqual([])
        expect([...(yield* (yield* AlertStore).deliveryStats(organization, [])).keys()]).toEqual([])
      }).pipe(Effect.provide(layer)),
    60_000
  )

  it.scoped("the deliveries of a deleted channel go with it, even one a worker holds", () =>
    Effect.gen(function*() {
      const { channel, fixture } = yield* receiver
      yield* raise([alert(1)], channel)
      const outbox = yield* AlertOutbox
      const [claimed] = yield* outbox.claim("node", 0, leaseMs(settings), 1)
      expect(yield* (yield* AlertStore).deleteChannel(organization, channel.id)).toBe(true)
      expect(yield* rows).toEqual([])
      yield* deliverOne(settings, "node")(claimed!)
      expect(fixture.requests()).toBe(0)
    }).pipe(Effect.provide(layer)), 60_000)

  it.scoped("two workers share the outbox: every alert delivered, none twice", () =>
    Effect.gen(function*() {
      const { accepted, channel, repeats } = yield* receiver
      const alerts = Array.from({ length: 30 }, (_, n) => alert(n))
      yield* raise(alerts, channel)
      const one = yield* start({ ...settings, concurrency: 3 })
      const two = yield* start({ ...settings, concurrency: 3 })
      yield* Effect.all([one.wake, two.wake])
      yield* untilRows(allSent(30))
      expect([accepted(), repeats()]).toEqual([30, 0])
    }).pipe(Effect.provide(layer)), 60_000)
})
