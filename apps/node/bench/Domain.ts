/**
 * The scan actor's own work on its state for the throughput section's scans, without I/O or fibers: each scan's
 * `ScanCreated` decoded as a load decodes it, its start, and then batch after batch what the actor does when its
 * running tasks report (the no-op module's findings to results and entities, `decideInto`, the due tasks started, the
 * draft frozen). The part of `node_cpu_us_per_task` that is the domain's, measured far from the machine's noise.
 */
import { Entity } from "@mirage/domain/Entity"
import type { EntityType } from "@mirage/domain/Entity"
import * as Findings from "@mirage/domain/Findings"
import { deriveUuid, OrganizationId, ScanId, UserId } from "@mirage/domain/Ids"
import { ScanConfiguration, ScanDefinition, ScanModule } from "@mirage/domain/Scan"
import { decideInto, makeDraft } from "@mirage/domain/ScanDraft"
import { ScanEvent } from "@mirage/domain/ScanEvent"
import type { PlannedModule } from "@mirage/domain/ScanEvent"
import { decide, dueTasks, replay } from "@mirage/domain/ScanMachine"
import type { TaskEntry } from "@mirage/domain/ScanMachine"
import { decodeEventPayload } from "@mirage/runtime/scans/EventStore/PostgresJson"
import { Effect, Either, HashMap, Option, Schema } from "effect"

type NoopFindings = (
  moduleId: string,
  value: string
) => ReadonlyArray<{ readonly type: EntityType; readonly value: string }>

const header = {
  organization_id: OrganizationId.make(deriveUuid("bench-domain-org")),
  user_id: UserId.make(deriveUuid("bench-domain-user")),
  template_id: null,
  depends_on: null
}

/** A created scan's `ScanCreated` as the event store gives it back (the schema's encoding, through JSON). */
const storedCreation = (plan: ReadonlyArray<PlannedModule>, round: number, i: number): unknown => {
  const definition = ScanDefinition.make({
    name: `bench ${i}`,
    target: Entity.make({ type: "DOMAIN", value: `t${i}.r${round}.example.com` }),
    modules: plan.map((m) => ScanModule.make({ id: m.id })),
    configuration: ScanConfiguration.make({ recursion_depth: 1, max_results: 100_000 })
  })
  const events = Either.getOrThrow(decide(undefined, {
    _tag: "CreateScan",
    scan_id: ScanId.make(deriveUuid(`bench-domain-${round}-${i}`)),
    header,
    definition,
    plan
  }, 0))
  return JSON.parse(JSON.stringify(Schema.encodeSync(ScanEvent)(events[0]!)))
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
