/** Builders and drivers shared by the domain tests: scans, plans and a way to run commands through the machine. */
import { Entity } from "@mirage/domain/Entity"
import type { EntityType } from "@mirage/domain/Entity"
import { deriveUuid, ModuleId, OrganizationId, ScanId, TaskId, UserId } from "@mirage/domain/Ids"
import { ScanConfiguration, ScanDefinition, ScanModule } from "@mirage/domain/Scan"
import type { PlannedModule, ScanCommand, ScanEvent, ScanHeader } from "@mirage/domain/ScanEvent"
import { decide, evolve, replay } from "@mirage/domain/ScanMachine"
import type { Rejection, ScanState, TaskEntry } from "@mirage/domain/ScanMachine"
import { Either, HashMap, Schema } from "effect"

export const scanId = ScanId.make(deriveUuid("test-scan"))
export const header: ScanHeader = {
  organization_id: OrganizationId.make(deriveUuid("test-org")),
  user_id: UserId.make(deriveUuid("test-user")),
  template_id: null,
  depends_on: null
}

export const entity = (type: EntityType, value: string): Entity => Entity.make({ type, value })
export const domain = (value: string): Entity => entity("DOMAIN", value)

export const mod = (
  id: string,
  input_types: ReadonlyArray<EntityType>,
  output_types: ReadonlyArray<EntityType>
): PlannedModule => ({ id: ModuleId.make(id), input_types, output_types, config: {} })

/** A DNS resolver and a certificate-transparency search, the usual first hop of a domain scan. */
export const dns = mod("dns", ["DOMAIN"], ["IP", "DOMAIN"])
export const crtsh = mod("crtsh", ["DOMAIN"], ["DOMAIN"])
export const whois = mod("whois_ip", ["IP"], ["ASN", "NETBLOCK"])
export const defaultPlan: ReadonlyArray<PlannedModule> = [dns, crtsh, whois]

export interface ScanOptions {
  readonly target?: Entity
  readonly plan?: ReadonlyArray<PlannedModule>
  readonly config?: Partial<{
    max_duration: number
    max_results: number
    recursion_depth: number
    priority: "LOW" | "MEDIUM" | "HIGH"
    new_entities_only: boolean
  }>
}

export const definitionOf = (options: ScanOptions = {}): ScanDefinition =>
  ScanDefinition.make({
    name: "test scan",
    target: options.target ?? domain("example.com"),
    modules: (options.plan ?? defaultPlan).map((m) => ScanModule.make({ id: m.id })),
    configuration: ScanConfiguration.make(options.config ?? {})
  })

export const createCommand = (options: ScanOptions = {}): ScanCommand => ({
  _tag: "CreateScan",
  scan_id: scanId,
  header,
  definition: definitionOf(options),
  plan: options.plan ?? defaultPlan
})

export const T0 = Date.UTC(2025, 0, 1)

/** The events of an accepted command; fails the test on a rejection. */
export const accept = (state: ScanState | undefined, command: ScanCommand, now: number): Array<ScanEvent> =>
  Either.getOrElse(decide(state, command, now), (rejection) => {
    throw new Error(`${command._tag} rejected: ${rejection._tag} ${JSON.stringify(rejection)}`)
  })

export const reject = (state: ScanState | undefined, command: ScanCommand, now: number): Rejection =>
  Either.match(decide(state, command, now), {
    onLeft: (rejection) => rejection,
    onRight: (events) => {
      throw new Error(`${command._tag} accepted: ${JSON.stringify(events.map((e) => e._tag))}`)
    }
  })

/**
 * A scan driven command by command, keeping its whole log so that replay can be checked against the
 * folded state. `now` only moves forward.
 */
export class Driver {
  state: ScanState | undefined = undefined
  readonly log: Array<ScanEvent> = []
  now = T0

  constructor(options?: ScanOptions) {
    if (options !== undefined) this.send(createCommand(options))
  }

  get scan(): ScanState {
    if (this.state === undefined) throw new Error("no scan yet")
    return this.state
  }

  /** Runs a command that must be accepted; returns its events. */
  send(command: ScanCommand, now: number = this.now): Array<ScanEvent> {
    this.now = Math.max(this.now, now)
    const events = accept(this.state, command, this.now)
    this.apply(events)
    return events
  }

  /** Runs a command whatever the outcome. */
  try(command: ScanCommand, now: number = this.now): Either.Either<Array<ScanEvent>, Rejection> {
    this.now = Math.max(this.now, now)
    const result = decide(this.state, command, this.now)
    if (Either.isRight(result)) this.apply(result.right)
    return result
  }

  apply(events: ReadonlyArray<ScanEvent>): void {
    for (const event of events) {
      this.log.push(event)
      this.state = this.state === undefined ? replay([event]) : evolve(this.state, event)
      checkQueue(this.state!)
    }
  }

  at(ms: number): this {
    this.now = Math.max(this.now, ms)
    return this
  }

  start(): Array<ScanEvent> {
    return this.send({ _tag: "StartScan" })
  }

  /** The task running `moduleId` on the entity with this value. */
  task(moduleId: string, value: string): TaskEntry {
    const found = tasks(this.scan).find((t) => t.module_id === moduleId && t.entity.value === value)
    if (found === undefined) throw new Error(`no task ${moduleId}(${value})`)
    return found
  }

  begin(task: TaskEntry): Array<ScanEvent> {
    return this.send({ _tag: "MarkTasksStarted", task_ids: [task.task_id] })
  }

  succeed(task: TaskEntry, entities: ReadonlyArray<Entity> = [], resultCount = entities.length): Array<ScanEvent> {
    return this.send({ _tag: "TaskSucceeded", task_id: task.task_id, result_count: resultCount, entities })
  }

  fail(task: TaskEntry, error = "boom"): Array<ScanEvent> {
    return this.send({ _tag: "TaskErrored", task_id: task.task_id, error })
  }

  /** Starts and finishes a task in one go. */
  run(task: TaskEntry, entities: ReadonlyArray<Entity> = [], resultCount = entities.length): Array<ScanEvent> {
    this.begin(task)
    return this.succeed(HashMap.unsafeGet(this.scan.tasks, task.task_id), entities, resultCount)
  }
}

/** Every task of a state in planning order. */
export const tasks = (state: ScanState): Array<TaskEntry> =>
  Array.from(HashMap.values(state.tasks)).sort((a, b) => a.order - b.order)

export const tags = (events: ReadonlyArray<ScanEvent>): Array<string> => events.map((e) => e._tag)

/** The planned tasks in a list of events. */
export const plannedIn = (events: ReadonlyArray<ScanEvent>) =>
  events.flatMap((e) => (e._tag === "TasksPlanned" ? e.tasks : []))

/** The dispatch queue holds exactly the QUEUED tasks, in planning order: checked after every event a Driver applies. */
export const checkQueue = (state: ScanState): void => {
  const expected = tasks(state).filter((t) => t.status === "QUEUED").map((t) => [t.order, t.task_id])
  const actual = Array.from(state.queue)
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`dispatch queue ${JSON.stringify(actual)} is not the QUEUED tasks ${JSON.stringify(expected)}`)
  }
}

/** A state as plain, order-independent data, for deep equality. */
export const view = (state: ScanState) => ({
  ...state,
  definition: Schema.encodeSync(ScanDefinition)(state.definition),
  seen: Array.from(state.seen).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  queue: Array.from(state.queue),
  tasks: tasks(state).map((t) => ({ ...t, entity: { type: t.entity.type, value: t.entity.value } }))
})

export const unknownTask = TaskId.make(deriveUuid("no such task"))
