/** In-memory shard leases on Effect's Clock, shared by the nodes of one simulation. */
import { Clock, Effect, Layer } from "effect"
import { PersistenceError } from "../../platform/Errors.js"
import { ShardLeases } from "../ShardLeases.js"

export interface LeaseHub {
  readonly leases: Map<number, { owner: string; epoch: number; expires: number }>
  readonly epochs: Map<number, number>
  /** While true every call fails, as when the lease store is unreachable. */
  outage: boolean
}

export const makeHub = (): LeaseHub => ({ leases: new Map(), epochs: new Map(), outage: false })

export const layer = (hub: LeaseHub) => {
  const guard = <A>(operation: string, run: (now: number) => A) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      hub.outage
        ? Effect.fail(new PersistenceError({ operation, cause: "lease store unavailable" }))
        : Effect.sync(() => run(now)))
  const live = (shard: number, now: number) => {
    const lease = hub.leases.get(shard)
    return lease !== undefined && lease.expires > now ? lease : undefined
  }
  return Layer.succeed(
    ShardLeases,
    ShardLeases.of({
      acquire: (owner, ttlMs, wanted) =>
        guard("acquire leases", (now) => {
          const taken = new Map<number, number>()
          for (const { floor, shard } of wanted) {
            const holder = live(shard, now)?.owner
            if (holder !== undefined && holder !== owner) continue
            const epoch = Math.max((hub.epochs.get(shard) ?? 0) + 1, floor + 1)
            hub.epochs.set(shard, epoch)
            hub.leases.set(shard, { owner, epoch, expires: now + ttlMs })
            taken.set(shard, epoch)
          }
          return taken
        }),
      renew: (owner, leases, ttlMs) =>
        guard("renew lease", (now) => {
          const held = new Set<number>()
          for (const { epoch, shard } of leases) {
            const current = live(shard, now)
            if (current !== undefined && current.owner === owner && current.epoch === epoch) {
              current.expires = now + ttlMs
              held.add(shard)
            }
          }
          return held
        }),
      release: (shard, owner, epoch) =>
        guard("release lease", () => {
          const current = hub.leases.get(shard)
          if (current !== undefined && current.owner === owner && current.epoch === epoch) hub.leases.delete(shard)
        })
    })
  )
}
