/** Test support for actor and node tests: a node's settings for the TestClock, and a scan's creation event. */
import { Entity } from "@mirage/domain/Entity"
import type { OrganizationId, ScanId, UserId } from "@mirage/domain/Ids"
import type { ScanConfiguration } from "@mirage/domain/Scan"
import { ScanDefinition, ScanModule } from "@mirage/domain/Scan"
import type { PlannedModule, ScanCreated } from "@mirage/domain/ScanEvent"
import { decide, initial } from "@mirage/domain/ScanMachine"
import { Either } from "effect"
import type * as Node from "../../src/cluster/Node.js"
import type { Append } from "../../src/scans/EventStore.js"

/** A node's settings at the scale of a TestClock test: leases of seconds, rounds of half a second. */
export const nodeSettings = (nodeId: string): Node.NodeSettings => ({
  nodeId,
  consumer: nodeId,
  leaseTtlMs: 4000,
  memberTtlMs: 3000,
  roundMs: 500,
  movesPerRound: 32,
  readBlockMs: 100,
  readCount: 64,
  drainMs: 100,
  maxDeliveries: 5,
  passivateMs: 60_000,
  reclaimIdleMs: 30_000,
  restartDelayMs: 1000,
  scanConcurrency: 4,
  snapshotEvery: 100
})

/** The creation event of a scan of example.test named `name`, with `plan`, as `decide` gives it at time 0. */
export const createdEvent = (
  scanId: ScanId,
  plan: ReadonlyArray<PlannedModule>,
  options: { readonly name: string; readonly configuration: ScanConfiguration }
): typeof ScanCreated.Type => {
  const definition = ScanDefinition.make({
    name: options.name,
    description: "",
    target: Entity.make({ type: "DOMAIN", value: "example.test" }),
    modules: plan.map((m) => ScanModule.make({ id: m.id })),
    configuration: options.configuration
  })
  const created = Either.getOrThrow(decide(undefined, {
    _tag: "CreateScan",
    scan_id: scanId,
    header: {
      organization_id: "00000000-0000-4000-8000-000000000001" as OrganizationId,
      user_id: "00000000-0000-4000-8000-000000000002" as UserId,
      template_id: null,
      depends_on: null
    },
    definition,
    plan
  }, 0))[0]!
  if (created._tag !== "ScanCreated") throw new Error("expected ScanCreated")
  return created
}

/** The append that creates a scan from its creation event, as the gateway writes it: seq 1, no fence. */
export const creation = (created: typeof ScanCreated.Type, shard: number): Append => ({
  scan_id: created.scan_id,
  shard,
  expected_seq: 0,
  events: [created],
  command_id: "create",
  fence: null,
  state: initial(created),
  snapshot: false
})
