/**
 * The fair peers of Mirage's task path: BullMQ jobs that do a Mirage task's durable work, written the way a BullMQ
 * user would. Each job stores one event row in PostgreSQL (shaped like a `TaskCompleted` row of `scan_events`) and
 * one result document in the MongoDB server (shaped like a Mirage result), through the same drivers, on the same
 * stores, with the worker at concurrency 100.
 *   - durable: every job awaits its own INSERT and its own insertOne;
 *   - batched: a micro-batcher gathers what concurrent jobs want written for up to 5 ms (or 500 jobs) and writes it
 *     as one multi-row INSERT and one unordered insertMany; each job completes once its batch is written.
 * A job is acknowledged only after its writes are durable, as a Mirage task's completion is.
 */
import { Queue, Worker } from "bullmq"
import { Effect } from "effect"
import { MongoClient } from "mongodb"
import { randomUUID } from "node:crypto"
import postgres from "postgres"
import { startWindow } from "./MachineCpu.js"
import type { BenchStores } from "./Stores.js"

interface EventRow {
  readonly scan_id: string
  readonly seq: number
  readonly type: string
  readonly payload: unknown
  readonly at: Date
  readonly epoch: number
}

/** One job's durable work: the row and the document a Mirage task of the throughput run writes. */
const work = (scan: string, i: number) => {
  const at = new Date()
  const taskId = randomUUID()
  const row: EventRow = {
    scan_id: scan,
    seq: i,
    type: "TaskCompleted",
    payload: {
      _tag: "TaskCompleted",
      at: at.toISOString(),
      task_id: taskId,
      result_count: 1,
      discovered: [{ type: "TECHNOLOGY", value: `tech-c${i}.bench.example` }]
    },
    at,
    epoch: 1
  }
  const document = {
    _id: randomUUID(),
    task_id: taskId,
    scan_id: scan,
    module_id: "bench_leaf",
    data_type: "TECHNOLOGY",
    data: `tech-c${i}.bench.example`,
    source_data: {},
    confidence: 1,
    collected_at: at,
    metadata: {},
    hash: randomUUID().replace(/-/g, "")
  }
  return { row, document }
}

type Work = ReturnType<typeof work>

/** Gathers concurrent jobs' writes for up to `delayMs` or `max` jobs, and writes each gathering at once. */
const microBatcher = (write: (batch: ReadonlyArray<Work>) => Promise<void>, delayMs: number, max: number) => {
  let pending: Array<{ readonly work: Work; readonly done: () => void; readonly failed: (e: unknown) => void }> = []
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    const batch = pending
    pending = []
    write(batch.map((entry) => entry.work)).then(
      () => batch.forEach((entry) => entry.done()),
      (error) => batch.forEach((entry) => entry.failed(error))
    )
  }
  return (item: Work) =>
    new Promise<void>((done, failed) => {
      pending.push({ work: item, done, failed })
      if (pending.length >= max) flush()
      else if (timer === undefined) timer = setTimeout(flush, delayMs)
    })
}

/** BullMQ jobs per second, each doing one Mirage task's durable work, per job or through a micro-batcher. */
export const durableJobs = (stores: BenchStores, jobs: number, mode: "durable" | "batched") =>
  Effect.promise(async () => {
    const sql = postgres(stores.databaseUrl, { max: 10, onnotice: () => undefined })
    const mongo = await new MongoClient(stores.mongoUrl).connect()
    const table = `bull_${mode}_events`
    await sql.unsafe(
      `create table if not exists ${table} (like scan_events including defaults including constraints including indexes)`
    )
    const results = mongo.db().collection<{ _id: string }>(`bull_${mode}_results`)
    await results.createIndex({ scan_id: 1, data_type: 1 })
    const insertRows = (rows: ReadonlyArray<EventRow>) =>
      sql`insert into ${sql(table)} ${sql(rows.map((row) => ({ ...row, payload: sql.json(row.payload as never) })))}`
    const perJob = async (item: Work) => {
      await Promise.all([insertRows([item.row]), results.insertOne(item.document)])
    }
    const batched = microBatcher(
      async (batch) => {
        await Promise.all([
          insertRows(batch.map((item) => item.row)),
          results.insertMany(batch.map((item) => item.document), { ordered: false })
        ])
      },
      5,
      500
    )

    const url = new URL(stores.redisUrl)
    const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null }
    const prefix = `${stores.prefix}bull${mode}`
    const queue = new Queue(mode, { connection, prefix })
    const scan = randomUUID()
    for (let i = 0; i < jobs; i += 1000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1000, jobs - i) }, (_, j) => ({ name: "task", data: { i: i + j } }))
      )
    }
    let done = 0
    const window = startWindow()
    let worker: Worker | undefined
    await new Promise<void>((resolve, reject) => {
      worker = new Worker(mode, async (job) => {
        const item = work(scan, (job.data as { i: number }).i)
        await (mode === "durable" ? perJob(item) : batched(item))
      }, { connection, prefix, concurrency: 100 })
      worker.on("completed", () => {
        if (++done === jobs) resolve()
      })
      worker.on("failed", (_, error) => reject(error))
    })
    const measured = window.end(jobs)
    const [{ n: stored }] = await sql<[{ n: number }]>`select count(*)::int as n from ${sql(table)}`
    await worker?.close()
    await queue.obliterate({ force: true })
    await queue.close()
    await results.drop()
    await sql.unsafe(`drop table ${table}`)
    await sql.end()
    await mongo.close()
    if (stored !== jobs) throw new Error(`${mode}: ${stored} event rows stored for ${jobs} jobs`)
    return measured
  })
