/** The event store's contract, run against the Postgres adapter (a fresh database per test) and the in-memory twin. */
import { describe, expect, it } from "@effect/vitest"
import { Entity } from "@mirage/domain/Entity"
import { ModuleId, OrganizationId, ScanId, TemplateId, UserId } from "@mirage/domain/Ids"
import { ScanConfiguration, ScanDefinition } from "@mirage/domain/Scan"
import { ScanCreated, ScanEvent } from "@mirage/domain/ScanEvent"
import type { ScanCommand } from "@mirage/domain/ScanEvent"
import { decide, evolve, initial, queuedTasks, replay, toSnapshot } from "@mirage/domain/ScanMachine"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { TestStores } from "@mirage/testkit"
import { Arbitrary, Effect, Either, FastCheck, Option, Redacted, Schema } from "effect"
import type { Scope } from "effect"
import postgres from "postgres"
import { ConcurrencyConflict, StaleEpoch } from "../../src/platform/Errors.js"
import { PgClient } from "../../src/platform/PgClient.js"
import * as Pg from "../../src/platform/PgClient.js"
import type { Append, EventStoreService, Fence } from "../../src/scans/EventStore.js"
import * as EventStoreMemory from "../../src/scans/EventStore/Memory.js"
import * as EventStorePostgres from "../../src/scans/EventStore/Postgres.js"
import * as PostgresJson from "../../src/scans/EventStore/PostgresJson.js"

/** What a test needs besides the store: the projection row and the snapshot, read behind the port's back. */
interface Harness {
  readonly store: EventStoreService
  readonly projection: (
    id: string
  ) => Effect.Effect<Option.Option<{ status: string; seq: number; shard: number; deleted: boolean }>>
  readonly snapshotSeq: (id: string) => Effect.Effect<Option.Option<number>>
}

const ProjectionRow = Schema.Struct({
  status: Schema.String,
  seq: Schema.Int,
  shard: Schema.Int,
  deleted: Schema.Boolean
})
const SeqRow = Schema.Struct({ seq: Schema.Int })

const postgresHarness: Effect.Effect<Harness, never, Scope.Scope> = Effect.gen(function*() {
  const url = yield* TestStores.freshDatabase
  const sql = yield* Pg.make({ url: Redacted.make(url), max: 4 })
  const store = yield* Effect.provideService(EventStorePostgres.make, PgClient, sql)
  return {
    store,
    projection: (id) =>
      Effect.promise(() =>
        sql`SELECT status, seq, shard, deleted_at IS NOT NULL AS deleted FROM scans WHERE id = ${id}`
      ).pipe(
        Effect.flatMap(Schema.decodeUnknown(Schema.Array(ProjectionRow))),
        Effect.map((rows) => Option.fromNullable(rows[0])),
        Effect.orDie
      ),
    snapshotSeq: (id) =>
      Effect.promise(() => sql`SELECT seq FROM scan_snapshots WHERE scan_id = ${id}`).pipe(
        Effect.flatMap(Schema.decodeUnknown(Schema.Array(SeqRow))),
        Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), (row) => row.seq)),
        Effect.orDie
      )
  }
})

const memoryHarness: Effect.Effect<Harness> = Effect.sync(() => {
  const contents = EventStoreMemory.makeStore()
  return {
    store: EventStoreMemory.make(contents),
    projection: (id) =>
      Effect.sync(() =>
        Option.map(Option.fromNullable(contents.views.views.get(id)), (view) => ({
          status: view.scan.status,
          seq: view.seq,
          shard: view.shard,
          deleted: contents.views.deleted.has(id)
        }))
      ),
    snapshotSeq: (id) => Effect.sync(() => Option.fromNullable(contents.logs.get(id)?.snapshot?.seq))
  }
})

/** A state as plain data in a canonical order: HashMaps with equal contents may differ in shape. */
const plain = (state: ScanState | undefined) => {
  if (state === undefined) return undefined
  const snapshot = toSnapshot(state)
  return {
    ...snapshot,
    seen: [...snapshot.seen].sort(([a], [b]) => a.localeCompare(b)),
    tasks: [...snapshot.tasks].sort((a, b) => a.order - b.order)
  }
}

// --- scans to write -------------------------------------------------------------------------------------------------

const t0 = 1_700_000_000_000
let counter = 0
const freshScanId = () => ScanId.make(`00000000-0000-4000-8000-${(++counter).toString(16).padStart(12, "0")}`)
const organization = OrganizationId.make("11111111-1111-4111-8111-111111111111")
const user = UserId.make("22222222-2222-4222-8222-222222222222")

const createScan = (scanId: ScanId): ScanCommand => ({
  _tag: "CreateScan",
  scan_id: scanId,
  header: { organization_id: organization, user_id: user, template_id: null, depends_on: null },
  definition: ScanDefinition.make({
    name: `scan ${scanId.slice(-4)}`,
    description: "",
    target: Entity.make({ type: "DOMAIN", value: "example.com" }),
    modules: [],
    configuration: ScanConfiguration.make({})
  }),
  plan: [
    { id: ModuleId.make("dns_resolve"), input_types: ["DOMAIN"], output_types: ["IP"], config: {} },
    { id: ModuleId.make("crtsh"), input_types: ["DOMAIN"], output_types: ["DOMAIN"], config: { depth: 1 } }
  ]
})

/** A scan's history as the actor would build it: state, seq and the events of each step. */
class Writer {
  state: ScanState | undefined = undefined
  readonly log: Array<ScanEvent> = []
  constructor(readonly scanId: ScanId, readonly shard: number, public fence: Fence | null = null) {}

  /** The append for `command` at time t0 + `at`, applied to the writer's view only if `commit` runs. */
  step(command: ScanCommand, at: number, options: { command_id?: string; snapshot?: boolean } = {}) {
    const events = Either.getOrThrow(decide(this.state, command, t0 + at))
    const before = this.state
    const after = events.reduce<ScanState | undefined>(
      (
        state,
        event
      ) => (state === undefined ? (event._tag === "ScanCreated" ? initial(event) : undefined) : evolve(state, event)),
      before
    )
    const append: Append = {
      scan_id: this.scanId,
      shard: this.shard,
      expected_seq: before?.seq ?? 0,
      events,
      command_id: options.command_id ?? null,
      fence: this.fence,
      state: after!,
      snapshot: options.snapshot ?? false
    }
    return {
      append,
      commit: () => {
        this.state = after
        this.log.push(...events)
      }
    }
  }

  /** Writes the step and records it. */
  write(
    store: EventStoreService,
    command: ScanCommand,
    at: number,
    options: { command_id?: string; snapshot?: boolean } = {}
  ) {
    const { append, commit } = this.step(command, at, options)
    return store.append([append]).pipe(Effect.tap(() => Effect.sync(commit)))
  }

  /** Creates, starts and runs the first planned task of the scan. */
  run(store: EventStoreService, options: { snapshotAt?: number } = {}) {
    return Effect.gen(this, function*() {
      const commands: Array<ScanCommand> = [createScan(this.scanId), { _tag: "StartScan" }]
      for (const [i, command] of commands.entries()) {
        yield* this.write(store, command, i, { command_id: `c${i}`, snapshot: options.snapshotAt === i })
      }
      const task = queuedTasks(this.state!)[0]!
      yield* this.write(store, { _tag: "MarkTasksStarted", task_ids: [task.task_id] }, 10, {
        snapshot: options.snapshotAt === 2
      })
      yield* this.write(
        store,
        {
          _tag: "TaskSucceeded",
          task_id: task.task_id,
          result_count: 3,
          entities: [Entity.make({ type: "IP", value: "192.0.2.1" })]
        },
        20,
        { snapshot: options.snapshotAt === 3 }
      )
    })
  }
}

const suite = (name: string, harness: Effect.Effect<Harness, never, Scope.Scope>) =>
  describe(name, () => {
    it.scoped("loads what was appended: the fold of the log, its events and its command ids", () =>
      Effect.gen(function*() {
        const { store } = yield* harness
        const scan = new Writer(freshScanId(), 1)
        yield* scan.run(store)
        const loaded = Option.getOrThrow(yield* store.load(scan.scanId))
        expect(plain(loaded.state)).toEqual(plain(replay(scan.log)))
        expect(plain(loaded.state)).toEqual(plain(scan.state))
        expect(loaded.state.seq).toBe(scan.log.length)
        expect(loaded.commands).toEqual(new Set(["c0", "c1"]))
        const stored = yield* store.events(scan.scanId, 0, 100)
        expect(stored.map((e) => e.seq)).toEqual(scan.log.map((_, i) => i + 1))
        expect(stored.map((e) => e.event)).toEqual(scan.log)
        const page = yield* store.events(scan.scanId, 2, 2)
        expect(page.map((e) => e.seq)).toEqual([3, 4])
        expect(page.map((e) => e.event)).toEqual(scan.log.slice(2, 4))
        expect(yield* store.load(freshScanId())).toEqual(Option.none())
        expect(yield* store.events(freshScanId(), 0, 10)).toEqual([])
      }))

    it.scoped("loads scans asked for at once each as its own: snapshots or not, a missing one, one asked twice", () =>
      Effect.gen(function*() {
        const { store } = yield* harness
        const scans = Array.from({ length: 30 }, (_, i) => new Writer(freshScanId(), i % 4))
        yield* Effect.forEach(scans, (scan, i) => scan.run(store, i % 3 === 0 ? { snapshotAt: 2 + (i % 2) } : {}))
        const missing = freshScanId()
        const asked = [...scans.map((scan) => scan.scanId), missing, scans[7]!.scanId]
        const loaded = yield* Effect.forEach(asked, (id) => store.load(id), { concurrency: "unbounded" })
        scans.forEach((scan, i) => {
          const one = Option.getOrThrow(loaded[i]!)
          expect(one.state.id).toBe(scan.scanId)
          expect(plain(one.state)).toEqual(plain(scan.state))
          expect(one.commands).toEqual(new Set(["c0", "c1"]))
        })
        expect(loaded[30]).toEqual(Option.none())
        expect(plain(Option.getOrThrow(loaded[31]!).state)).toEqual(plain(scans[7]!.state))
      }))

    it.scoped("loads an id that is no UUID as no scan, beside scans loaded with it", () =>
      Effect.gen(function*() {
        const { store } = yield* harness
        const scan = new Writer(freshScanId(), 1)
        yield* scan.run(store)
        const [odd, found] = yield* Effect.all([store.load("not-a-uuid" as ScanId), store.load(scan.scanId)], {
          concurrency: "unbounded"
        })
        expect(odd).toEqual(Option.none())
        expect(plain(Option.getOrThrow(found).state)).toEqual(plain(scan.state))
      }))

    it.scoped("refuses an append that does not follow the log it expects", () =>
      Effect.gen(function*() {
        const { store } = yield* harness
        const scan = new Writer(freshScanId(), 1)
        yield* scan.write(store, createScan(scan.scanId), 0)
        const start = scan.step({ _tag: "StartScan" }, 1)
        // Someone else got there first.
        yield* store.append([start.append])
        expect(yield* Effect.flip(store.append([start.append]))).toEqual(
          new ConcurrencyConflict({ scan_id: scan.scanId, expected_seq: 1 })
        )
        // A second creation of the same scan.
        const again = new Writer(scan.scanId, 1).step(createScan(scan.scanId), 5)
        expect(yield* Effect.flip(store.append([again.append]))).toBeInstanceOf(ConcurrencyConflict)
        // An expectation ahead of the log.
        const ahead = { ...start.append, expected_seq: 7 }
        expect(yield* Effect.flip(store.append([ahead]))).toEqual(
          new ConcurrencyConflict({ scan_id: scan.scanId, expected_seq: 7 })
        )
        expect((yield* store.events(scan.scanId, 0, 100)).length).toBe(1 + start.append.events.length)
      }))

    it.scoped("fences appends with the shard's epoch", () =>
      Effect.gen(function*() {
        const { store } = yield* harness
        expect(yield* store.fence(7, 1)).toBe(1)
        const scan = new Writer(freshScanId(), 7, { shard: 7, epoch: 1 })
        yield* scan.write(store, createScan(scan.scanId), 0)
        // A new owner raises the fence: the old one can no longer write.
        expect(yield* store.fence(7, 2)).toBe(2)
        const start = scan.step({ _tag: "StartScan" }, 1)
        expect(yield* Effect.flip(store.append([start.append]))).toEqual(new StaleEpoch({ shard: 7, epoch: 1 }))
        // The old owner cannot lower it back.
        expect(yield* store.fence(7, 1)).toBe(2)
        expect(yield* store.fence(7, 2)).toBe(2)
        scan.fence = { shard: 7, epoch: 2 }
        yield* scan.write(store, { _tag: "StartScan" }, 2)
        // A shard never fenced, and an epoch ahead of the fence, are stale as well.
        const unfenced = new Writer(freshScanId(), 9, { shard: 9, epoch: 1 }).step(createScan(freshScanId()), 0)
        expect(yield* Effect.flip(store.append([unfenced.append]))).toBeInstanceOf(StaleEpoch)
        const ahead = new Writer(freshScanId(), 7, { shard: 7, epoch: 3 }).step(createScan(freshScanId()), 0)
        expect(yield* Effect.flip(store.append([ahead.append]))).toBeInstanceOf(StaleEpoch)
        // Unfenced creation (the gateway's) is allowed.
        yield* new Writer(freshScanId(), 7).write(store, createScan(freshScanId()), 0)
      }))

    it.scoped("recognises a command applied before", () =>
      Effect.gen(function*() {
        const { store } = yield* harness
        const scan = new Writer(freshScanId(), 1)
        yield* scan.write(store, createScan(scan.scanId), 0, { command_id: "create" })
        const again = scan.step({ _tag: "StartScan" }, 1, { command_id: "create" })
        expect(yield* Effect.flip(store.append([again.append]))).toEqual(
          new ConcurrencyConflict({ scan_id: scan.scanId, expected_seq: 1 })
        )
        // Nothing of the refused append is kept; the same step under a new id goes through.
        expect((yield* store.events(scan.scanId, 0, 100)).length).toBe(1)
        yield* scan.write(store, { _tag: "StartScan" }, 1, { command_id: "start" })
        const loaded = Option.getOrThrow(yield* store.load(scan.scanId))
        expect(loaded.commands).toEqual(new Set(["create", "start"]))
        // A command that causes no event is still recorded.
        yield* scan.write(store, { _tag: "Tick" }, 2, { command_id: "tick" })
        expect(Option.getOrThrow(yield* store.load(scan.scanId)).commands.has("tick")).toBe(true)
      }))

    it.scoped("writes a batch all or nothing", () =>
      Effect.gen(function*() {
        const { store, projection } = yield* harness
        yield* store.fence(2, 5)
        const a = new Writer(freshScanId(), 2, { shard: 2, epoch: 5 })
        const b = new Writer(freshScanId(), 2, { shard: 2, epoch: 5 })
        yield* b.write(store, createScan(b.scanId), 0)
        const stepA = a.step(createScan(a.scanId), 0, { command_id: "a" })
        // b's append expects an empty log: it conflicts, and a's append goes down with it.
        const stale = new Writer(b.scanId, 2, { shard: 2, epoch: 5 }).step(createScan(b.scanId), 1)
        expect(yield* Effect.flip(store.append([stepA.append, stale.append]))).toBeInstanceOf(ConcurrencyConflict)
        expect(yield* store.load(a.scanId)).toEqual(Option.none())
        expect(yield* projection(a.scanId)).toEqual(Option.none())
        // The same with a stale fence on one append, and with a repeated command id in the batch.
        const staleFence = new Writer(freshScanId(), 3, { shard: 3, epoch: 1 }).step(createScan(freshScanId()), 0)
        expect(yield* Effect.flip(store.append([stepA.append, staleFence.append]))).toBeInstanceOf(StaleEpoch)
        const d = new Writer(a.scanId, 2, { shard: 2, epoch: 5 })
        const d1 = d.step(createScan(a.scanId), 0, { command_id: "same" })
        d1.commit()
        const d2 = d.step({ _tag: "StartScan" }, 1, { command_id: "same" })
        expect(yield* Effect.flip(store.append([d1.append, d2.append]))).toBeInstanceOf(ConcurrencyConflict)
        expect(yield* store.load(a.scanId)).toEqual(Option.none())
        expect((yield* store.events(b.scanId, 0, 100)).length).toBe(1)
        // A good batch over several scans, two appends of one scan among them, commits whole.
        const c = new Writer(freshScanId(), 2, { shard: 2, epoch: 5 })
        const c1 = c.step(createScan(c.scanId), 0, { command_id: "c1" })
        c1.commit()
        const c2 = c.step({ _tag: "StartScan" }, 1, { command_id: "c2" })
        c2.commit()
        const b2 = b.step({ _tag: "StartScan" }, 1)
        b2.commit()
        yield* store.append([stepA.append, c1.append, b2.append, c2.append])
        stepA.commit()
        for (const w of [a, b, c]) {
          expect(plain(Option.getOrThrow(yield* store.load(w.scanId)).state)).toEqual(plain(w.state))
          expect(Option.map(yield* projection(w.scanId), (p) => p.seq)).toEqual(Option.some(w.state!.seq))
        }
      }))

    it.scoped("loads a snapshot and the events after it", () =>
      Effect.gen(function*() {
        const { snapshotSeq, store } = yield* harness
        const scan = new Writer(freshScanId(), 1)
        yield* scan.run(store, { snapshotAt: 1 })
        expect(yield* snapshotSeq(scan.scanId)).toEqual(Option.some(3))
        const loaded = Option.getOrThrow(yield* store.load(scan.scanId))
        expect(plain(loaded.state)).toEqual(plain(replay(scan.log)))
        // A later snapshot replaces it; the state loaded stays the same.
        yield* scan.write(store, { _tag: "Tick" }, 30, { snapshot: true })
        expect(yield* snapshotSeq(scan.scanId)).toEqual(Option.some(scan.state!.seq))
        expect(plain(Option.getOrThrow(yield* store.load(scan.scanId)).state)).toEqual(plain(replay(scan.log)))
      }))

    it.scoped("keeps the scans projection in step with the log", () =>
      Effect.gen(function*() {
        const { projection, store } = yield* harness
        const scan = new Writer(freshScanId(), 4)
        yield* scan.write(store, createScan(scan.scanId), 0)
        expect(yield* projection(scan.scanId)).toEqual(
          Option.some({ status: "CREATED", seq: 1, shard: 4, deleted: false })
        )
        yield* scan.write(store, { _tag: "StartScan" }, 1)
        yield* scan.write(store, { _tag: "PauseScan" }, 2)
        expect(yield* projection(scan.scanId)).toEqual(
          Option.some({ status: "PAUSED", seq: scan.state!.seq, shard: 4, deleted: false })
        )
        yield* scan.write(store, { _tag: "DeleteScan" }, 3)
        expect(yield* projection(scan.scanId)).toEqual(
          Option.some({ status: "CANCELLED", seq: scan.state!.seq, shard: 4, deleted: true })
        )
      }))

    it.scoped("lists the shard's running and paused scans", () =>
      Effect.gen(function*() {
        const { store } = yield* harness
        const shard = 5
        const running = new Writer(freshScanId(), shard)
        yield* running.write(store, createScan(running.scanId), 0)
        yield* running.write(store, { _tag: "StartScan" }, 1)
        const paused = new Writer(freshScanId(), shard)
        yield* paused.write(store, createScan(paused.scanId), 0)
        yield* paused.write(store, { _tag: "StartScan" }, 1)
        yield* paused.write(store, { _tag: "PauseScan" }, 2)
        const created = new Writer(freshScanId(), shard)
        yield* created.write(store, createScan(created.scanId), 0)
        const stopped = new Writer(freshScanId(), shard)
        yield* stopped.write(store, createScan(stopped.scanId), 0)
        yield* stopped.write(store, { _tag: "StartScan" }, 1)
        yield* stopped.write(store, { _tag: "StopScan" }, 2)
        const elsewhere = new Writer(freshScanId(), shard + 1)
        yield* elsewhere.write(store, createScan(elsewhere.scanId), 0)
        yield* elsewhere.write(store, { _tag: "StartScan" }, 1)
        expect(yield* store.activeScans(shard)).toEqual([running.scanId, paused.scanId].sort())
        expect(yield* store.activeScans(shard + 1)).toEqual([elsewhere.scanId])
        expect(yield* store.activeScans(99)).toEqual([])
      }))
  })

describe("EventStore", () => {
  suite("Postgres", postgresHarness)
  suite("Memory", memoryHarness)
})

describe("EventStore Postgres loads", () => {
  /** The store on a client that counts the load statements it sends. */
  const counted = Effect.gen(function*() {
    const url = yield* TestStores.freshDatabase
    const statements = { loads: 0 }
    const sql = yield* Effect.acquireRelease(
      Effect.sync(() =>
        postgres(url, {
          max: 4,
          onnotice: () => undefined,
          transform: { undefined: null },
          debug: (_connection, query) => {
            if (query.includes("scan_snapshots s")) statements.loads++
          }
        }) as Pg.Sql
      ),
      (sql) => Effect.promise(() => sql.end({ timeout: 5 }))
    )
    const store = yield* Effect.provideService(EventStorePostgres.make, PgClient, sql)
    return { sql, statements, store }
  })

  it.scoped("sends the loads asked for while one runs together, in far fewer statements than scans", () =>
    Effect.gen(function*() {
      const { statements, store } = yield* counted
      const scans = Array.from({ length: 40 }, () => new Writer(freshScanId(), 2))
      yield* Effect.forEach(scans, (scan) => scan.run(store), { concurrency: 8 })
      const loaded = yield* Effect.forEach(scans, (scan) => store.load(scan.scanId), { concurrency: "unbounded" })
      scans.forEach((scan, i) => expect(plain(Option.getOrThrow(loaded[i]!).state)).toEqual(plain(scan.state)))
      // One statement for the first load, the rest in the next one or two (two loaders); one each would be 40.
      expect(statements.loads).toBeGreaterThan(0)
      expect(statements.loads).toBeLessThanOrEqual(4)
    }))

  it.scoped("fails only the load of a scan whose log does not read back, not the loads sent with it", () =>
    Effect.gen(function*() {
      const { sql, store } = yield* counted
      const good = new Writer(freshScanId(), 3)
      yield* good.run(store)
      const broken = freshScanId()
      yield* Effect.promise(() =>
        sql`INSERT INTO scan_events (scan_id, seq, type, payload, at)
            VALUES (${broken}, 1, 'ScanCreated', ${sql.json({ _tag: "ScanCreated", at: "yesterday" })}, now())`
      )
      const [odd, fine] = yield* Effect.all([Effect.either(store.load(broken)), store.load(good.scanId)], {
        concurrency: "unbounded"
      })
      expect(Either.isLeft(odd) && odd.left._tag).toBe("PersistenceError")
      expect(plain(Option.getOrThrow(fine).state)).toEqual(plain(good.state))
    }))
})

describe("EventStore Postgres encoders", () => {
  const parsed = (json: string) => JSON.parse(json) as unknown
  const withTemplate = (scanId: ScanId): ScanCommand => {
    const command = createScan(scanId)
    return command._tag === "CreateScan"
      ? {
        ...command,
        header: {
          ...command.header,
          template_id: TemplateId.make("tpl-1"),
          depends_on: { scan_ids: [freshScanId()], result_types: ["DOMAIN"], on_failure: "continue" }
        }
      }
      : command
  }

  it.effect("encode states, snapshots and events as the schemas do, through a scan's whole life", () =>
    Effect.gen(function*() {
      for (const create of [createScan, withTemplate]) {
        const scan = new Writer(freshScanId(), 1)
        const steps: Array<ScanCommand> = [create(scan.scanId), { _tag: "StartScan" }]
        const check = (events: ReadonlyArray<ScanEvent>, state: ScanState) =>
          Effect.gen(function*() {
            for (const event of events) {
              expect(parsed(yield* PostgresJson.encodeEventJson(event))).toEqual(
                parsed(yield* PostgresJson.encodeEventWithSchema(event))
              )
            }
            expect(parsed(PostgresJson.encodeProjection(state))).toEqual(
              parsed(yield* PostgresJson.encodeProjectionWithSchema(state))
            )
            expect(parsed(PostgresJson.encodeSnapshotJson(state))).toEqual(
              parsed(yield* PostgresJson.encodeSnapshotWithSchema(state))
            )
          })
        let at = 0
        const run = (command: ScanCommand) =>
          Effect.gen(function*() {
            const { append, commit } = scan.step(command, at++)
            commit()
            yield* check(append.events, append.state)
          })
        for (const command of steps) yield* run(command)
        const [first, second] = queuedTasks(scan.state!)
        yield* run({ _tag: "MarkTasksStarted", task_ids: [first!.task_id, second!.task_id] })
        // A start as logs written before TasksStarted hold it.
        yield* check([{ _tag: "TaskStarted", at, task_id: first!.task_id }], scan.state!)
        yield* run({
          _tag: "TaskSucceeded",
          task_id: first!.task_id,
          result_count: 2,
          entities: [
            Entity.make({ type: "DOMAIN", value: "a.example.com" }),
            Entity.make({ type: "IP", value: "192.0.2.7" })
          ]
        })
        yield* run({ _tag: "PauseScan" })
        yield* run({ _tag: "ResumeScan" })
        yield* run({ _tag: "TaskErrored", task_id: second!.task_id, error: "it broke \"badly\"\n" })
        yield* run({ _tag: "StopScan" })
        yield* run({ _tag: "DeleteScan" })
        expect(scan.log.map((e) => e._tag)).toContain("TaskCompleted")
        expect(scan.log.map((e) => e._tag)).toContain("TasksPlanned")
        expect(scan.log.map((e) => e._tag)).toContain("ScanDeleted")
      }
    }))

  it("encode any event as the schema does, a scan's creation included", () => {
    const encodeWithSchema = Schema.encodeSync(ScanEvent)
    FastCheck.assert(
      FastCheck.property(Arbitrary.make(ScanEvent), (event) => {
        expect(parsed(Either.getOrThrow(PostgresJson.encodeEventJson(event)))).toEqual(
          JSON.parse(JSON.stringify(encodeWithSchema(event)))
        )
      }),
      { numRuns: 400 }
    )
  })

  describe("payload decoding", () => {
    /** JSON as `JSON.parse` gives it: the tests below break it in place. */
    type Parsed = ReturnType<typeof JSON.parse>
    const schemaDecode = Schema.decodeUnknownEither(ScanEvent)
    /** A payload as the store gives it back: the schema's encoding through JSON. */
    const stored = (event: ScanEvent) => JSON.parse(JSON.stringify(Schema.encodeSync(ScanEvent)(event))) as unknown
    const agrees = (payload: unknown) => {
      const expected = schemaDecode(payload)
      // Twice: the second decode takes the remembered parts.
      for (let i = 0; i < 2; i++) {
        const decoded = PostgresJson.decodeEventPayload(payload)
        expect(Either.isRight(decoded)).toBe(Either.isRight(expected))
        if (Either.isRight(decoded) && Either.isRight(expected)) {
          expect(decoded.right).toStrictEqual(expected.right)
          if (decoded.right._tag === "ScanCreated" && expected.right._tag === "ScanCreated") {
            expect(decoded.right.definition).toBeInstanceOf(ScanDefinition)
            expect(Schema.encodeSync(ScanEvent)(decoded.right)).toEqual(Schema.encodeSync(ScanEvent)(expected.right))
          }
        }
      }
    }

    it("decodes a stored ScanCreated as the schema does, the second time from what it remembers", () => {
      FastCheck.assert(
        FastCheck.property(Arbitrary.make(ScanCreated), (event) => agrees(stored(event))),
        { numRuns: 150 }
      )
    })

    it("refuses what the schema refuses, in any part of a ScanCreated, and decodes other events through it", () => {
      const created = createScan(freshScanId())
      const payload = stored(Either.getOrThrow(decide(undefined, created, 5))[0]!) as Parsed
      agrees(payload)
      const broken: ReadonlyArray<(p: Parsed) => void> = [
        (p) => delete p.scan_id,
        (p) => (p.at = "soon"),
        (p) => (p.header.organization_id = 7),
        (p) => (p.definition.name = ""),
        (p) => delete p.definition.target,
        (p) => (p.definition.target = { type: "DOMAIN", value: "" }),
        (p) => (p.definition.description = null),
        (p) => (p.definition.modules = Array.from({ length: 500 }, () => ({ id: "dns_resolve" }))),
        (p) => (p.definition.modules = [{ id: 42 }]),
        (p) => (p.definition.configuration.max_results = -1),
        (p) => delete p.definition.configuration,
        (p) => (p.plan[0].input_types = ["NOT_A_TYPE"]),
        (p) => (p.definition = "a definition"),
        (p) => (p._tag = "ScanCreate")
      ]
      for (const breakIt of broken) {
        const copy = JSON.parse(JSON.stringify(payload)) as Parsed
        breakIt(copy)
        expect(Either.isLeft(schemaDecode(copy))).toBe(true)
        agrees(copy)
      }
      // A description left out takes its default, as through the schema.
      const bare = JSON.parse(JSON.stringify(payload)) as Parsed
      delete bare.definition.description
      agrees(bare)
      agrees({ _tag: "TasksStarted", at: 9, task_ids: ["a", "b"] })
      agrees({ _tag: "TasksStarted", at: 9, task_ids: "a" })
    })
  })
})
