import { describe, expect, it } from "@effect/vitest"
import { entityKey, normalizeEntity } from "@mirage/domain/Entity"
import { taskIdFor } from "@mirage/domain/Ids"
import { isTerminal, ScanStatus } from "@mirage/domain/Scan"
import type { ScanCommand, ScanCommandTag } from "@mirage/domain/ScanEvent"
import { ScanCommand as ScanCommandSchema, ScanEvent, userCommandTags } from "@mirage/domain/ScanEvent"
import {
  deadline,
  decide,
  dueTasks,
  evolve,
  fromSnapshot,
  hasEnded,
  initial,
  outputTypes,
  planTasks,
  queuedTasks,
  replay,
  runningTasks,
  runningTime,
  ScanSnapshot,
  toScan,
  toSnapshot
} from "@mirage/domain/ScanMachine"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { Arbitrary, Either, FastCheck, HashMap, Option, Schema, SortedMap } from "effect"
import {
  accept,
  createCommand,
  crtsh,
  definitionOf,
  dns,
  domain,
  Driver,
  entity,
  mod,
  plannedIn,
  reject,
  scanId,
  T0,
  tags,
  tasks,
  unknownTask,
  view,
  whois
} from "./support.js"

const SECOND = 1000

// ---------------------------------------------------------------------------------------------
// Status machine: every (status × user command) pair
// ---------------------------------------------------------------------------------------------

type Row = ScanStatus | "DELETED"

/**
 * A scan in each status. The non-CREATED ones come from a RUNNING scan with one task running
 * (dns on the target) and one queued (crtsh on the target).
 */
const scanIn = (row: Row): Driver => {
  const d = new Driver({})
  if (row === "CREATED") return d
  d.start()
  d.begin(d.task("dns", "example.com"))
  switch (row) {
    case "RUNNING":
      return d
    case "PAUSED":
      d.send({ _tag: "PauseScan" })
      return d
    case "COMPLETED":
      d.send({ _tag: "Tick" }, T0 + 3600 * SECOND)
      return d
    case "FAILED":
      d.send({ _tag: "FailScan", reason: "operator says so" })
      return d
    case "CANCELLED":
      d.send({ _tag: "StopScan" })
      return d
    case "DELETED":
      d.send({ _tag: "DeleteScan" })
      return d
  }
}

const userCommand = (tag: ScanCommandTag): ScanCommand => {
  switch (tag) {
    case "CreateScan":
      return createCommand({})
    case "UpdateScan":
      return { _tag: "UpdateScan", configuration: { max_results: 99 }, plan: [dns, crtsh, whois] }
    case "FailScan":
      return { _tag: "FailScan", reason: "upstream outage" }
    default:
      return { _tag: tag } as ScanCommand
  }
}

type Outcome =
  | { readonly events: ReadonlyArray<string>; readonly status: ScanStatus; readonly deleted?: boolean }
  | { readonly illegal: string }
  | { readonly rejected: "ScanAlreadyExists" | "ScanNotFound" }

const ok = (status: ScanStatus, ...events: ReadonlyArray<string>): Outcome => ({ events, status })
const illegal = (verb: string): Outcome => ({ illegal: verb })
const exists: Outcome = { rejected: "ScanAlreadyExists" }
const notFound: Outcome = { rejected: "ScanNotFound" }
const deletedFrom = (status: ScanStatus, ...events: ReadonlyArray<string>): Outcome => ({
  events,
  status,
  deleted: true
})

const terminalRow = (status: ScanStatus): Record<string, Outcome> => ({
  CreateScan: exists,
  UpdateScan: illegal("update"),
  StartScan: illegal("start"),
  PauseScan: illegal("pause"),
  ResumeScan: illegal("resume"),
  StopScan: illegal("stop"),
  DeleteScan: deletedFrom(status, "ScanDeleted"),
  FailScan: illegal("fail")
})

const table: Record<Row, Record<string, Outcome>> = {
  CREATED: {
    CreateScan: exists,
    UpdateScan: ok("CREATED", "ScanUpdated"),
    StartScan: ok("RUNNING", "ScanStarted", "TasksPlanned"),
    PauseScan: illegal("pause"),
    ResumeScan: illegal("resume"),
    StopScan: ok("CANCELLED", "ScanCancelled"),
    DeleteScan: deletedFrom("CANCELLED", "ScanCancelled", "ScanDeleted"),
    FailScan: ok("FAILED", "ScanFailed")
  },
  RUNNING: {
    CreateScan: exists,
    UpdateScan: illegal("update"),
    StartScan: illegal("start"),
    PauseScan: ok("PAUSED", "ScanPaused"),
    ResumeScan: illegal("resume"),
    StopScan: ok("CANCELLED", "ScanCancelled"),
    DeleteScan: deletedFrom("CANCELLED", "ScanCancelled", "ScanDeleted"),
    FailScan: ok("FAILED", "ScanFailed")
  },
  PAUSED: {
    CreateScan: exists,
    UpdateScan: ok("PAUSED", "ScanUpdated"),
    StartScan: illegal("start"),
    PauseScan: illegal("pause"),
    ResumeScan: ok("RUNNING", "ScanResumed"),
    StopScan: ok("CANCELLED", "ScanCancelled"),
    DeleteScan: deletedFrom("CANCELLED", "ScanCancelled", "ScanDeleted"),
    FailScan: ok("FAILED", "ScanFailed")
  },
  COMPLETED: terminalRow("COMPLETED"),
  FAILED: terminalRow("FAILED"),
  CANCELLED: terminalRow("CANCELLED"),
  DELETED: {
    CreateScan: exists,
    UpdateScan: notFound,
    StartScan: notFound,
    PauseScan: notFound,
    ResumeScan: notFound,
    StopScan: notFound,
    DeleteScan: notFound,
    FailScan: notFound
  }
}

const rows: ReadonlyArray<Row> = [...ScanStatus.literals, "DELETED"]

describe("status machine", () => {
  it("the fixtures are in the status they are named after", () => {
    for (const row of rows) {
      const state = scanIn(row).scan
      expect(state.deleted).toBe(row === "DELETED")
      expect(state.status).toBe(row === "DELETED" ? "CANCELLED" : row)
    }
  })

  it("the table covers every user command", () => {
    for (const row of rows) expect(Object.keys(table[row]).sort()).toEqual([...userCommandTags].sort())
  })

  for (const row of rows) {
    describe(row, () => {
      for (const tag of userCommandTags) {
        const outcome = table[row][tag]!
        const label = "events" in outcome
          ? `accepts ${tag}: ${outcome.events.join(", ")} → ${outcome.status}${outcome.deleted ? " (deleted)" : ""}`
          : "illegal" in outcome
          ? `refuses ${tag} with IllegalTransition`
          : `refuses ${tag} with ${outcome.rejected}`
        it(label, () => {
          const d = scanIn(row)
          const before = d.scan
          const result = decide(before, userCommand(tag), d.now + SECOND)
          if ("events" in outcome) {
            expect(Either.isRight(result)).toBe(true)
            const events = Either.getOrThrow(result)
            expect(tags(events)).toEqual(outcome.events)
            for (const event of events) expect(event.at).toBe(d.now + SECOND)
            d.apply(events)
            expect(d.scan.status).toBe(outcome.status)
            expect(d.scan.deleted).toBe(outcome.deleted ?? false)
            expect(d.scan.seq).toBe(before.seq + events.length)
            expect(view(replay(d.log)!)).toEqual(view(d.scan))
          } else {
            expect(Either.isLeft(result)).toBe(true)
            const rejection = Either.flip(result).pipe(Either.getOrThrow)
            if ("illegal" in outcome) {
              expect(rejection._tag).toBe("IllegalTransition")
              if (rejection._tag !== "IllegalTransition") return
              expect(rejection.status).toBe(before.status)
              expect(rejection.command).toBe(outcome.illegal)
              expect(rejection.message).toBe(`cannot ${outcome.illegal} a scan that is ${before.status}`)
            } else {
              expect(rejection._tag).toBe(outcome.rejected)
            }
          }
        })
      }
    })
  }

  it("creates a scan only once, and only with CreateScan", () => {
    const events = accept(undefined, createCommand({}), T0)
    expect(tags(events)).toEqual(["ScanCreated"])
    const state = replay(events)!
    expect(state.status).toBe("CREATED")
    expect(state.seq).toBe(1)
    expect(state.id).toBe(scanId)
    expect(state.created_at).toBe(T0)
    expect(state.started_at).toBeNull()
    expect(state.progress).toBe(0)
    expect(reject(state, createCommand({}), T0)._tag).toBe("ScanAlreadyExists")
    for (const tag of userCommandTags.filter((t) => t !== "CreateScan")) {
      const rejection = reject(undefined, userCommand(tag), T0)
      expect(rejection._tag).toBe("ScanNotFound")
    }
    for (const command of machineCommands(unknownTask)) {
      expect(reject(undefined, command, T0)._tag).toBe("ScanNotFound")
    }
  })

  it("names the scan it cannot find once deleted", () => {
    const d = scanIn("DELETED")
    const rejection = reject(d.scan, { _tag: "StartScan" }, d.now)
    expect(rejection).toMatchObject({ _tag: "ScanNotFound", scan_id: scanId })
  })

  it("a deleted scan refuses the actor's own commands too", () => {
    const d = scanIn("DELETED")
    const task = d.task("dns", "example.com")
    for (const command of machineCommands(task.task_id)) {
      expect(reject(d.scan, command, d.now)._tag).toBe("ScanNotFound")
    }
  })

  it("update replaces the definition and the plan, and what it changes takes effect", () => {
    const d = new Driver({})
    const { modules } = definitionOf({ plan: [crtsh] })
    d.send({ _tag: "UpdateScan", configuration: { recursion_depth: 0 }, modules, plan: [crtsh] })
    expect(d.scan.definition.configuration.recursion_depth).toBe(0)
    expect(d.scan.plan.map((m) => m.id)).toEqual(["crtsh"])
    const started = d.start()
    expect(plannedIn(started).map((t) => t.module_id)).toEqual(["crtsh"])
  })

  it("an update is a patch: only the fields it names change, settings of configuration one by one", () => {
    const d = new Driver({ config: { max_results: 500, priority: "HIGH" } })
    const before = d.scan.definition
    d.send({ _tag: "UpdateScan", description: "d1" })
    d.send({ _tag: "UpdateScan", configuration: { recursion_depth: 0 } })
    d.send({ _tag: "UpdateScan", name: "renamed" })
    const after = d.scan.definition
    expect(after.description).toBe("d1")
    expect(after.name).toBe("renamed")
    expect(after.configuration.recursion_depth).toBe(0)
    // What no update named is as it was, configuration settings included.
    expect(after.configuration.max_results).toBe(500)
    expect(after.configuration.priority).toBe("HIGH")
    expect(after.target).toEqual(before.target)
    expect(after.modules).toEqual(before.modules)
    expect(d.scan.plan).toEqual(d.log[0]?._tag === "ScanCreated" ? d.log[0].plan : [])
  })

  it("If-Match: an update or delete naming another version of the log is refused, the current one applies", () => {
    const d = new Driver({})
    const version = d.scan.seq
    d.send({ _tag: "UpdateScan", description: "first", expected_seq: version })
    const stale = d.try({ _tag: "UpdateScan", description: "second", expected_seq: version })
    expect(Either.isLeft(stale) && stale.left._tag).toBe("PreconditionFailed")
    expect(d.scan.definition.description).toBe("first")
    const staleDelete = d.try({ _tag: "DeleteScan", expected_seq: version })
    expect(Either.isLeft(staleDelete) && staleDelete.left._tag).toBe("PreconditionFailed")
    expect(d.scan.deleted).toBe(false)
    d.send({ _tag: "DeleteScan", expected_seq: d.scan.seq })
    expect(d.scan.deleted).toBe(true)
  })

  it("the target of a started scan cannot move, nor its dependencies change; its other fields can", () => {
    const d = new Driver({})
    d.start()
    d.send({ _tag: "PauseScan" })
    const moved = d.try({ _tag: "UpdateScan", target: domain("elsewhere.org") })
    expect(Either.isLeft(moved) && moved.left._tag === "InvalidUpdate" && moved.left.field).toBe("target")
    const chained = d.try({ _tag: "UpdateScan", depends_on: null })
    expect(Either.isLeft(chained) && chained.left._tag === "InvalidUpdate" && chained.left.field).toBe("depends_on")
    // The same target, spelled differently, is no move.
    d.send({ _tag: "UpdateScan", target: domain("EXAMPLE.com"), name: "still paused" })
    expect(d.scan.definition.name).toBe("still paused")
  })

  it("start, pause, resume and the end stamp their times", () => {
    const d = new Driver({})
    d.send({ _tag: "StartScan" }, T0 + 1 * SECOND)
    expect(d.scan.started_at).toBe(T0 + SECOND)
    d.send({ _tag: "PauseScan" }, T0 + 2 * SECOND)
    d.send({ _tag: "ResumeScan" }, T0 + 5 * SECOND)
    expect(d.scan.started_at).toBe(T0 + SECOND)
    expect(d.scan.completed_at).toBeNull()
    d.send({ _tag: "StopScan" }, T0 + 7 * SECOND)
    expect(d.scan.completed_at).toBe(T0 + 7 * SECOND)
    expect(d.scan.updated_at).toBe(T0 + 7 * SECOND)
    expect(d.scan.reason).toBe("stopped by user")
    expect(runningTime(d.scan, T0 + 100 * SECOND)).toBe(3 * SECOND)
  })
})

/** The actor's own commands about a task. */
const machineCommands = (taskId: typeof unknownTask): ReadonlyArray<ScanCommand> => [
  { _tag: "Tick" },
  { _tag: "MarkTasksStarted", task_ids: [taskId] },
  { _tag: "TaskSucceeded", task_id: taskId, result_count: 1, entities: [domain("new.example.com")] },
  { _tag: "TaskErrored", task_id: taskId, error: "boom" }
]

describe("terminal states", () => {
  for (const status of ["COMPLETED", "FAILED", "CANCELLED"] as const) {
    it(`${status} absorbs every command but delete`, () => {
      const d = scanIn(status)
      const before = view(d.scan)
      const taskIds = [...tasks(d.scan).map((t) => t.task_id), unknownTask]
      const commands: Array<ScanCommand> = [
        ...userCommandTags.filter((t) => t !== "DeleteScan").map(userCommand),
        ...taskIds.flatMap(machineCommands)
      ]
      for (const command of commands) {
        for (const now of [d.now, d.now + 3600 * SECOND, d.now + 365 * 24 * 3600 * SECOND]) {
          const result = decide(d.scan, command, now)
          if (Either.isRight(result)) expect(result.right).toEqual([])
        }
      }
      expect(view(d.scan)).toEqual(before)
      expect(tags(d.send({ _tag: "DeleteScan" }))).toEqual(["ScanDeleted"])
      expect(d.scan.status).toBe(status)
    })
  }

  it("a task that ends after its scan did changes nothing", () => {
    const d = scanIn("CANCELLED")
    const task = d.task("dns", "example.com")
    expect(task.status).toBe("CANCELLED")
    expect(accept(d.scan, { _tag: "TaskSucceeded", task_id: task.task_id, result_count: 4, entities: [] }, d.now))
      .toEqual([])
    expect(accept(d.scan, { _tag: "TaskErrored", task_id: task.task_id, error: "late" }, d.now)).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------
// Task flow
// ---------------------------------------------------------------------------------------------

describe("planning", () => {
  it("start plans one task per module that takes the target's type", () => {
    const d = new Driver({ plan: [dns, crtsh, whois, mod("holehe", ["EMAIL"], ["USERNAME"])] })
    const events = d.start()
    expect(tags(events)).toEqual(["ScanStarted", "TasksPlanned"])
    const planned = plannedIn(events)
    expect(planned.map((t) => t.module_id)).toEqual(["dns", "crtsh"])
    for (const task of planned) {
      expect(task.depth).toBe(0)
      expect(task.entity).toEqual(domain("example.com"))
      expect(task.task_id).toBe(taskIdFor(scanId, "DOMAIN:example.com", task.module_id))
    }
    expect(d.scan.counts).toEqual({ queued: 2, running: 0, completed: 0, failed: 0, cancelled: 0 })
    expect(queuedTasks(d.scan).map((t) => t.module_id)).toEqual(["dns", "crtsh"])
    expect(HashMap.get(d.scan.seen, "DOMAIN:example.com")).toEqual(Option.some(0))
  })

  it("queuedTasks takes the first tasks in planning order, skipping those already taken, and snapshots keep the queue", () => {
    const wide = mod("wide", ["DOMAIN"], ["DOMAIN"])
    const d = new Driver({ plan: [wide], config: { recursion_depth: 1 } })
    d.start()
    const subdomains = Array.from({ length: 40 }, (_, i) => domain(`s${i}.example.com`))
    d.run(d.task("wide", "example.com"), subdomains)
    expect(queuedTasks(d.scan, 3).map((t) => t.entity.value)).toEqual([
      "s0.example.com",
      "s1.example.com",
      "s2.example.com"
    ])
    expect(queuedTasks(d.scan, 0)).toEqual([])
    expect(queuedTasks(d.scan).length).toBe(40)
    // Tasks taken out of order leave the queue wherever they were.
    d.begin(d.task("wide", "s1.example.com"))
    d.run(d.task("wide", "s0.example.com"))
    d.begin(d.task("wide", "s3.example.com"))
    d.fail(d.task("wide", "s3.example.com"))
    expect(queuedTasks(d.scan, 3).map((t) => t.entity.value)).toEqual([
      "s2.example.com",
      "s4.example.com",
      "s5.example.com"
    ])
    const restored = snapshotRoundTrip(d.scan)
    expect(Array.from(restored.queue)).toEqual(Array.from(d.scan.queue))
    expect(queuedTasks(restored, 2)).toEqual(queuedTasks(d.scan, 2))
    // A terminal scan has nothing left to dispatch.
    d.send({ _tag: "StopScan" })
    expect(queuedTasks(d.scan)).toEqual([])
    expect(SortedMap.size(d.scan.queue)).toBe(0)
  })

  it("dueTasks fills a running scan's concurrency, and starts nothing unless it runs", () => {
    const wide = mod("wide", ["DOMAIN"], ["DOMAIN"])
    const d = new Driver({ plan: [wide], config: { recursion_depth: 1 } })
    expect(dueTasks(d.scan, 4)).toEqual([])
    d.start()
    d.run(d.task("wide", "example.com"), Array.from({ length: 10 }, (_, i) => domain(`s${i}.example.com`)))
    expect(dueTasks(d.scan, 4)).toEqual(queuedTasks(d.scan, 4))
    d.begin(d.task("wide", "s0.example.com"))
    d.begin(d.task("wide", "s1.example.com"))
    expect(dueTasks(d.scan, 4).map((t) => t.entity.value)).toEqual(["s2.example.com", "s3.example.com"])
    // More running than the concurrency allows (it was lowered): nothing more starts.
    expect(dueTasks(d.scan, 1)).toEqual([])
    d.send({ _tag: "PauseScan" })
    expect(dueTasks(d.scan, 4)).toEqual([])
  })

  it("hasEnded: a scan ends when it reaches a terminal status, and again when it is deleted", () => {
    const d = new Driver({})
    const created = d.scan
    d.start()
    const started = d.scan
    expect(hasEnded(created, started)).toBe(false)
    d.send({ _tag: "StopScan" })
    const stopped = d.scan
    expect(hasEnded(started, stopped)).toBe(true)
    d.send({ _tag: "DeleteScan" })
    expect(hasEnded(stopped, d.scan)).toBe(true)
    expect(hasEnded(d.scan, d.scan)).toBe(false)
    const never = new Driver({})
    const before = never.scan
    never.send({ _tag: "DeleteScan" })
    expect(hasEnded(before, never.scan)).toBe(true)
  })

  it("planTasks is deterministic: the same entity gives the same task ids", () => {
    const a = planTasks(scanId, [dns, crtsh], domain("example.com"), 1)
    const b = planTasks(scanId, [dns, crtsh], domain("EXAMPLE.com."), 1)
    expect(b).toEqual(a)
    expect(new Set(a.map((t) => t.task_id)).size).toBe(2)
  })

  it("a target no module takes completes at once, quiescent", () => {
    const d = new Driver({ target: entity("EMAIL", "someone@example.com") })
    const events = d.start()
    expect(tags(events)).toEqual(["ScanStarted", "ScanCompleted"])
    expect(d.scan.status).toBe("COMPLETED")
    expect(d.scan.reason).toBe("quiescent")
    expect(d.scan.progress).toBe(1)
  })

  it("MarkTasksStarted moves a queued task to running, once", () => {
    const d = new Driver({})
    d.start()
    const task = d.task("dns", "example.com")
    expect(tags(d.begin(task))).toEqual(["TasksStarted"])
    expect(d.task("dns", "example.com").status).toBe("RUNNING")
    expect(runningTasks(d.scan).map((t) => t.module_id)).toEqual(["dns"])
    expect(d.scan.counts).toMatchObject({ queued: 1, running: 1 })
    expect(d.begin(task)).toEqual([])
    expect(reject(d.scan, { _tag: "MarkTasksStarted", task_ids: [unknownTask] }, d.now)).toMatchObject({
      _tag: "UnknownTask",
      task_id: unknownTask
    })
  })

  it("a batch's starts are one event of its queued tasks; a start as older logs hold it replays the same", () => {
    const d = new Driver({})
    d.start()
    const dns = d.task("dns", "example.com")
    const ct = d.task("crtsh", "example.com")
    d.begin(dns)
    // The running one and a repeat are left out.
    const events = d.send({ _tag: "MarkTasksStarted", task_ids: [dns.task_id, ct.task_id, ct.task_id] })
    expect(events).toEqual([{ _tag: "TasksStarted", at: d.now, task_ids: [ct.task_id] }])
    expect(d.scan.counts).toMatchObject({ running: 2 })
    const before = new Driver({})
    before.start()
    const [queued] = [before.task("dns", "example.com")]
    const legacy = evolve(before.scan, { _tag: "TaskStarted", at: before.now, task_id: queued.task_id })
    const batched = evolve(before.scan, { _tag: "TasksStarted", at: before.now, task_ids: [queued.task_id] })
    expect(legacy).toEqual(batched)
    expect(HashMap.unsafeGet(legacy.tasks, queued.task_id).status).toBe("RUNNING")
  })

  it("commands about an unknown task are refused", () => {
    const d = new Driver({})
    d.start()
    for (const command of machineCommands(unknownTask).filter((c) => c._tag !== "Tick")) {
      expect(reject(d.scan, command, d.now)._tag).toBe("UnknownTask")
    }
  })

  it("a task that succeeds before it was marked started is ignored", () => {
    const d = new Driver({})
    d.start()
    const task = d.task("dns", "example.com")
    expect(d.succeed(task, [domain("www.example.com")])).toEqual([])
    expect(d.fail(task)).toEqual([])
    expect(d.task("dns", "example.com").status).toBe("QUEUED")
  })

  it("new entities are planned one hop deeper", () => {
    const d = new Driver({ config: { recursion_depth: 2 } })
    d.start()
    const events = d.run(d.task("dns", "example.com"), [entity("IP", "192.0.2.1"), domain("www.example.com")])
    expect(tags(events)).toEqual(["TaskCompleted", "TasksPlanned"])
    const planned = plannedIn(events)
    expect(planned.map((t) => [t.module_id, t.entity.value, t.depth])).toEqual([
      ["whois_ip", "192.0.2.1", 1],
      ["dns", "www.example.com", 1],
      ["crtsh", "www.example.com", 1]
    ])
    const whoisTask = d.task("whois_ip", "192.0.2.1")
    const deeper = d.run(whoisTask, [entity("ASN", "AS64500"), entity("NETBLOCK", "192.0.2.0/24")])
    // no module takes ASN or NETBLOCK: they are results, not work
    expect(tags(deeper)).toEqual(["TaskCompleted"])
    expect(HashMap.get(d.scan.seen, "ASN:AS64500")).toEqual(Option.some(2))
    const www = d.run(d.task("crtsh", "www.example.com"), [domain("deep.www.example.com")])
    expect(plannedIn(www).map((t) => [t.module_id, t.depth])).toEqual([["dns", 2], ["crtsh", 2]])
  })

  for (const depth of [0, 1, 2, 3]) {
    it(`recursion_depth ${depth}: tasks run on entities up to ${depth} hops from the target, no further`, () => {
      const d = new Driver({ plan: [crtsh], config: { recursion_depth: depth, max_results: 1000 } })
      d.start()
      // crtsh on a name at hop h finds "h<h+1>.<name>": a chain of subdomains
      let name = "example.com"
      for (let hop = 0; hop <= depth; hop++) {
        const task = d.task("crtsh", name)
        expect(task.depth).toBe(hop)
        name = `h${hop + 1}.${name}`
        const events = d.run(task, [domain(name)])
        expect(plannedIn(events).length).toBe(hop < depth ? 1 : 0)
      }
      expect(d.scan.status).toBe("COMPLETED")
      expect(tasks(d.scan).map((t) => t.depth)).toEqual(Array.from({ length: depth + 1 }, (_, i) => i))
      expect(HashMap.get(d.scan.seen, `DOMAIN:${name}`)).toEqual(Option.some(depth + 1))
      expect(d.scan.result_count).toBe(depth + 1)
    })
  }

  it("an entity already seen is never planned twice", () => {
    const d = new Driver({ config: { recursion_depth: 3 } })
    d.start()
    const first = d.run(d.task("dns", "example.com"), [domain("www.example.com")])
    expect(plannedIn(first).length).toBe(2)
    // found again by another task, at the same depth
    const again = d.run(d.task("crtsh", "example.com"), [domain("www.example.com"), domain("example.com")])
    expect(tags(again)).toEqual(["TaskCompleted"])
    expect(again[0]).toMatchObject({ discovered: [] })
    // found again deeper
    const deeper = d.run(d.task("crtsh", "www.example.com"), [domain("www.example.com"), domain("example.com")])
    expect(plannedIn(deeper)).toEqual([])
    expect(tasks(d.scan).length).toBe(4)
  })

  it("certificates from CT, a certificate index and a TLS handshake: one analysis per distinct fingerprint", () => {
    const certspotter = mod("certspotter", ["DOMAIN"], ["DOMAIN", "CERTIFICATE"])
    const censys = mod("censys", ["DOMAIN"], ["DOMAIN", "CERTIFICATE"])
    const tls = mod("tls_certificate", ["DOMAIN"], ["CERTIFICATE", "DOMAIN", "EMAIL"])
    const analysis = mod("certificate_analysis", ["CERTIFICATE"], ["CERTIFICATE", "DOMAIN", "ORGANIZATION"])
    const d = new Driver({ plan: [certspotter, censys, tls, analysis], config: { recursion_depth: 2 } })
    d.start()
    const a = "ab".repeat(32)
    const b = "cd".repeat(32)
    const found = [entity("CERTIFICATE", a), entity("CERTIFICATE", b), domain("example.com")]
    d.run(d.task("certspotter", "example.com"), found)
    // The same certificates again, one written as a TLS stack shows it (upper case, colons).
    d.run(d.task("censys", "example.com"), [entity("CERTIFICATE", b), entity("CERTIFICATE", a)])
    d.run(d.task("tls_certificate", "example.com"), [entity("CERTIFICATE", "AB:".repeat(31) + "AB")])
    const analyses = tasks(d.scan).filter((t) => t.module_id === "certificate_analysis")
    expect(analyses.map((t) => [t.entity.value, t.depth]).sort()).toEqual([[a, 1], [b, 1]])
    // What an analysis finds of its certificate again is no new work.
    expect(plannedIn(d.run(analyses[0]!, [entity("CERTIFICATE", analyses[0]!.entity.value)]))).toEqual([])
  })

  it("duplicates within one batch are planned once", () => {
    const d = new Driver({})
    d.start()
    const events = d.run(d.task("crtsh", "example.com"), [
      domain("a.example.com"),
      domain("a.example.com"),
      domain("b.example.com"),
      domain("a.example.com")
    ])
    const completed = events[0]!
    expect(completed._tag === "TaskCompleted" && completed.discovered.map((e) => e.value)).toEqual([
      "a.example.com",
      "b.example.com"
    ])
    expect(plannedIn(events).map((t) => `${t.module_id}(${t.entity.value})`)).toEqual([
      "dns(a.example.com)",
      "crtsh(a.example.com)",
      "dns(b.example.com)",
      "crtsh(b.example.com)"
    ])
  })

  it("values equal once canonical are one entity: within a batch, across batches and with the target", () => {
    const d = new Driver({ target: domain("WWW.Example.COM.") })
    const started = d.start()
    expect(plannedIn(started).map((t) => t.entity.value)).toEqual(["www.example.com", "www.example.com"])
    expect(HashMap.has(d.scan.seen, "DOMAIN:www.example.com")).toBe(true)
    const events = d.run(d.task("crtsh", "www.example.com"), [
      domain("www.example.com"),
      domain("Mail.Example.com"),
      domain("mail.example.com."),
      domain("MAIL.EXAMPLE.COM")
    ])
    expect(plannedIn(events).map((t) => `${t.module_id}(${t.entity.value})`)).toEqual([
      "dns(mail.example.com)",
      "crtsh(mail.example.com)"
    ])
    const later = d.run(d.task("dns", "www.example.com"), [
      entity("IP", "2001:DB8:0:0:0:0:0:1"),
      entity("IP", "2001:db8::1"),
      domain("mail.EXAMPLE.com")
    ])
    expect(plannedIn(later).map((t) => `${t.module_id}(${t.entity.value})`)).toEqual(["whois_ip(2001:db8::1)"])
  })

  it("the same value as two types is two entities", () => {
    const plan = [mod("sherlock", ["USERNAME"], ["URL"]), mod("namecheck", ["DOMAIN", "USERNAME"], ["USERNAME"])]
    const d = new Driver({ plan, target: entity("USERNAME", "example.com") })
    d.start()
    const events = d.run(d.task("namecheck", "example.com"), [domain("example.com"), entity("USERNAME", "example.com")])
    expect(plannedIn(events).map((t) => `${t.module_id}(${t.entity.type}:${t.entity.value})`)).toEqual([
      "namecheck(DOMAIN:example.com)"
    ])
  })

  it("an entity first found beyond the recursion depth is processed when found again within it", () => {
    // dns on the target is slow; meanwhile crtsh's subdomain leads to other.example.com at hop 2
    const plan = [mod("dns", ["DOMAIN"], ["DOMAIN"]), crtsh]
    const d = new Driver({ plan, config: { recursion_depth: 1 } })
    d.start()
    const slow = d.task("dns", "example.com")
    d.begin(slow)
    d.run(d.task("crtsh", "example.com"), [domain("sub.example.com")])
    const beyond = d.run(d.task("crtsh", "sub.example.com"), [domain("other.example.com")])
    expect(plannedIn(beyond)).toEqual([])
    expect(HashMap.get(d.scan.seen, "DOMAIN:other.example.com")).toEqual(Option.some(2))
    // one hop from the target, other.example.com is within the recursion depth after all
    const within = d.succeed(d.task("dns", "example.com"), [domain("other.example.com")])
    expect(plannedIn(within).map((t) => [t.module_id, t.entity.value, t.depth])).toEqual([
      ["dns", "other.example.com", 1],
      ["crtsh", "other.example.com", 1]
    ])
    expect(HashMap.get(d.scan.seen, "DOMAIN:other.example.com")).toEqual(Option.some(1))
    expect(view(replay(d.log)!)).toEqual(view(d.scan))
  })
})

describe("completion", () => {
  it("completes at quiescence, with partial failures", () => {
    const d = new Driver({})
    d.start()
    const dnsTask = d.task("dns", "example.com")
    d.begin(dnsTask)
    d.fail(dnsTask, "SERVFAIL")
    expect(d.task("dns", "example.com")).toMatchObject({ status: "FAILED", error: "SERVFAIL" })
    expect(d.scan.status).toBe("RUNNING")
    const events = d.run(d.task("crtsh", "example.com"), [], 0)
    expect(tags(events)).toEqual(["TaskCompleted", "ScanCompleted"])
    expect(events[1]).toMatchObject({ reason: "quiescent" })
    expect(d.scan).toMatchObject({ status: "COMPLETED", reason: "quiescent", progress: 1, completed_at: d.now })
    expect(d.scan.counts).toEqual({ queued: 0, running: 0, completed: 1, failed: 1, cancelled: 0 })
  })

  it("fails when every task failed", () => {
    const d = new Driver({})
    d.start()
    for (const task of tasks(d.scan)) d.begin(task)
    d.fail(d.task("dns", "example.com"))
    const events = d.fail(d.task("crtsh", "example.com"))
    expect(tags(events)).toEqual(["TaskFailed", "ScanFailed"])
    expect(d.scan).toMatchObject({ status: "FAILED", reason: "every task failed" })
    expect(d.scan.progress).toBeLessThan(1)
  })

  it("stops at max_results exactly, capping the result count and cancelling what is left", () => {
    const d = new Driver({ config: { max_results: 5 } })
    d.start()
    d.run(d.task("dns", "example.com"), [domain("a.example.com"), domain("b.example.com")], 3)
    expect(d.scan.status).toBe("RUNNING")
    expect(d.scan.result_count).toBe(3)
    const task = d.task("crtsh", "example.com")
    d.begin(task)
    d.begin(d.task("dns", "a.example.com"))
    const events = d.succeed(task, [domain("c.example.com")], 4)
    expect(tags(events)).toEqual(["TaskCompleted", "TasksPlanned", "ScanCompleted"])
    expect(events[0]).toMatchObject({ result_count: 2 })
    expect(events[2]).toMatchObject({ reason: "max_results" })
    expect(d.scan).toMatchObject({ status: "COMPLETED", reason: "max_results", result_count: 5, progress: 1 })
    expect(d.scan.counts.queued + d.scan.counts.running).toBe(0)
    expect(tasks(d.scan).filter((t) => t.status === "CANCELLED").map((t) => `${t.module_id}(${t.entity.value})`))
      .toEqual([
        "dns(a.example.com)",
        "crtsh(a.example.com)",
        "dns(b.example.com)",
        "crtsh(b.example.com)",
        "dns(c.example.com)",
        "crtsh(c.example.com)"
      ])
    expect(d.task("dns", "a.example.com").status).toBe("CANCELLED")
  })

  it("reaching max_results in one task completes the scan", () => {
    const d = new Driver({ config: { max_results: 3 } })
    d.start()
    const events = d.run(d.task("dns", "example.com"), [], 3)
    expect(tags(events)).toEqual(["TaskCompleted", "ScanCompleted"])
    expect(d.scan.result_count).toBe(3)
    expect(d.scan.reason).toBe("max_results")
  })

  it("a task reporting a negative result count adds nothing", () => {
    const d = new Driver({})
    d.start()
    const events = d.run(d.task("dns", "example.com"), [], -5)
    expect(events[0]).toMatchObject({ result_count: 0 })
    expect(d.scan.result_count).toBe(0)
  })

  it("a redelivered TaskSucceeded is a no-op", () => {
    const d = new Driver({})
    d.start()
    const task = d.task("dns", "example.com")
    d.begin(task)
    const command: ScanCommand = {
      _tag: "TaskSucceeded",
      task_id: task.task_id,
      result_count: 2,
      entities: [domain("www.example.com")]
    }
    expect(tags(d.send(command))).toEqual(["TaskCompleted", "TasksPlanned"])
    const before = view(d.scan)
    expect(d.send(command)).toEqual([])
    expect(d.send({ _tag: "TaskErrored", task_id: task.task_id, error: "late timeout" })).toEqual([])
    expect(d.send({ _tag: "MarkTasksStarted", task_ids: [task.task_id] })).toEqual([])
    expect(view(d.scan)).toEqual(before)
    expect(d.scan.result_count).toBe(2)
  })

  it("a redelivered TaskErrored is a no-op", () => {
    const d = new Driver({})
    d.start()
    const task = d.task("dns", "example.com")
    d.begin(task)
    expect(tags(d.fail(task))).toEqual(["TaskFailed"])
    const before = view(d.scan)
    expect(d.fail(task)).toEqual([])
    expect(d.succeed(task, [domain("x.example.com")])).toEqual([])
    expect(view(d.scan)).toEqual(before)
  })

  for (
    const [name, command] of [
      ["stopped", { _tag: "StopScan" }],
      ["failed", { _tag: "FailScan", reason: "quota" }],
      ["deleted", { _tag: "DeleteScan" }]
    ] as const
  ) {
    it(`every queued and running task is cancelled when the scan is ${name}`, () => {
      const d = new Driver({})
      d.start()
      d.run(d.task("dns", "example.com"), [domain("www.example.com")])
      d.begin(d.task("crtsh", "example.com"))
      expect(d.scan.counts).toEqual({ queued: 2, running: 1, completed: 1, failed: 0, cancelled: 0 })
      d.send(command)
      expect(d.scan.counts).toEqual({ queued: 0, running: 0, completed: 1, failed: 0, cancelled: 3 })
      expect(tasks(d.scan).map((t) => t.status)).toEqual(["COMPLETED", "CANCELLED", "CANCELLED", "CANCELLED"])
      expect(queuedTasks(d.scan)).toEqual([])
      expect(runningTasks(d.scan)).toEqual([])
      expect(d.scan.running_since).toBeNull()
    })
  }
})

describe("max_duration", () => {
  it("counts running time only: pause, then resume", () => {
    const d = new Driver({ config: { max_duration: 10 } })
    d.send({ _tag: "StartScan" }, T0)
    expect(deadline(d.scan)).toBe(T0 + 10 * SECOND)
    expect(runningTime(d.scan, T0 + 4 * SECOND)).toBe(4 * SECOND)
    expect(d.send({ _tag: "Tick" }, T0 + 9 * SECOND)).toEqual([])
    d.send({ _tag: "PauseScan" }, T0 + 9 * SECOND)
    expect(deadline(d.scan)).toBeNull()
    expect(runningTime(d.scan, T0 + 1000 * SECOND)).toBe(9 * SECOND)
    // paused far beyond the deadline: nothing happens
    expect(d.send({ _tag: "Tick" }, T0 + 500 * SECOND)).toEqual([])
    expect(d.scan.status).toBe("PAUSED")
    d.send({ _tag: "ResumeScan" }, T0 + 1000 * SECOND)
    expect(d.scan.status).toBe("RUNNING")
    expect(deadline(d.scan)).toBe(T0 + 1001 * SECOND)
    expect(runningTime(d.scan, T0 + 1000 * SECOND + 500)).toBe(9 * SECOND + 500)
    expect(d.send({ _tag: "Tick" }, T0 + 1001 * SECOND - 1)).toEqual([])
    const events = d.send({ _tag: "Tick" }, T0 + 1001 * SECOND)
    expect(events).toEqual([{ _tag: "ScanCompleted", at: T0 + 1001 * SECOND, reason: "max_duration" }])
    expect(d.scan).toMatchObject({ status: "COMPLETED", reason: "max_duration", running_ms: 10 * SECOND })
    expect(d.scan.counts.queued + d.scan.counts.running).toBe(0)
    expect(deadline(d.scan)).toBeNull()
    expect(d.send({ _tag: "Tick" }, T0 + 2000 * SECOND)).toEqual([])
  })

  it("a late tick still ends the scan, and a tick before the start does nothing", () => {
    const d = new Driver({ config: { max_duration: 1 } })
    expect(d.send({ _tag: "Tick" }, T0 + 99 * SECOND)).toEqual([])
    expect(d.scan.status).toBe("CREATED")
    d.send({ _tag: "StartScan" }, T0 + 100 * SECOND)
    expect(tags(d.send({ _tag: "Tick" }, T0 + 500 * SECOND))).toEqual(["ScanCompleted"])
  })

  it("running time survives several pauses", () => {
    const d = new Driver({ config: { max_duration: 60 } })
    d.send({ _tag: "StartScan" }, T0)
    let now = T0
    for (let i = 0; i < 5; i++) {
      now += 10 * SECOND
      d.send({ _tag: "PauseScan" }, now)
      now += 1000 * SECOND
      d.send({ _tag: "ResumeScan" }, now)
    }
    expect(d.scan.running_ms).toBe(50 * SECOND)
    expect(deadline(d.scan)).toBe(now + 10 * SECOND)
    expect(d.send({ _tag: "Tick" }, now + 10 * SECOND - 1)).toEqual([])
    expect(tags(d.send({ _tag: "Tick" }, now + 10 * SECOND))).toEqual(["ScanCompleted"])
  })
})

describe("pause", () => {
  it("lets in-flight tasks finish but completes only when resumed", () => {
    const d = new Driver({})
    d.start()
    const [first, second] = tasks(d.scan)
    d.begin(first!)
    d.begin(second!)
    d.send({ _tag: "PauseScan" })
    const found = d.succeed(first!, [domain("www.example.com")])
    expect(tags(found)).toEqual(["TaskCompleted", "TasksPlanned"])
    // no dispatch while paused
    for (const task of queuedTasks(d.scan)) expect(d.begin(task)).toEqual([])
    expect(d.scan.counts).toMatchObject({ queued: 2, running: 1 })
    d.succeed(second!)
    expect(d.scan.status).toBe("PAUSED")
    d.send({ _tag: "ResumeScan" })
    for (const task of queuedTasks(d.scan)) d.run(task)
    expect(d.scan.status).toBe("COMPLETED")
  })

  it("a paused scan whose tasks have all finished completes on resume", () => {
    const d = new Driver({})
    d.start()
    for (const task of tasks(d.scan)) d.begin(task)
    d.send({ _tag: "PauseScan" })
    for (const task of tasks(d.scan)) d.succeed(task)
    expect(d.scan.status).toBe("PAUSED")
    expect(d.scan.progress).toBeLessThan(1)
    const events = d.send({ _tag: "ResumeScan" })
    expect(tags(events)).toEqual(["ScanResumed", "ScanCompleted"])
    expect(d.scan.reason).toBe("quiescent")
  })

  it("a paused scan whose tasks have all failed fails on resume", () => {
    const d = new Driver({})
    d.start()
    for (const task of tasks(d.scan)) d.begin(task)
    d.send({ _tag: "PauseScan" })
    for (const task of tasks(d.scan)) d.fail(task)
    expect(d.scan.status).toBe("PAUSED")
    expect(tags(d.send({ _tag: "ResumeScan" }))).toEqual(["ScanResumed", "ScanFailed"])
  })

  it("max_results reached by a task finishing while paused ends the scan: no work is left to resume", () => {
    const d = new Driver({ config: { max_results: 2 } })
    d.start()
    const task = d.task("dns", "example.com")
    d.begin(task)
    d.send({ _tag: "PauseScan" })
    const events = d.succeed(task, [], 7)
    expect(tags(events)).toEqual(["TaskCompleted", "ScanCompleted"])
    expect(d.scan).toMatchObject({ status: "COMPLETED", reason: "max_results", result_count: 2 })
  })

  it("an update while paused can raise the limits of the rest of the scan", () => {
    const d = new Driver({ plan: [crtsh], config: { recursion_depth: 0 } })
    d.start()
    const task = d.task("crtsh", "example.com")
    d.begin(task)
    d.send({ _tag: "PauseScan" })
    d.send({
      _tag: "UpdateScan",
      modules: definitionOf({ plan: [crtsh] }).modules,
      configuration: { recursion_depth: 1 },
      plan: [crtsh]
    })
    expect(plannedIn(d.succeed(task, [domain("www.example.com")])).length).toBe(1)
  })
})

describe("progress", () => {
  it("never decreases while work is added, and is 1 only when COMPLETED", () => {
    const d = new Driver({ config: { recursion_depth: 3 } })
    d.start()
    const seen: Array<number> = [d.scan.progress]
    let n = 0
    while (d.scan.status === "RUNNING") {
      const next = queuedTasks(d.scan)[0]!
      n++
      d.run(next, n < 6 ? [domain(`n${n}.example.com`), domain(`m${n}.example.com`)] : [])
      const after: ScanState = d.scan
      seen.push(after.progress)
      if (after.status !== "COMPLETED") expect(after.progress).toBeLessThan(1)
    }
    expect(seen).toEqual([...seen].sort((a, b) => a - b))
    expect(d.scan.status).toBe("COMPLETED")
    expect(d.scan.progress).toBe(1)
    expect(seen.filter((p) => p === 1).length).toBe(1)
  })

  it("a cancelled or failed scan keeps the progress it had", () => {
    for (const command of [{ _tag: "StopScan" }, { _tag: "FailScan", reason: "x" }] as const) {
      const d = new Driver({})
      d.start()
      d.run(d.task("dns", "example.com"))
      const progress = d.scan.progress
      expect(progress).toBe(0.5)
      d.send(command)
      expect(d.scan.progress).toBe(progress)
    }
  })
})

describe("views", () => {
  it("toScan shows the wire Scan of a state", () => {
    const d = new Driver({ config: { max_results: 50 } })
    d.send({ _tag: "StartScan" }, T0 + SECOND)
    d.run(d.task("dns", "example.com"), [], 3)
    const scan = toScan(d.scan)
    expect(scan).toMatchObject({
      id: scanId,
      name: "test scan",
      status: "RUNNING",
      progress: 0.5,
      result_count: 3,
      status_reason: null,
      template_id: null,
      completed_at: null
    })
    expect(scan.started_at?.epochMillis).toBe(T0 + SECOND)
    expect(scan.created_at.epochMillis).toBe(T0)
    expect(scan.configuration.max_results).toBe(50)
  })

  it("outputTypes lists what the plan can produce", () => {
    const d = new Driver({})
    expect(Array.from(outputTypes(d.scan)).sort()).toEqual(["ASN", "DOMAIN", "IP", "NETBLOCK"])
  })

  it("replay starts from the creation event or a snapshot, and a second creation changes nothing", () => {
    expect(replay([])).toBeUndefined()
    expect(replay([{ _tag: "ScanStarted", at: T0 }])).toBeUndefined()
    const d = new Driver({})
    d.start()
    const created = d.log[0]!
    if (created._tag !== "ScanCreated") throw new Error("log starts with ScanCreated")
    expect(view(initial(created))).toEqual(view(replay([created])!))
    expect(evolve(d.scan, created)).toBe(d.scan)
    const snapshot = fromSnapshot(toSnapshot(replay(d.log.slice(0, 1))!))
    expect(view(replay(d.log.slice(1), snapshot)!)).toEqual(view(d.scan))
  })
})

// ---------------------------------------------------------------------------------------------
// Events on the wire
// ---------------------------------------------------------------------------------------------

export const roundTrip = (event: ScanEvent): ScanEvent =>
  Schema.decodeUnknownSync(ScanEvent)(JSON.parse(JSON.stringify(Schema.encodeSync(ScanEvent)(event))))

export const snapshotRoundTrip = (state: ScanState): ScanState =>
  fromSnapshot(
    Schema.decodeUnknownSync(ScanSnapshot)(
      JSON.parse(JSON.stringify(Schema.encodeSync(ScanSnapshot)(toSnapshot(state))))
    )
  )

describe("the log and snapshots on the wire", () => {
  it("every event of a scan survives JSON", () => {
    const d = new Driver({})
    d.start()
    d.run(d.task("dns", "example.com"), [entity("IP", "192.0.2.1")], 1)
    d.begin(d.task("crtsh", "example.com"))
    d.fail(d.task("crtsh", "example.com"))
    d.send({ _tag: "PauseScan" })
    d.send({ _tag: "ResumeScan" })
    d.send({ _tag: "DeleteScan" })
    expect(new Set(tags(d.log))).toEqual(
      new Set([
        "ScanCreated",
        "ScanStarted",
        "TasksPlanned",
        "TasksStarted",
        "TaskCompleted",
        "TaskFailed",
        "ScanPaused",
        "ScanResumed",
        "ScanCancelled",
        "ScanDeleted"
      ])
    )
    for (const event of d.log) expect(roundTrip(event)).toEqual(event)
    expect(view(replay(d.log.map(roundTrip))!)).toEqual(view(d.scan))
  })

  it("a snapshot survives JSON", () => {
    const d = new Driver({})
    d.start()
    d.run(d.task("dns", "example.com"), [entity("IP", "192.0.2.1"), domain("www.example.com")], 2)
    d.begin(d.task("whois_ip", "192.0.2.1"))
    const restored = snapshotRoundTrip(d.scan)
    expect(view(restored)).toEqual(view(d.scan))
    // and the machine carries on from it as from the original
    const task = d.task("whois_ip", "192.0.2.1")
    const command: ScanCommand = { _tag: "TaskSucceeded", task_id: task.task_id, result_count: 1, entities: [] }
    expect(decide(restored, command, d.now + 1)).toEqual(decide(d.scan, command, d.now + 1))
  })

  it("entity keys are type:value", () => {
    expect(entityKey(domain("example.com"))).toBe("DOMAIN:example.com")
  })

  it("a status is terminal exactly when it is COMPLETED, FAILED or CANCELLED", () => {
    expect(ScanStatus.literals.filter(isTerminal)).toEqual(["COMPLETED", "FAILED", "CANCELLED"])
  })
})

// ---------------------------------------------------------------------------------------------
// Properties: random command sequences against a random plan
// ---------------------------------------------------------------------------------------------

const propertyTypes = ["DOMAIN", "IP", "EMAIL", "ASN", "USERNAME"] as const

/** A few values of each type, some of them the same entity written differently. */
const pool: Record<(typeof propertyTypes)[number], ReadonlyArray<string>> = {
  DOMAIN: ["example.com", "www.example.com", "WWW.Example.COM.", "mail.example.com", "api.example.org", "Example.ORG"],
  IP: ["192.0.2.1", "2001:DB8::1", "2001:db8:0:0:0:0:0:1", "198.51.100.7", "::ffff:198.51.100.7"],
  EMAIL: ["admin@example.com", "admin@EXAMPLE.com", "Admin@example.com"],
  ASN: ["AS15169", "as15169", "13335"],
  USERNAME: ["alice", "Alice", "example.com"]
}
const poolEntities = propertyTypes.flatMap((type) => pool[type].map((value) => entity(type, value)))

const arbPlan = FastCheck.uniqueArray(
  FastCheck.record({
    id: FastCheck.constantFrom("m_a", "m_b", "m_c", "m_d", "m_e"),
    input_types: FastCheck.subarray([...propertyTypes], { minLength: 1 }),
    output_types: FastCheck.subarray([...propertyTypes])
  }),
  { selector: (m) => m.id, maxLength: 5 }
).map((modules) => modules.map((m) => mod(m.id, m.input_types, m.output_types)))

const arbConfig = FastCheck.record({
  max_results: FastCheck.integer({ min: 1, max: 25 }),
  recursion_depth: FastCheck.integer({ min: 0, max: 3 }),
  max_duration: FastCheck.integer({ min: 1, max: 60 })
})

type Intent =
  | { readonly kind: "user"; readonly tag: "StartScan" | "PauseScan" | "ResumeScan" | "StopScan" | "FailScan" }
  | { readonly kind: "delete" }
  | { readonly kind: "tick" }
  | { readonly kind: "begin"; readonly pick: Pick }
  | { readonly kind: "succeed"; readonly pick: Pick; readonly results: number; readonly found: Array<number> }
  | { readonly kind: "error"; readonly pick: Pick }
  | { readonly kind: "unknown" }

/** Which task a command is about: usually one it makes sense for, sometimes any (a redelivery, a late report). */
interface Pick {
  readonly any: boolean
  readonly n: number
}

const arbPick: FastCheck.Arbitrary<Pick> = FastCheck.record({
  any: FastCheck.boolean().chain((b) => (b ? FastCheck.boolean() : FastCheck.constant(false))),
  n: FastCheck.nat()
})

const user = (tag: "StartScan" | "PauseScan" | "ResumeScan" | "StopScan" | "FailScan", weight: number) => ({
  weight,
  arbitrary: FastCheck.constant({ kind: "user" as const, tag })
})

const arbIntent: FastCheck.Arbitrary<{ readonly intent: Intent; readonly advance: number }> = FastCheck.record({
  intent: FastCheck.oneof(
    user("StartScan", 2),
    user("PauseScan", 5),
    user("ResumeScan", 6),
    user("StopScan", 1),
    user("FailScan", 1),
    { weight: 1, arbitrary: FastCheck.constant({ kind: "delete" as const }) },
    { weight: 6, arbitrary: FastCheck.constant({ kind: "tick" as const }) },
    { weight: 30, arbitrary: FastCheck.record({ kind: FastCheck.constant("begin" as const), pick: arbPick }) },
    {
      weight: 40,
      arbitrary: FastCheck.record({
        kind: FastCheck.constant("succeed" as const),
        pick: arbPick,
        results: FastCheck.integer({ min: 0, max: 4 }),
        found: FastCheck.array(FastCheck.nat({ max: poolEntities.length - 1 }), { maxLength: 5 })
      })
    },
    { weight: 8, arbitrary: FastCheck.record({ kind: FastCheck.constant("error" as const), pick: arbPick }) },
    { weight: 2, arbitrary: FastCheck.constant({ kind: "unknown" as const }) }
  ),
  advance: FastCheck.integer({ min: 0, max: 8 * SECOND })
})

/** A plan and a target, mostly one the plan has work for. */
const arbPlanAndTarget = arbPlan.chain((plan) => {
  const taken = poolEntities.filter((e) => plan.some((m) => m.input_types.includes(e.type)))
  const anyTarget = FastCheck.constantFrom(...poolEntities, entity("IP", "2001:db8:0::1"), entity("EMAIL", "a@b.io"))
  return FastCheck.record({
    plan: FastCheck.constant(plan),
    target: taken.length === 0
      ? anyTarget
      : FastCheck.oneof({ weight: 4, arbitrary: FastCheck.constantFrom(...taken) }, anyTarget)
  })
})

const arbScenario = FastCheck.record({
  planAndTarget: arbPlanAndTarget,
  config: arbConfig,
  startFirst: FastCheck.oneof({ weight: 9, arbitrary: FastCheck.constant(true) }, FastCheck.constant(false)),
  intents: FastCheck.array(arbIntent, { maxLength: 120 })
}).map(({ config, intents, planAndTarget, startFirst }) => ({
  ...planAndTarget,
  config,
  intents: startFirst ? [{ intent: { kind: "user", tag: "StartScan" } as Intent, advance: 0 }, ...intents] : intents
}))

/** The command an intent stands for in a state: task picks wrap around the candidates in planning order. */
const commandFor = (state: ScanState, intent: Intent): ScanCommand => {
  const all = tasks(state)
  const pick = ({ any, n }: Pick, status: "QUEUED" | "RUNNING") => {
    const live = all.filter((t) => t.status === status)
    const from = any || live.length === 0 ? all : live
    return from.length === 0 ? unknownTask : from[n % from.length]!.task_id
  }
  switch (intent.kind) {
    case "user":
      return intent.tag === "FailScan" ? { _tag: "FailScan", reason: "by the property" } : { _tag: intent.tag }
    case "delete":
      return { _tag: "DeleteScan" }
    case "tick":
      return { _tag: "Tick" }
    case "begin":
      return { _tag: "MarkTasksStarted", task_ids: [pick(intent.pick, "QUEUED")] }
    case "succeed":
      return {
        _tag: "TaskSucceeded",
        task_id: pick(intent.pick, "RUNNING"),
        result_count: intent.results,
        entities: intent.found.map((i) => poolEntities[i]!)
      }
    case "error":
      return { _tag: "TaskErrored", task_id: pick(intent.pick, "RUNNING"), error: "random failure" }
    case "unknown":
      return { _tag: "MarkTasksStarted", task_ids: [unknownTask] }
  }
}

const countsOf = (state: ScanState) => {
  const counts = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 }
  for (const task of HashMap.values(state.tasks)) {
    const key = task.status.toLowerCase() as keyof typeof counts
    counts[key]++
  }
  return counts
}

describe("properties of random scans", () => {
  it("hold after every command", () => {
    FastCheck.assert(
      FastCheck.property(arbScenario, ({ config, intents, plan, target }) => {
        const d = new Driver({ plan, config, target })
        const planned = new Set<string>()
        const plannedEntities = new Set<string>()
        let snapshotAt: { readonly state: ScanState; readonly length: number } | undefined
        for (const [i, { advance, intent }] of intents.entries()) {
          const before = d.scan
          const command = commandFor(before, intent)
          const result = d.try(command, d.now + advance)
          const after = d.scan

          // terminal states absorb everything but delete; a deleted scan is gone
          if (before.deleted) expect(Either.isLeft(result)).toBe(true)
          else if (isTerminal(before.status) && command._tag !== "DeleteScan") {
            if (Either.isRight(result)) expect(result.right).toEqual([])
            expect(after).toBe(before)
          }
          if (Either.isLeft(result)) expect(after).toBe(before)

          // progress: monotone, in [0, 1], and 1 exactly when COMPLETED
          expect(after.progress).toBeGreaterThanOrEqual(before.progress)
          expect(after.progress).toBeGreaterThanOrEqual(0)
          expect(after.progress).toBeLessThanOrEqual(1)
          expect(after.progress === 1).toBe(after.status === "COMPLETED")

          // counts are the tasks in each status; nothing is left queued or running once terminal
          expect(after.counts).toEqual(countsOf(after))
          if (isTerminal(after.status)) expect(after.counts.queued + after.counts.running).toBe(0)
          if (after.status !== "RUNNING") expect(after.running_since).toBeNull()

          // no task is planned twice, nor any entity processed twice
          for (const task of Either.isRight(result) ? plannedIn(result.right) : []) {
            expect(planned.has(task.task_id)).toBe(false)
            planned.add(task.task_id)
            // one task per module and entity, however the entity was written
            const key = `${task.module_id}/${
              entityKey(Either.getOrElse(normalizeEntity(task.entity), () => task.entity))
            }`
            expect(plannedEntities.has(key)).toBe(false)
            plannedEntities.add(key)
            expect(task.depth).toBeLessThanOrEqual(config.recursion_depth)
            expect(HashMap.get(after.seen, entityKey(task.entity))).toEqual(Option.some(task.depth))
          }
          expect(HashMap.size(after.tasks)).toBe(planned.size)

          // results: never past max_results, the sum of the tasks' results
          expect(after.result_count).toBeLessThanOrEqual(config.max_results)
          expect(after.result_count).toBe(tasks(after).reduce((sum, t) => sum + t.result_count, 0))
          if (after.status === "COMPLETED" && after.reason === "max_results") {
            expect(after.result_count).toBe(config.max_results)
          }

          // after a tick, a running scan is within its max_duration
          if (command._tag === "Tick" && after.status === "RUNNING") {
            expect(runningTime(after, d.now)).toBeLessThan(config.max_duration * SECOND)
          }
          if (after.status === "COMPLETED" && after.reason === "max_duration") {
            expect(after.running_ms).toBeGreaterThanOrEqual(config.max_duration * SECOND)
          }

          // a running scan with nothing left to do has completed
          if (Either.isRight(result) && after.status === "RUNNING") {
            expect(after.counts.queued + after.counts.running).toBeGreaterThan(0)
          }

          expect(after.seq).toBe(d.log.length)
          if (i === Math.floor(intents.length / 2)) snapshotAt = { state: after, length: d.log.length }
        }

        // replay of the log is the folded state, from the start or from a snapshot
        expect(view(replay(d.log)!)).toEqual(view(d.scan))
        expect(view(snapshotRoundTrip(d.scan))).toEqual(view(d.scan))
        if (snapshotAt !== undefined) {
          const restored = snapshotRoundTrip(snapshotAt.state)
          expect(view(replay(d.log.slice(snapshotAt.length), restored)!)).toEqual(view(d.scan))
        }
        // every event survives its schema
        for (const event of d.log) expect(roundTrip(event)).toEqual(event)
      }),
      { numRuns: 500 }
    )
  })

  it("running every task to the end always terminates the scan", () => {
    FastCheck.assert(
      FastCheck.property(
        arbPlan,
        arbConfig,
        FastCheck.array(FastCheck.array(FastCheck.nat({ max: poolEntities.length - 1 }), { maxLength: 4 }), {
          minLength: 1
        }),
        FastCheck.boolean(),
        (plan, config, findings, failSome) => {
          const d = new Driver({ plan, config: { ...config, max_results: 1000 } })
          d.start()
          let step = 0
          while (!isTerminal(d.scan.status)) {
            const next = queuedTasks(d.scan)[0]!
            d.begin(next)
            const found = findings[step % findings.length]!.map((i) => poolEntities[i]!)
            if (failSome && step % 3 === 1) d.fail(next)
            else d.succeed(next, found, 0)
            step++
            expect(step).toBeLessThan(500)
          }
          expect(d.scan.counts.queued + d.scan.counts.running).toBe(0)
          const { completed, failed } = d.scan.counts
          if (completed + failed === 0) expect(d.scan.status).toBe("COMPLETED")
          else expect(d.scan.status).toBe(completed === 0 ? "FAILED" : "COMPLETED")
        }
      ),
      { numRuns: 200 }
    )
  })

  it("every event survives its schema, whatever its fields", () => {
    FastCheck.assert(
      FastCheck.property(Arbitrary.make(ScanEvent), (event) => {
        const encoded = Schema.encodeSync(ScanEvent)(event)
        expect(Schema.decodeUnknownSync(ScanEvent)(encoded)).toEqual(event)
      }),
      { numRuns: 300 }
    )
  })

  it("every command survives its schema, whatever its fields", () => {
    FastCheck.assert(
      FastCheck.property(Arbitrary.make(ScanCommandSchema), (command) => {
        const encoded = Schema.encodeSync(ScanCommandSchema)(command)
        expect(Schema.decodeUnknownSync(ScanCommandSchema)(encoded)).toEqual(command)
      }),
      { numRuns: 300 }
    )
  })
})

describe("chaining in the machine", () => {
  it("AddSeeds adds canonical, new targets while CREATED; StartScan plans them at depth 0", () => {
    const d = new Driver({})
    const added = d.send({
      _tag: "AddSeeds",
      entities: [domain("A.Example.org."), domain("example.com"), domain("a.example.org")]
    })
    expect(tags(added)).toEqual(["SeedsAdded"])
    expect(d.scan.seeds).toEqual([domain("a.example.org")])
    expect(d.send({ _tag: "AddSeeds", entities: [domain("a.example.org")] })).toEqual([])
    const started = d.start()
    const planned = plannedIn(started)
    expect(planned.filter((t) => t.entity.value === "a.example.org").map((t) => [t.module_id, t.depth])).toEqual([
      ["dns", 0],
      ["crtsh", 0]
    ])
    expect(HashMap.get(d.scan.seen, entityKey(domain("a.example.org")))).toEqual(Option.some(0))
    // Found again by a task, a seed is not planned twice.
    const task = d.task("crtsh", "example.com")
    d.begin(task)
    const after = d.succeed(HashMap.unsafeGet(d.scan.tasks, task.task_id), [domain("a.example.org")])
    expect(plannedIn(after)).toEqual([])
  })

  it("AddSeeds is refused once the scan has started", () => {
    const d = new Driver({})
    d.start()
    expect(reject(d.state, { _tag: "AddSeeds", entities: [domain("x.org")] }, T0)).toMatchObject({
      _tag: "IllegalTransition",
      status: "RUNNING"
    })
  })

  it("UpdateScan may change the dependencies; absent keeps them; seeds survive snapshot and replay", () => {
    const d = new Driver({})
    const dependsOn = { scan_ids: [scanId], result_types: ["DOMAIN" as const], on_failure: "continue" as const }
    d.send({ _tag: "UpdateScan", depends_on: dependsOn })
    expect(d.scan.header.depends_on).toEqual(dependsOn)
    expect(toScan(d.scan).depends_on).toEqual(dependsOn)
    d.send({ _tag: "UpdateScan" })
    expect(d.scan.header.depends_on).toEqual(dependsOn)
    d.send({ _tag: "AddSeeds", entities: [domain("seed.org")] })
    const restored = fromSnapshot(
      Schema.decodeUnknownSync(ScanSnapshot)(
        JSON.parse(JSON.stringify(Schema.encodeSync(ScanSnapshot)(toSnapshot(d.scan))))
      )
    )
    expect(view(restored)).toEqual(view(d.scan))
    expect(view(replay(d.log)!)).toEqual(view(d.scan))
    // A snapshot written before seeds existed still decodes.
    const { seeds: _, ...old } = Schema.encodeSync(ScanSnapshot)(toSnapshot(d.scan))
    expect(Schema.decodeUnknownSync(ScanSnapshot)(old).seeds).toEqual([])
  })
})
