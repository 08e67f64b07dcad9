/**
 * The simulated cluster: the shared in-memory twins of the stores (one "Postgres", one "MongoDB", one "Redis"), the
 * gateway's view of them, and nodes started, killed or stopped over them. Every node's view of the stores and of the
 * clock goes through its gate (Invariants), so that faults can bend it and the ledger sees what it does.
 */
import { Context, Effect, ExecutionStrategy, Exit, Layer, Scope } from "effect"
import { Membership } from "../cluster/Membership.js"
import * as MembershipMemory from "../cluster/Membership/Memory.js"
import * as Node from "../cluster/Node.js"
import { Replies } from "../cluster/Replies.js"
import * as RepliesMemory from "../cluster/Replies/Memory.js"
import { ShardInbox } from "../cluster/ShardInbox.js"
import * as ShardInboxMemory from "../cluster/ShardInbox/Memory.js"
import { ShardLeases } from "../cluster/ShardLeases.js"
import * as ShardLeasesMemory from "../cluster/ShardLeases/Memory.js"
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
import type { Options } from "./Options.js"
import * as SimSchedules from "./SimSchedules.js"
import * as World from "./World.js"

export interface SimNode {
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

export interface SimCluster {
  readonly events: EventStoreMemory.EventStoreMemory
  readonly results: ResultStoreMemory.ResultStoreMemory
  readonly inboxes: ShardInboxMemory.ShardInboxMemory
  readonly membershipHub: MembershipMemory.MembershipHub
  readonly leaseHub: ShardLeasesMemory.LeaseHub
  /** The schedules' records and the runs their hosts launched. */
  readonly schedules: SimSchedules.World
  /** The gateway's side: it creates scans (unfenced, as ScanService.create does) and sends commands. */
  readonly gateway: { readonly events: EventStore["Type"]; readonly inbox: ShardInbox["Type"] }
  /** Every node started, in order, whatever its state now. */
  readonly nodes: Array<SimNode>
  readonly up: () => Array<SimNode>
  readonly startNode: Effect.Effect<SimNode>
  /** Like kill -9: the node's fibers stop where they are, nothing is released. */
  readonly kill: (node: SimNode) => Effect.Effect<void>
  /** A graceful stop runs beside the driver (it drains on the clock the driver advances). */
  readonly stop: (node: SimNode) => Effect.Effect<void>
}

/** A node's event store: the shared one, or under "ignore-fence" one that takes any epoch. */
const eventStoreFor = (options: Options, events: EventStoreMemory.EventStoreMemory): EventStore["Type"] => {
  const inner = EventStoreMemory.make(events)
  if (options.sabotage !== "ignore-fence") return inner
  // Appends are passed on under whatever fence the shard has now.
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

/** A node's result store: the shared one, or under "double-results" one that says every result was new. */
const resultStoreFor = (options: Options, results: ResultStoreMemory.ResultStoreMemory): ResultStoreService => {
  const inner = ResultStoreMemory.make(results)
  if (options.sabotage !== "double-results") return inner
  return {
    ...inner,
    insert: (owner, list) => Effect.as(inner.insert(owner, list), list.length),
    insertAll: (batches) =>
      Effect.as(inner.insertAll(batches), batches.reduce((n, batch) => n + batch.results.length, 0))
  }
}

/** What every node shares: the twins and their hubs, and the scope the nodes' own scopes are forked from. */
interface Shared {
  readonly options: Options
  readonly world: World.World
  readonly ledger: Ledger
  readonly scope: Scope.Scope
  readonly events: EventStoreMemory.EventStoreMemory
  readonly results: ResultStoreMemory.ResultStoreMemory
  readonly inboxes: ShardInboxMemory.ShardInboxMemory
  readonly repliesHub: RepliesMemory.RepliesHub
  readonly membership: Membership["Type"]
  readonly leases: ShardLeases["Type"]
  readonly schedules: SimSchedules.World
}

/** Starts node `id` in a scope of its own, on its gate's view of the stores and the clock. */
const launch = (shared: Shared, id: string) =>
  Effect.gen(function*() {
    const { ledger, options } = shared
    const scope = yield* Scope.fork(shared.scope, ExecutionStrategy.sequential)
    const gate = yield* Invariants.makeGate(yield* Effect.clock)
    const delay = { ms: 0 }
    const replies = yield* RepliesMemory.make(shared.repliesHub).pipe(Scope.extend(scope))
    const services = Context.make(
      EventStore,
      Invariants.eventStore(eventStoreFor(options, shared.events), ledger, id, gate)
    )
      .pipe(
        Context.add(
          ResultStore,
          Invariants.resultStore(resultStoreFor(options, shared.results), ledger, gate, (key) =>
            shared.results.keys.has(key))
        ),
        Context.add(
          ShardInbox,
          Invariants.inbox(ShardInboxMemory.make(shared.inboxes), gate, () =>
            delay.ms)
        ),
        Context.add(Membership, Invariants.membership(shared.membership, gate)),
        Context.add(ShardLeases, Invariants.leases(shared.leases, ledger, id, gate)),
        Context.add(Replies, Invariants.replies(replies, gate)),
        Context.add(TaskExecutor, World.executor(shared.world, gate.pass))
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
    if ((options.schedules ?? 0) > 0) {
      yield* SimSchedules.host(shared.schedules, shared.events, node.host.epochs).pipe(
        Scope.extend(scope),
        Effect.withClock(gate.clock)
      )
    }
    const simNode: SimNode = {
      id,
      scope,
      gate,
      delay,
      epochs: () =>
        node.host.epochs(),
      inFlight: node.host.inFlight,
      actors: node.host.actorCount,
      shutdown: node.shutdown,
      state: "up"
    }
    return simNode
  })

export const make = (
  options: Options,
  world: World.World,
  ledger: Ledger
): Effect.Effect<SimCluster, never, Scope.Scope> =>
  Effect.gen(function*() {
    const simScope = yield* Effect.scope
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
    const schedules = SimSchedules.makeWorld()
    const shared: Shared = {
      options,
      world,
      ledger,
      scope: simScope,
      events,
      results,
      inboxes,
      repliesHub,
      membership,
      leases,
      schedules
    }
    const nodes: Array<SimNode> = []
    let nextNode = 1

    const startNode = Effect.gen(function*() {
      const node = yield* launch(shared, `n${nextNode++}`)
      nodes.push(node)
      yield* Invariants.note(ledger, `${node.id} started`)
      return node
    })

    const kill = (node: SimNode) =>
      Effect.gen(function*() {
        node.state = "down"
        yield* Scope.close(node.scope, Exit.void)
        yield* Invariants.note(ledger, `${node.id} killed`)
      })

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

    return {
      events,
      results,
      inboxes,
      membershipHub,
      leaseHub,
      schedules,
      gateway,
      nodes,
      up: () => nodes.filter((n) => n.state === "up"),
      startNode,
      kill,
      stop
    }
  })
