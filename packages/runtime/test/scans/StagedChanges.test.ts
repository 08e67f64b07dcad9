/**
 * The sweep of staged changes, on Postgres: a change whose update is stored is applied even though the observer never
 * applied it (a Postgres failure right after the update), once and only while it is the latest; one whose update was
 * never stored is discarded once old enough, not before.
 */
import { describe, expect, it } from "@effect/vitest"
import { Entity } from "@mirage/domain/Entity"
import { ModuleId, OrganizationId, randomUuid, ScanId, UserId } from "@mirage/domain/Ids"
import { ScanConfiguration, ScanDefinition } from "@mirage/domain/Scan"
import type { ScanCommand } from "@mirage/domain/ScanEvent"
import { decide, evolve, initial } from "@mirage/domain/ScanMachine"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { freshDatabase } from "@mirage/testkit/TestStores"
import { Chunk, Clock, Effect, Either, Layer, TestClock } from "effect"
import * as ShardInboxMemory from "../../src/cluster/ShardInbox/Memory.js"
import { PgClient } from "../../src/platform/PgClient.js"
import * as Pg from "../../src/platform/PgClient.js"
import { ScanDependencies } from "../../src/scans/Chaining.js"
import * as ChainingPostgres from "../../src/scans/Chaining/Postgres.js"
import { EventStore } from "../../src/scans/EventStore.js"
import * as EventStorePostgres from "../../src/scans/EventStore/Postgres.js"
import * as QuotasPostgres from "../../src/scans/Quotas/Postgres.js"
import * as ResultStoreMemory from "../../src/scans/ResultStore/Memory.js"
import * as ScanReadModelPostgres from "../../src/scans/ScanReadModel/Postgres.js"
import * as StagedChanges from "../../src/scans/StagedChanges.js"
import { WebhookStore } from "../../src/scans/Webhooks.js"
import * as WebhooksPostgres from "../../src/scans/Webhooks/Postgres.js"

const organization = OrganizationId.make("5a000000-0000-4000-8000-000000000001")
const user = UserId.make("5a000000-0000-4000-8000-000000000002")
const second = 1000
const day = 86_400 * second

const stores = (url: string) =>
  Layer.mergeAll(
    EventStorePostgres.layer,
    WebhooksPostgres.layer,
    ChainingPostgres.layer,
    ScanReadModelPostgres.layer,
    QuotasPostgres.layerWith({ max_running_scans: 4, max_concurrent_tasks: 8 }),
    ResultStoreMemory.layerFresh,
    ShardInboxMemory.layer(ShardInboxMemory.makeStore(4))
  ).pipe(Layer.provideMerge(Pg.layerWith(url, 4)))

const createScan = (scanId: ScanId): ScanCommand => ({
  _tag: "CreateScan",
  scan_id: scanId,
  header: { organization_id: organization, user_id: user, template_id: null, depends_on: null },
  definition: ScanDefinition.make({
    name: "staged",
    description: "",
    target: Entity.make({ type: "DOMAIN", value: "example.test" }),
    modules: [],
    configuration: ScanConfiguration.make({})
  }),
  plan: [{ id: ModuleId.make("dns_resolve"), input_types: ["DOMAIN"], output_types: ["IP"], config: {} }]
})

/** A scan's log as its actor writes it: each command decided on the state and appended under its command id. */
const scanLog = Effect.gen(function*() {
  const store = yield* EventStore
  const id = ScanId.make(yield* randomUuid)
  let state: ScanState | undefined
  const write = (command: ScanCommand, commandId: string) =>
    Effect.gen(function*() {
      const events = Either.getOrThrow(decide(state, command, yield* Clock.currentTimeMillis))
      const before = state
      const after = events.reduce<ScanState | undefined>(
        (s, event) => s === undefined ? (event._tag === "ScanCreated" ? initial(event) : undefined) : evolve(s, event),
        before
      )!
      yield* store.append([{
        scan_id: id,
        shard: 0,
        expected_seq: before?.seq ?? 0,
        events,
        command_id: commandId,
        fence: null,
        state: after,
        snapshot: false
      }])
      state = after
    }).pipe(Effect.orDie)
  yield* write(createScan(id), yield* randomUuid)
  return { id, write }
})

/** The defaults: a sweep every 10 s of changes older than 10 s, discarding unstored ones after a day. */
const settings = Effect.orDie(StagedChanges.SweepConfig)

/** The rows a query over the test's database gives. */
const rows = <Row>(query: (sql: Pg.Sql) => PromiseLike<ReadonlyArray<Row>>) =>
  Effect.flatMap(PgClient, (sql) => Effect.promise(() => query(sql)))

const webhookOf = (id: ScanId) =>
  Effect.map(
    rows<{ url: string }>((sql) => sql`select url from scan_webhooks where scan_id = ${id}`),
    (found) => found[0]?.url ?? null
  )

const changeIds = (found: ReadonlyArray<{ change_id: string }>) => found.map((row) => row.change_id)

const stagedWebhookChanges = (id: ScanId) =>
  Effect.map(
    rows<{ change_id: string }>((sql) =>
      sql`select change_id::text from scan_webhook_changes where scan_id = ${id} order by created_at, change_id`
    ),
    changeIds
  )

const edgesOf = (id: ScanId) =>
  Effect.map(
    rows<{ depends_on: string }>((sql) => sql`select depends_on::text from scan_dependencies where scan_id = ${id}`),
    (found) => found.map((row) => row.depends_on)
  )

const stagedDependencyChanges = (id: ScanId) =>
  Effect.map(
    rows<{ change_id: string }>((sql) =>
      sql`select change_id::text from scan_dependency_changes where scan_id = ${id}`
    ),
    changeIds
  )

/** A test's body over the stores on a fresh database of its own. */
const onFreshStores = <A, E, R>(body: Effect.Effect<A, E, R>) =>
  Effect.flatMap(freshDatabase, (url) => Effect.provide(body, stores(url)))

/** Until the node's sweep waits for its next run: it runs real queries, which `TestClock.adjust` does not wait for. */
const asleep = Effect.gen(function*() {
  for (let i = 0; i < 1000 && Chunk.isEmpty(yield* TestClock.sleeps()); i++) yield* rows((sql) => sql`select 1`)
})

/** Moves the clock by `ms` once the sweep waits, and waits for the run that wakes (a period: it runs at the end). */
const runFor = (ms: number) => Effect.zipRight(Effect.zipRight(asleep, TestClock.adjust(ms)), asleep)

const chain = (id: ScanId) => ({ scan_ids: [id], result_types: [], on_failure: "fail" as const })

const hook = (name: string) => ({
  url: `https://hooks.example.test/${name}`,
  secret: "a-webhook-secret-of-some-length"
})

describe("StagedChanges", () => {
  it.scoped("the node's sweep applies a stored update's webhook change the observer never applied; not a young one", () =>
    onFreshStores(
      Effect.gen(function*() {
        const webhooks = yield* WebhookStore
        const scan = yield* scanLog
        // The update is stored; the observer's apply failed (Postgres away), so the change is still staged.
        const change = yield* randomUuid
        yield* webhooks.stage(scan.id, change, hook("stored"))
        yield* scan.write({ _tag: "UpdateScan", webhook_change: change }, change)
        yield* StagedChanges.reconciler
        // Not older than the sweep's age at its run at 10 s: the observer's, left alone.
        yield* runFor(10 * second)
        expect(yield* webhookOf(scan.id)).toBeNull()
        yield* runFor(10 * second)
        expect(yield* webhookOf(scan.id)).toBe(hook("stored").url)
        expect(yield* stagedWebhookChanges(scan.id)).toEqual([])
      })
    ))

  it.scoped("a change whose update is not stored waits, and is discarded once a day old", () =>
    onFreshStores(
      Effect.gen(function*() {
        const webhooks = yield* WebhookStore
        const scan = yield* scanLog
        const unstored = yield* randomUuid
        yield* webhooks.stage(scan.id, unstored, hook("refused"))
        const sweep = StagedChanges.sweep(yield* settings)
        yield* TestClock.adjust(day - second)
        yield* sweep
        // Its update may still be on its way: kept.
        expect(yield* stagedWebhookChanges(scan.id)).toEqual([unstored])
        yield* TestClock.adjust(2 * second)
        yield* sweep
        expect(yield* stagedWebhookChanges(scan.id)).toEqual([])
        expect(yield* webhookOf(scan.id)).toBeNull()
      })
    ))

  it.scoped("changes still waiting for their update, however many, never hold back one whose update is stored", () =>
    onFreshStores(
      Effect.gen(function*() {
        const webhooks = yield* WebhookStore
        const scan = yield* scanLog
        // More changes waiting than one run settles, all staged before the stored one.
        const waiting = yield* Effect.all(Array.from({ length: 3 }, () => randomUuid))
        for (const change of waiting) yield* webhooks.stage(scan.id, change, hook("waiting"))
        yield* TestClock.adjust(second)
        const change = yield* randomUuid
        yield* webhooks.stage(scan.id, change, hook("stored"))
        yield* scan.write({ _tag: "UpdateScan", webhook_change: change }, change)
        yield* TestClock.adjust(20 * second)
        yield* StagedChanges.sweep({ ...(yield* settings), batch: 2 })
        expect(yield* webhookOf(scan.id)).toBe(hook("stored").url)
        expect(yield* stagedWebhookChanges(scan.id)).toEqual([...waiting].sort())
      })
    ))

  it.scoped("a webhook change is applied once, and never over a later stored one, whatever the order of applies", () =>
    onFreshStores(
      Effect.gen(function*() {
        const webhooks = yield* WebhookStore
        const scan = yield* scanLog
        const first = yield* randomUuid
        const next = yield* randomUuid
        yield* webhooks.stage(scan.id, first, hook("first"))
        yield* scan.write({ _tag: "UpdateScan", webhook_change: first }, first)
        // Concurrent applies of one change (the observer's retry and the sweep): one of them applies it.
        const applied = yield* Effect.all([webhooks.apply(scan.id, first), webhooks.apply(scan.id, first)], {
          concurrency: 2
        })
        expect(applied.filter((a) => a)).toHaveLength(1)
        expect(yield* webhookOf(scan.id)).toBe(hook("first").url)
        yield* webhooks.stage(scan.id, next, hook("second"))
        yield* scan.write({ _tag: "UpdateScan", webhook_change: next }, next)
        expect(yield* webhooks.apply(scan.id, next)).toBe(true)
        // A late repeat of the first apply changes nothing.
        expect(yield* webhooks.apply(scan.id, first)).toBe(false)
        expect(yield* webhookOf(scan.id)).toBe(hook("second").url)

        // Two stored updates whose changes were not applied, the later one then applied by its observer: the sweep
        // forgets the earlier one instead of writing it back over.
        const third = yield* randomUuid
        const fourth = yield* randomUuid
        yield* webhooks.stage(scan.id, third, hook("third"))
        yield* scan.write({ _tag: "UpdateScan", webhook_change: third }, third)
        yield* webhooks.stage(scan.id, fourth, null)
        yield* scan.write({ _tag: "UpdateScan", webhook_change: fourth }, fourth)
        expect(yield* webhooks.apply(scan.id, fourth)).toBe(true)
        expect(yield* webhookOf(scan.id)).toBeNull()
        yield* TestClock.adjust(20 * second)
        yield* StagedChanges.sweep(yield* settings)
        expect(yield* webhookOf(scan.id)).toBeNull()
        expect(yield* stagedWebhookChanges(scan.id)).toEqual([])
      })
    ))

  it.scoped("the sweep writes the edges of a stored update the observer never wrote, the latest stored ones", () =>
    onFreshStores(
      Effect.gen(function*() {
        const dependencies = yield* ScanDependencies
        const dependency = yield* scanLog
        const scan = yield* scanLog
        const change = yield* randomUuid
        yield* dependencies.stage(scan.id, change)
        yield* scan.write({ _tag: "UpdateScan", depends_on: chain(dependency.id) }, change)
        // An update that never reached the scan's actor.
        const unstored = yield* randomUuid
        yield* dependencies.stage(scan.id, unstored)
        yield* StagedChanges.reconciler
        yield* runFor(10 * second)
        expect(yield* edgesOf(scan.id)).toEqual([])
        yield* runFor(10 * second)
        expect(yield* edgesOf(scan.id)).toEqual([dependency.id])
        expect((yield* dependencies.dependents(dependency.id)).map((d) => d.scan_id)).toEqual([scan.id])
        expect(yield* stagedDependencyChanges(scan.id)).toEqual([unstored])

        // Two stored updates, neither written: the edges are the later one's, however many times the sweep runs.
        const other = yield* scanLog
        const first = yield* randomUuid
        const last = yield* randomUuid
        yield* dependencies.stage(scan.id, first)
        yield* scan.write({ _tag: "UpdateScan", depends_on: chain(other.id) }, first)
        yield* dependencies.stage(scan.id, last)
        yield* scan.write({ _tag: "UpdateScan", depends_on: null }, last)
        yield* runFor(10 * second)
        yield* runFor(10 * second)
        expect(yield* edgesOf(scan.id)).toEqual([])
        yield* runFor(day)
        yield* runFor(10 * second)
        expect(yield* stagedDependencyChanges(scan.id)).toEqual([])
        expect(yield* edgesOf(scan.id)).toEqual([])
      })
    ))
})
