/** A node's leases and heartbeat: once it has left the cluster, renewing the leases it still drains keeps it out. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { makeNodeLeases } from "../../src/cluster/internal/nodeLeases.js"
import { Membership } from "../../src/cluster/Membership.js"
import * as MembershipMemory from "../../src/cluster/Membership/Memory.js"
import type { ShardHost } from "../../src/cluster/ShardHost.js"
import * as LeasesMemory from "../../src/cluster/ShardLeases/Memory.js"
import * as EventStoreMemory from "../../src/scans/EventStore/Memory.js"

/** The part of a shard host the leases use: the shards it holds, under which epoch. */
const hostHolding = (held: Map<number, number>) =>
  ({
    epochs: () => Array.from(held, ([shard, epoch]) => ({ shard, epoch })),
    epochOf: (shard: number) => held.get(shard),
    acquire: (shard: number, epoch: number) => Effect.sync(() => void held.set(shard, epoch)),
    lose: ({ epoch, shard }: { readonly shard: number; readonly epoch: number }) =>
      Effect.sync(() => held.get(shard) === epoch && held.delete(shard))
  }) as unknown as ShardHost

describe("node leases", () => {
  it.effect("a node that left is no member again when its draining leases are renewed, and they are renewed", () =>
    Effect.gen(function*() {
      const ports = Layer.mergeAll(
        MembershipMemory.layer(MembershipMemory.makeHub()),
        LeasesMemory.layer(LeasesMemory.makeHub()),
        EventStoreMemory.layer(EventStoreMemory.makeStore())
      )
      yield* Effect.gen(function*() {
        const membership = yield* Membership
        const held = new Map<number, number>()
        const leases = yield* makeNodeLeases(
          { nodeId: "a", leaseTtlMs: 4000, memberTtlMs: 3000, roundMs: 500 },
          hostHolding(held)
        )
        yield* leases.renewal
        yield* leases.take([3])
        expect(yield* membership.members).toEqual(["a"])
        expect(held.get(3)).toBeDefined()

        yield* leases.leave
        expect(yield* membership.members).toEqual([])
        // Shard 3 still drains its tasks: its lease is renewed (kept), and the heartbeat beside it is not sent.
        yield* leases.renewal
        expect(yield* membership.members).toEqual([])
        expect(held.get(3)).toBeDefined()
      }).pipe(Effect.provide(ports))
    }))
})
