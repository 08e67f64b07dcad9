/**
 * What the stores alone absorb on this machine, fed by an actor that costs nothing: the bound on the end-to-end
 * throughput whatever the runtime does. Both go through the real adapters, with the throughput run's batch sizes.
 *   - events: the appends the scan actors of the throughput run make (TasksStarted and TaskCompleted events, the scan
 *     projection, terminal snapshots), computed beforehand with the state machine, then appended round by round.
 *   - results: result documents like that run's, inserted as the result writer does.
 *   - raw results: the MongoDB-compatible server's own limit, through the driver with no adapter at all: minimal
 *     result-shaped documents in large unordered batches, nothing else running.
 */
import { CollectionResult } from "@mirage/domain/CollectionTask"
import { Entity, entityKey, normalizeEntity, resultHash } from "@mirage/domain/Entity"
import type { ScanId } from "@mirage/domain/Ids"
import { resultIdFor } from "@mirage/domain/Ids"
import { isTerminal } from "@mirage/domain/Scan"
import type { ScanCommand, ScanEvent } from "@mirage/domain/ScanEvent"
import { decide, evolve, queuedTasks } from "@mirage/domain/ScanMachine"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { shardOf } from "@mirage/runtime/cluster/Shards"
import { EventStore } from "@mirage/runtime/scans/EventStore"
import type { Append } from "@mirage/runtime/scans/EventStore"
import { ResultStore } from "@mirage/runtime/scans/ResultStore"
import { DateTime, Effect, Either, HashMap } from "effect"
import { MongoClient } from "mongodb"
import { randomUUID } from "node:crypto"
import { performance } from "node:perf_hooks"
import { shards } from "./Harness.js"
import { startWindow } from "./MachineCpu.js"

/** What a no-op module finds for one task: the bench's executor, as a pure function. */
export type Findings = (
  moduleId: string,
  value: string
) => ReadonlyArray<{ readonly type: Entity["type"]; readonly value: string }>

/**
 * The appends of one scan's whole run, one per round as its actor makes them when all its tasks answer at once:
 * start the queued tasks (up to the concurrency), then their completions.
 */
const appendsOf = (created: ScanState, findings: Findings, concurrency: number) => {
  const rounds: Array<Append> = []
  let state = created
  let tasks = 0
  const round = (commands: ReadonlyArray<ScanCommand>) => {
    const events: Array<ScanEvent> = []
    const before = state
    for (const command of commands) {
      const decided = decide(state, command, Date.now())
      if (Either.isLeft(decided)) continue
      events.push(...decided.right)
      state = decided.right.reduce(evolve, state)
    }
    if (events.length === 0) return
    rounds.push({
      scan_id: state.id,
      shard: shardOf(state.id, shards),
      expected_seq: before.seq,
      events,
      command_id: null,
      fence: null,
      state,
      snapshot: isTerminal(state.status)
    })
  }
  round([{ _tag: "StartScan" }])
  while (state.status === "RUNNING") {
    const started = queuedTasks(state, concurrency)
    if (started.length === 0) {
      round([{ _tag: "Tick" }])
      break
    }
    round([{ _tag: "MarkTasksStarted", task_ids: started.map((task) => task.task_id) }])
    round(started.map((task) => {
      tasks++
      const entities = findings(task.module_id, task.entity.value).flatMap((f) => {
        const entity = normalizeEntity(f)
        return Either.isRight(entity) ? [entity.right] : []
      })
      const fresh = entities.filter((e) => !HashMap.has(state.seen, entityKey(e)))
      return { _tag: "TaskSucceeded", task_id: task.task_id, result_count: fresh.length, entities }
    }))
  }
  return { rounds, tasks }
}

/** Tasks per second the event store absorbs for scans created (ScanCreated stored) with the given states. */
export const events = (created: ReadonlyArray<ScanState>, findings: Findings, concurrency: number, batch: number) =>
  Effect.gen(function*() {
    const store = yield* EventStore
    const perScan = created.map((state) => appendsOf(state, findings, concurrency))
    const tasks = perScan.reduce((n, scan) => n + scan.tasks, 0)
    // Round r of every scan, then round r + 1: the order in which a node's journal meets them.
    const ordered: Array<Append> = []
    const longest = Math.max(...perScan.map((scan) => scan.rounds.length))
    for (let r = 0; r < longest; r++) {
      for (const scan of perScan) {
        const append = scan.rounds[r]
        if (append !== undefined) ordered.push(append)
      }
    }
    const started = performance.now()
    for (let i = 0; i < ordered.length; i += batch) yield* store.append(ordered.slice(i, i + batch))
    return { tasksPerSecond: tasks / ((performance.now() - started) / 1000), tasks }
  })

/** Results per second the result store absorbs, in inserts of `batch` documents over scans of `perScan` results. */
export const results = (count: number, perScan: number, batch: number) =>
  Effect.gen(function*() {
    const store = yield* ResultStore
    const now = DateTime.unsafeMake(Date.now())
    const owners: Array<{ owner: ScanId; results: Array<CollectionResult> }> = []
    for (let i = 0; i < count; i++) {
      if (i % perScan === 0) owners.push({ owner: randomUUID() as ScanId, results: [] })
      const scan = owners[owners.length - 1]!
      const entity = Entity.make({ type: "TECHNOLOGY", value: `tech-c${i % perScan}.t${i}.bench.test` })
      const hash = resultHash(entity.type, entity.value)
      scan.results.push(
        new CollectionResult({
          id: resultIdFor(scan.owner, hash),
          task_id: randomUUID() as CollectionResult["task_id"],
          scan_id: scan.owner,
          module_id: "bench_leaf" as CollectionResult["module_id"],
          data_type: entity.type,
          data: entity.value,
          source_data: {},
          confidence: 1,
          collected_at: now,
          metadata: {},
          hash,
          parent: resultHash("DOMAIN", `t${i}.bench.test`)
        }, true)
      )
    }
    const started = performance.now()
    let pending: Array<{ owner: string; results: ReadonlyArray<CollectionResult> }> = []
    let size = 0
    for (const scan of owners) {
      pending.push(scan)
      size += scan.results.length
      if (size >= batch) {
        yield* store.insertAll(pending)
        pending = []
        size = 0
      }
    }
    if (pending.length > 0) yield* store.insertAll(pending)
    return count / ((performance.now() - started) / 1000)
  })

/**
 * Documents per second the MongoDB-compatible server takes through the bare driver: `count` result-shaped documents
 * with the result collection's secondary index, in unordered batches of `batch`, two in flight, into a scratch
 * collection that is dropped afterwards. No runtime, however cheap, stores results faster than this.
 */
export const rawResults = (mongoUrl: string, count: number, batch: number) =>
  Effect.acquireUseRelease(
    Effect.promise(() => new MongoClient(mongoUrl).connect()),
    (client) =>
      Effect.promise(async () => {
        const collection = client.db().collection<{ _id: string }>(`raw_ceiling_${randomUUID().slice(0, 8)}`)
        await collection.createIndex({ scan_id: 1, data_type: 1 })
        const collectedAt = new Date()
        const document = (i: number) => ({
          _id: `r${i}`,
          task_id: `t${i}`,
          scan_id: `s${i % 800}`,
          module_id: "bench_leaf",
          data_type: "TECHNOLOGY",
          data: `tech-${i}`,
          source_data: {},
          confidence: 1,
          collected_at: collectedAt,
          metadata: {},
          hash: `h${i}`
        })
        let next = 0
        const window = startWindow()
        const lane = async () => {
          while (next < count) {
            const from = next
            next += batch
            const docs = Array.from({ length: Math.min(batch, count - from) }, (_, j) => document(from + j))
            await collection.insertMany(docs, { ordered: false })
          }
        }
        await Promise.all([lane(), lane()])
        const measured = window.end(count)
        await collection.drop()
        return measured
      }),
    (client) => Effect.promise(() => client.close())
  )
