/**
 * The deterministic simulation: several nodes in one process on shared in-memory twins, under a test clock, with
 * seeded kills, graceful stops, stalls, freezes, CPU starvation, late deliveries and lease-store and membership outages, while scans run over
 * a synthetic world. After every step it checks ownership, fencing and result uniqueness; once faults stop, that every
 * started scan ends exactly once and that completed scans lost nothing. A seed replays exactly. What a run is asked and
 * what it reports live in Options.ts.
 */
import { entityKey } from "@mirage/domain/Entity"
import { Entity } from "@mirage/domain/Entity"
import type { OrganizationId, ScanId, UserId } from "@mirage/domain/Ids"
import { deriveUuid } from "@mirage/domain/Ids"
import { isTerminal, Priority, ScanConfiguration, ScanDefinition, ScanModule } from "@mirage/domain/Scan"
import type { ScanCommand } from "@mirage/domain/ScanEvent"
import { decide, initial } from "@mirage/domain/ScanMachine"
import {
  Clock,
  Context,
  Effect,
  Either,
  ExecutionStrategy,
  Exit,
  Layer,
  Logger,
  LogLevel,
  Option,
  Random,
  Scope,
  TestClock
} from "effect"
import { Membership } from "../cluster/Membership.js"
import * as MembershipMemory from "../cluster/Membership/Memory.js"
import * as Node from "../cluster/Node.js"
import { Replies } from "../cluster/Replies.js"
import * as RepliesMemory from "../cluster/Replies/Memory.js"
import { ShardInbox } from "../cluster/ShardInbox.js"
import * as ShardInboxMemory from "../cluster/ShardInbox/Memory.js"
import { ShardLeases } from "../cluster/ShardLeases.js"
import * as ShardLeasesMemory from "../cluster/ShardLeases/Memory.js"
import { shardOf } from "../cluster/Shards.js"
import { TaskExecutor } from "../collection/TaskExecutor.js"
import * as TaskPool from "../collection/TaskPool.js"
import { EventStore } from "../scans/EventStore.js"
import * as EventStoreMemory from "../scans/EventStore/Memory.js"
import * as Journal from "../scans/Journal.js"
import { ResultStore } from "../scans/ResultStore.js"
import type { ResultStoreService } from "../scans/ResultStore.js"
import * as ResultStoreMemory from "../scans/ResultStore/Memory.js"
import * as ScanObserver from "../scans/ScanObserver.js"
import * as Invariants from "./Invariants.js"
import type { Gate, Ledger } from "./Invariants.js"
import { defaults } from "./Options.js"
import type { FaultKind, Options, Report } from "./Options.js"
import * as Prng from "./Prng.js"
import { SimClock } from "./SimClock.js"
import * as World from "./World.js"

export * from "./Options.js"

interface SimNode {
  readonly id: string
  readonly scope: Scope.CloseableScope
  readonly gate: Gate
  readonly delay: { ms: number }
  readonly epochs: () => ReadonlyArray<{ shard: number; epoch: number }>
  readonly inFlight: (shard: number) => Effect.Effect<number>
  readonly actors: () => number
  readonly shutdown: Effect.Effect<void>
  state: "up" | "stopping" | "down"
}

interface PlannedScan {
  readonly id: ScanId
  readonly target: World.SimEntity
  readonly depth: number
  readonly priority: Priority
  readonly startAt: number
  readonly pauseAt: number | undefined
  readonly resumeAt: number | undefined
  readonly stopAt: number | undefined
  started: boolean
}

const header = {
  organization_id: "00000000-0000-4000-8000-00000000000a" as OrganizationId,
  user_id: "00000000-0000-4000-8000-00000000000b" as UserId,
  template_id: null,
  depends_on: null
}

const terminalTags = new Set(["ScanCompleted", "ScanFailed", "ScanCancelled"])

const planScans = (seed: number, options: Options, world: World.World, prng: Prng.Prng): Array<PlannedScan> =>
  Array.from({ length: options.scans }, (_, i) => {
    const startAt = prng.int(Math.floor(options.faultMs * 0.6))
    const pauses = prng.chance(0.2)
    const pauseAt = pauses ? startAt + prng.between(1000, 8000) : undefined
    const stopAt = prng.chance(0.1) ? startAt + prng.between(2000, 20_000) : undefined
    return {
      id: deriveUuid("simulation", String(seed), String(i)) as ScanId,
      target: prng.pick(world.targets),
      depth: prng.between(1, 3),
      priority: prng.pick(Priority.literals),
      startAt,
      pauseAt,
      resumeAt: pauseAt === undefined ? undefined : pauseAt + prng.between(1000, 10_000),
      stopAt,
      started: false
    }
  })

/** One seeded run. Needs a test clock (TestContext) around it unless `clock` is "sim", which brings its own. */
export const run = (seed: number, overrides: Partial<Options> = {}): Effect.Effect<Report> => {
  const options: Options = { ...defaults, ...overrides }
  const program = Effect.scoped(simulate(seed, options)).pipe(
    Effect.withRandom(Random.make(seed)),
    Logger.withMinimumLogLevel(LogLevel.None)
  )
  return options.clock === "sim" ? Effect.withClock(program, new SimClock(0)) : program
}

const simulate = (seed: number, options: Options) =>
  Effect.gen(function*() {
    const prng = Prng.make(seed)
    const world = World.make(seed, options.world)
    const ledger: Ledger = yield* Invariants.makeLedger
    const simScope = yield* Effect.scope
    const origin = yield* Clock.currentTimeMillis
    const now = Effect.map(Clock.currentTimeMillis, (t) => t - origin)

    // The shared twins: one "Postgres", one "MongoDB", one "Redis".
    const events = EventStoreMemory.makeStore()
    const results = ResultStoreMemory.makeStore()
    const inboxes = ShardInboxMemory.makeStore(options.shards)
    const repliesHub = RepliesMemory.makeMemoryHub()
    const membershipHub = MembershipMemory.makeHub()
    const leaseHub = ShardLeasesMemory.makeHub()
    const gateway = {
      events: EventStoreMemory.make(events),
      inbox: ShardInboxMemory.make(inboxes)
    }
    const membership = yield* Effect.provide(Membership, MembershipMemory.layer(membershipHub))
    const leases = yield* Effect.provide(ShardLeases, ShardLeasesMemory.layer(leaseHub))

    const storeFor = (): EventStore["Type"] => {
      const inner = EventStoreMemory.make(events)
      if (options.sabotage !== "ignore-fence") return inner
      // A store that takes any epoch: appends are passed on under whatever fence the shard has now.
      return {
        ...inner,
        append: (appends) =>
          inner.append(appends.map((append) =>
            append.fence === null
              ? append
              : { ...append, fence: { ...append.fence, epoch: events.fences.get(append.fence.shard) ?? 0 } }
          ))
      }
    }
    const resultsFor = (): ResultStoreService => {
      const inner = ResultStoreMemory.make(results)
      if (options.sabotage !== "double-results") return inner
      // A store that says every result was new.
      return {
        ...inner,
        insert: (owner, list) => Effect.as(inner.insert(owner, list), list.length),
        insertAll: (batches) =>
          Effect.as(inner.insertAll(batches), batches.reduce((n, batch) => n + batch.results.length, 0))
      }
    }

    const nodes: Array<SimNode> = []
    let nextNode = 1
    const faults: Record<FaultKind, number> = {
      kill: 0,
      stop: 0,
      restart: 0,
      stall: 0,
      freeze: 0,
      starve: 0,
      delay: 0,
      leaseOutage: 0,
      membershipOutage: 0,
      storeOutage: 0
    }

    const startNode = Effect.gen(function*() {
      const id = `n${nextNode++}`
      const scope = yield* Scope.fork(simScope, ExecutionStrategy.sequential)
      const gate = yield* Invariants.makeGate(yield* Effect.clock)
      const delay = { ms: 0 }
      const replies = yield* RepliesMemory.make(repliesHub).pipe(Scope.extend(scope))
      const services = Context.make(EventStore, Invariants.eventStore(storeFor(), ledger, id, gate)).pipe(
        Context.add(ResultStore, Invariants.resultStore(resultsFor(), ledger, gate, (key) => results.keys.has(key))),
        Context.add(ShardInbox, Invariants.inbox(ShardInboxMemory.make(inboxes), gate, () => delay.ms)),
        Context.add(Membership, Invariants.membership(membership, gate)),
        Context.add(ShardLeases, Invariants.leases(leases, ledger, id, gate)),
        Context.add(Replies, Invariants.replies(replies, gate)),
        Context.add(TaskExecutor, World.executor(world, gate.pass))
      )
      // Everything of the node runs on its own view of the clock, which its freezes and starvation bend.
      const built = yield* Effect.withClock(
        Layer.buildWithScope(
          Layer.mergeAll(
            Journal.layerWith({ batch: 64, writers: 2 }),
            TaskPool.layerWith(options.slots),
            ScanObserver.layerNone
          )
            .pipe(Layer.provide(Layer.succeedContext(services))),
          scope
        ),
        gate.clock
      )
      // Every simulated node has the cluster's shard count: a mismatch here is a bug of the simulation.
      const node = yield* Node.run({ ...options.node, nodeId: id, consumer: id }).pipe(
        Effect.provide(Context.merge(services, built)),
        Scope.extend(scope),
        Effect.orDie,
        Effect.withClock(gate.clock)
      )
      const simNode: SimNode = {
        id,
        scope,
        gate,
        delay,
        epochs: () => node.host.epochs(),
        inFlight: node.host.inFlight,
        actors: node.host.actorCount,
        shutdown: node.shutdown,
        state: "up"
      }
      nodes.push(simNode)
      yield* Invariants.note(ledger, `${id} started`)
      return simNode
    })

    /** Like kill -9: the node's fibers stop where they are, nothing is released. */
    const kill = (node: SimNode) =>
      Effect.gen(function*() {
        node.state = "down"
        yield* Scope.close(node.scope, Exit.void)
        yield* Invariants.note(ledger, `${node.id} killed`)
      })

    /** A graceful stop runs beside the driver (it drains on the clock the driver advances). */
    const stop = (node: SimNode) =>
      Effect.gen(function*() {
        node.state = "stopping"
        yield* Invariants.note(ledger, `${node.id} stopping`)
        yield* Effect.forkIn(
          node.shutdown.pipe(
            Effect.zipRight(Scope.close(node.scope, Exit.void)),
            Effect.ensuring(Effect.sync(() => void (node.state = "down")))
          ),
          simScope
        )
      })

    // Recoveries due later: [at, what].
    let recoveries: Array<readonly [number, string, Effect.Effect<void>]> = []
    const later = (at: number, what: string, effect: Effect.Effect<void>) => {
      recoveries.push([at, what, effect])
    }

    const up = () => nodes.filter((n) => n.state === "up")

    const injectFault = (t: number) =>
      Effect.gen(function*() {
        const live = up()
        const kinds: Array<FaultKind> = []
        if (live.length >= 2) kinds.push("kill", "stop")
        if (live.some((n) => !n.gate.stalled())) kinds.push("stall", "stall", "freeze")
        if (live.some((n) => n.gate.lag.ms === 0)) kinds.push("starve")
        if (live.some((n) => n.delay.ms === 0)) kinds.push("delay")
        if (!leaseHub.outage) kinds.push("leaseOutage")
        if (!membershipHub.outage) kinds.push("membershipOutage")
        if (!events.outage) kinds.push("storeOutage")
        const allowed = options.faultKinds === undefined
          ? kinds
          : kinds.filter((kind) => options.faultKinds!.includes(kind))
        if (allowed.length === 0) return
        const kind = prng.pick(allowed)
        faults[kind]++
        switch (kind) {
          case "kill":
          case "stop": {
            const victim = prng.pick(live)
            yield* kind === "kill" ? kill(victim) : stop(victim)
            later(t + prng.between(1000, 10_000), "restart", restart)
            return
          }
          case "stall": {
            const victim = prng.pick(live.filter((n) => !n.gate.stalled()))
            // Often longer than a lease: the node wakes up to find its shards taken.
            const ms = prng.between(500, 9000)
            yield* victim.gate.stall
            yield* Invariants.note(ledger, `${victim.id} stalled for ${ms}ms`)
            later(t + ms, `${victim.id} resumes`, victim.gate.resume)
            return
          }
          case "freeze": {
            const victim = prng.pick(live.filter((n) => !n.gate.stalled()))
            // A whole process stopped, often for longer than its leases: when it wakes, every timer it had is late
            // and what it was about to write goes out under the epoch it held before.
            const ms = prng.between(500, 12_000)
            yield* victim.gate.freeze
            yield* Invariants.note(ledger, `${victim.id} frozen for ${ms}ms`)
            later(t + ms, `${victim.id} thaws`, victim.gate.resume)
            return
          }
          case "starve": {
            const victim = prng.pick(live.filter((n) => n.gate.lag.ms === 0))
            victim.gate.lag.ms = prng.between(50, 800)
            yield* Invariants.note(ledger, `${victim.id} starved: timers and I/O late by ${victim.gate.lag.ms}ms`)
            later(
              t + prng.between(2000, 15_000),
              `${victim.id} has its CPU back`,
              Effect.sync(() => void (victim.gate.lag.ms = 0))
            )
            return
          }
          case "delay": {
            const victim = prng.pick(live.filter((n) => n.delay.ms === 0))
            victim.delay.ms = prng.between(200, 4000)
            yield* Invariants.note(ledger, `${victim.id} deliveries late by ${victim.delay.ms}ms`)
            later(
              t + prng.between(2000, 10_000),
              `${victim.id} deliveries on time`,
              Effect.sync(() => void (victim.delay.ms = 0))
            )
            return
          }
          case "leaseOutage": {
            leaseHub.outage = true
            yield* Invariants.note(ledger, "lease store down")
            later(t + prng.between(500, 6000), "lease store up", Effect.sync(() => void (leaseHub.outage = false)))
            return
          }
          case "membershipOutage": {
            membershipHub.outage = true
            yield* Invariants.note(ledger, "membership down")
            later(
              t + prng.between(500, 6000),
              "membership up",
              Effect.sync(() => void (membershipHub.outage = false))
            )
            return
          }
          case "storeOutage": {
            events.outage = true
            yield* Invariants.note(ledger, "event store down")
            later(t + prng.between(300, 4000), "event store up", Effect.sync(() => void (events.outage = false)))
            return
          }
          case "restart":
            return
        }
      })

    const restart = Effect.gen(function*() {
      faults.restart++
      yield* startNode
    })

    // The gateway's side: create scans (unfenced, as ScanService.create does) and send commands.
    let commandSeq = 0
    const send = (scan: PlannedScan, command: ScanCommand) =>
      Effect.gen(function*() {
        const sentAt = yield* Clock.currentTimeMillis
        yield* gateway.inbox.send({
          target: scan.id,
          command_id: deriveUuid("command", String(seed), String(commandSeq++)),
          command,
          reply_to: null,
          traceparent: null,
          sent_at: sentAt
        })
        yield* Invariants.note(ledger, `gateway sent ${command._tag} to ${scan.id.slice(0, 8)}`)
      })

    const create = (scan: PlannedScan) =>
      Effect.gen(function*() {
        const at = yield* Clock.currentTimeMillis
        const definition = ScanDefinition.make({
          name: `sim ${scan.id.slice(0, 8)}`,
          description: "",
          target: Entity.make(scan.target),
          modules: World.plan.map((m) => ScanModule.make({ id: m.id })),
          configuration: ScanConfiguration.make({ recursion_depth: scan.depth, priority: scan.priority })
        })
        const created = decide(undefined, {
          _tag: "CreateScan",
          scan_id: scan.id,
          header,
          definition,
          plan: World.plan
        }, at)
        if (Either.isLeft(created)) return yield* Effect.die(created.left)
        const first = created.right[0]
        if (first === undefined || first._tag !== "ScanCreated") return yield* Effect.dieMessage("no ScanCreated")
        yield* gateway.events.append([{
          scan_id: scan.id,
          shard: shardOf(scan.id, options.shards),
          expected_seq: 0,
          events: created.right,
          command_id: deriveUuid("create", scan.id),
          fence: null,
          state: initial(first),
          snapshot: false
        }]).pipe(
          // Created before, when a later step failed: the creation stands.
          Effect.catchTag("ConcurrencyConflict", () => Effect.void)
        )
      })

    const scans = planScans(seed, options, world, prng)
    // A user action the gateway cannot do now (its store is down) is tried again at the next step.
    const userActions: Array<readonly [number, Effect.Effect<void, unknown>]> = scans.flatMap((scan) => [
      [
        scan.startAt,
        Effect.zipRight(create(scan), send(scan, { _tag: "StartScan" })).pipe(
          Effect.tap(() => Effect.sync(() => void (scan.started = true)))
        )
      ] as const,
      ...(scan.pauseAt === undefined ? [] : [[scan.pauseAt, send(scan, { _tag: "PauseScan" })] as const]),
      ...(scan.resumeAt === undefined ? [] : [[scan.resumeAt, send(scan, { _tag: "ResumeScan" })] as const]),
      ...(scan.stopAt === undefined ? [] : [[scan.stopAt, send(scan, { _tag: "StopScan" })] as const])
    ]).sort((a, b) => a[0] - b[0])

    const attempt = (action: Effect.Effect<void, unknown>) =>
      Effect.match(action, { onFailure: () => false, onSuccess: () => true })

    const status = (scan: PlannedScan) =>
      Effect.map(
        gateway.events.load(scan.id),
        Option.match({ onNone: () => undefined, onSome: (loaded) => loaded.state.status })
      ).pipe(Effect.orDie)

    for (let i = 0; i < options.nodes; i++) yield* startNode

    let steps = 0
    const step = Effect.gen(function*() {
      ledger.step = ++steps
      yield* TestClock.adjust(options.quantumMs)
      yield* Effect.suspend(() =>
        Invariants.checkHosts(
          ledger,
          nodes.filter((n) => n.state !== "down").map((n) => ({ node: n.id, epochs: n.epochs() }))
        )
      )
    })

    const dueRecoveries = (t: number) =>
      Effect.gen(function*() {
        const due = recoveries.filter(([at]) => at <= t)
        recoveries = recoveries.filter(([at]) => at > t)
        for (const [, what, effect] of due) {
          yield* effect
          yield* Invariants.note(ledger, what)
        }
      })

    // Faults and users.
    let nextUser = 0
    const faultChance = options.faultsPerSecond * options.quantumMs / 1000
    while ((yield* now) < options.faultMs && ledger.violations.length === 0) {
      const t = yield* now
      while (nextUser < userActions.length && userActions[nextUser]![0] <= t) {
        if (!(yield* attempt(userActions[nextUser]![1]))) break
        nextUser++
      }
      yield* dueRecoveries(t)
      if (t >= 2000 && prng.chance(faultChance)) yield* injectFault(t)
      yield* step
    }

    // Heal: every stall ends, outages end, deliveries are on time, dead nodes come back.
    yield* Invariants.note(ledger, "faults stop")
    for (const [, what, effect] of recoveries) {
      if (what === "restart") continue
      yield* effect
    }
    recoveries = []
    events.outage = false
    while (nextUser < userActions.length) {
      if (!(yield* attempt(userActions[nextUser]![1]))) return yield* Effect.dieMessage("gateway failed with no faults")
      nextUser++
    }
    for (const node of nodes) {
      node.delay.ms = 0
      node.gate.lag.ms = 0
      if (node.gate.stalled()) yield* node.gate.resume
    }
    leaseHub.outage = false
    membershipHub.outage = false
    while (up().length < options.nodes) yield* restart

    // Settle: run on until every started scan has ended; a user resumes what is left paused.
    const settleEnd = (yield* now) + options.settleMs
    let lastResume = yield* now
    while ((yield* now) < settleEnd && ledger.violations.length === 0) {
      const statuses = yield* Effect.forEach(scans, status)
      if (statuses.every((s) => s !== undefined && isTerminal(s))) break
      const t = yield* now
      if (t - lastResume >= 5000) {
        lastResume = t
        for (const [i, scan] of scans.entries()) {
          if (statuses[i] === "PAUSED") yield* send(scan, { _tag: "ResumeScan" }).pipe(Effect.orDie)
        }
      }
      yield* step
    }
    // A little longer, for late writes to show up.
    for (let i = 0; i < 20 && ledger.violations.length === 0; i++) yield* step

    let completed = 0
    let failed = 0
    let cancelled = 0
    if (ledger.violations.length === 0) {
      for (const scan of scans) {
        const log = events.logs.get(scan.id)?.events.map((e) => e.event) ?? []
        const ends = log.filter((e) => terminalTags.has(e._tag))
        const final = yield* gateway.events.load(scan.id).pipe(Effect.orDie)
        const state = Option.getOrUndefined(final)?.state
        if (ends.length !== 1 || state === undefined) {
          const shard = shardOf(scan.id, options.shards)
          const dead = ShardInboxMemory.deadLetters(inboxes, shard).length
          const lease = leaseHub.leases.get(shard)
          const hosts = yield* Effect.forEach(
            nodes.filter((n) => n.state !== "down" && n.epochs().some((e) => e.shard === shard)),
            (n) => Effect.map(n.inFlight(shard), (busy) => `${n.id}(actors ${n.actors()}, in flight ${busy})`)
          )
          const pending = yield* gateway.inbox.pending(shard).pipe(Effect.orDie)
          yield* Invariants.violate(
            ledger,
            "terminal-once",
            `scan ${scan.id} has ${ends.length} terminal events (${ends.map((e) => e._tag).join(",")}), status ` +
              `${state?.status} (tasks ${JSON.stringify(state?.counts)}), shard ${shard} leased to ${lease?.owner} ` +
              `epoch ${lease?.epoch}, hosted by [${hosts.join(" ")}], ${pending.pending} pending and ${pending.lag} ` +
              `unread entries, ${dead} dead letters`
          )
          continue
        }
        if (state.status === "COMPLETED") completed++
        if (state.status === "FAILED") failed++
        if (state.status === "CANCELLED") cancelled++
        if (state.status !== "COMPLETED" || state.reason !== "quiescent") continue
        const expected = world.closure(scan.target, scan.depth)
        const stored = new Set(
          Array.from(results.byId.values())
            .filter((r) => r.owner === scan.id)
            .map((r) => entityKey({ type: r.result.data_type, value: r.result.data }))
        )
        const missing = Array.from(expected).filter((key) => !stored.has(key))
        const extra = Array.from(stored).filter((key) => !expected.has(key))
        if (missing.length > 0 || extra.length > 0 || state.result_count !== expected.size) {
          yield* Invariants.violate(
            ledger,
            "results-lost",
            `scan ${scan.id} (depth ${scan.depth}) completed with ${stored.size} results, result_count ` +
              `${state.result_count}, expected ${expected.size}; missing [${missing.slice(0, 5).join(" ")}] extra ` +
              `[${extra.slice(0, 5).join(" ")}]`
          )
        }
      }
    }

    for (const node of nodes) if (node.state !== "down") yield* kill(node)

    return {
      seed,
      steps,
      simulatedMs: yield* now,
      faults,
      scans: scans.length,
      completed,
      failed,
      cancelled,
      results: results.byId.size,
      leaseAcquisitions: ledger.counts.acquisitions,
      fencedAppends: ledger.counts.fencedAppends,
      staleAppendsRefused: ledger.counts.staleRefused,
      violations: ledger.violations
    } satisfies Report
  })

/** A report in a few lines: the first violation with its trace. */
