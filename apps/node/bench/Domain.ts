/**
 * The scan actor's own work on its state for the throughput section's scans, without I/O or fibers: each scan's
 * `ScanCreated` decoded as a load decodes it, its start, and then batch after batch what the actor does when its
 * running tasks report (the no-op module's findings to results and entities, `decideInto`, the due tasks started, the
 * draft frozen). The part of `node_cpu_us_per_task` that is the domain's, measured far from the machine's noise.
 */
import { Entity } from "@mirage/domain/Entity"
import * as Findings from "@mirage/domain/Findings"
import { deriveUuid, ScanId } from "@mirage/domain/Ids"
import { decideInto, makeDraft } from "@mirage/domain/ScanDraft"
import { ScanEvent } from "@mirage/domain/ScanEvent"
import type { PlannedModule } from "@mirage/domain/ScanEvent"
import { dueTasks, replay } from "@mirage/domain/ScanMachine"
import type { TaskEntry } from "@mirage/domain/ScanMachine"
import { decodeEventPayload } from "@mirage/runtime/scans/EventStore/PostgresJson"
import { Effect, Either, HashMap, Option, Schema } from "effect"
import type { Findings as NoopFindings } from "./Ceilings.js"
import { creation } from "./Harness.js"

/** A created scan's `ScanCreated` as the event store gives it back (the schema's encoding, through JSON). */
const storedCreation = (plan: ReadonlyArray<PlannedModule>, round: number, i: number): unknown => {
  const created = creation(
    ScanId.make(deriveUuid(`bench-domain-${round}-${i}`)),
    i,
    Entity.make({ type: "DOMAIN", value: `t${i}.r${round}.example.com` }),
    plan,
    { recursion_depth: 1, max_results: 100_000 }
  )
  return JSON.parse(JSON.stringify(Schema.encodeSync(ScanEvent)(created)))
}

/** One scan's life on the actor's state; the number of tasks it ran. */
const runScan = (stored: unknown, findings: NoopFindings, concurrency: number): number => {
  let now = 1
  let state = replay([Either.getOrThrow(decodeEventPayload(stored))])!
  let draft = makeDraft(state)
  Either.getOrThrow(decideInto(draft, { _tag: "StartScan" }, now))
  const startDue = () => {
    const due = dueTasks(draft.current, concurrency).map((task) => task.task_id)
    if (due.length > 0) Either.getOrThrow(decideInto(draft, { _tag: "MarkTasksStarted", task_ids: due }, now))
    return due
  }
  let running = startDue()
  state = draft.freeze()
  let tasks = 0
  // No-op tasks end at once: each batch is the reports of every task running, as the actor takes its mailbox.
  while (running.length > 0) {
    now++
    draft = makeDraft(state)
    for (const taskId of running) {
      const task: TaskEntry = Option.getOrThrow(HashMap.get(draft.current.tasks, taskId))
      const found = findings(task.module_id, task.entity.value).map((finding) => ({
        type: finding.type,
        value: finding.value,
        confidence: 1,
        source_data: {},
        metadata: {}
      }))
      const succeeded = Findings.taskSucceeded(draft.current, task, found, now)
      Either.getOrThrow(decideInto(draft, succeeded.command, now))
      tasks++
    }
    running = startDue()
    state = draft.freeze()
  }
  if (state.status !== "COMPLETED") throw new Error(`a bench scan ended ${state.status}`)
  return tasks
}

export interface DomainRun {
  /** Median µs of the domain's work per task over the rounds after the first two (warm-up). */
  readonly usPerTask: number
  readonly tasksPerScan: number
  readonly rounds: number
  readonly scans: number
}

/** `rounds` rounds of `scans` scans each; the payloads are made before each round's clock starts. */
export const domainWork = (
  plan: ReadonlyArray<PlannedModule>,
  findings: NoopFindings,
  options: { readonly scans: number; readonly rounds: number; readonly concurrency: number }
): Effect.Effect<DomainRun> =>
  Effect.sync(() => {
    const perTask: Array<number> = []
    let tasksPerScan = 0
    for (let round = 0; round < options.rounds + 2; round++) {
      const stored = Array.from({ length: options.scans }, (_, i) => storedCreation(plan, round, i))
      const started = process.cpuUsage()
      let tasks = 0
      for (const payload of stored) tasks += runScan(payload, findings, options.concurrency)
      const spent = process.cpuUsage(started)
      tasksPerScan = tasks / options.scans
      if (round >= 2) perTask.push((spent.user + spent.system) / tasks)
    }
    perTask.sort((a, b) => a - b)
    return {
      usPerTask: perTask[Math.floor(perTask.length / 2)]!,
      tasksPerScan,
      rounds: options.rounds,
      scans: options.scans
    }
  })
