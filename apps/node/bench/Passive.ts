/**
 * A wide passive scan: every passive module whose source the fixture world emulates (all of them, keyed ones with
 * the world's test keys), each source held to the same rate. The world's domain is scanned at recursion depth 1, so
 * its modules also run on the addresses and people it finds; an address, a person, an AS, the company's account name
 * and a user name (which no source gives at depth 1) are seeds of their own at the same time (depth 0), so every
 * input type is asked for.
 *
 * The rate limits are the scans' floor: a source that gets n requests at r per second (burst 1) needs (n − 1) / r
 * seconds, and the sources run in parallel, so no run can end before the slowest source's figure. How close the wall
 * time comes to that bound says whether the scheduler keeps every source saturated; the request times say whether any
 * source was asked faster than its rate. HTTP requests come from the executor's request log, DNS questions (Team
 * Cymru's zones) from the world's DNS server; crt.sh's database, asked over its own socket, from the world's
 * certwatch server (its module takes its tokens through the context's throttle).
 */
import { Entity, type EntityType } from "@mirage/domain/Entity"
import type { ScanId } from "@mirage/domain/Ids"
import type { PlannedModule } from "@mirage/domain/ScanEvent"
import { dnsSource } from "@mirage/modules/internal/Dns"
import type { Module } from "@mirage/modules/Module"
import { modules } from "@mirage/modules/Registry"
import * as CollectionLogMemory from "@mirage/runtime/collection/CollectionLog/Memory"
import * as ModuleExecutor from "@mirage/runtime/collection/ModuleExecutor"
import { FixtureWorld, IntelWorld } from "@mirage/testkit"
import { Effect } from "effect"
import { randomUUID } from "node:crypto"
import { performance } from "node:perf_hooks"
import { countStatus, createScans, defaults, startNode, startScans } from "./Harness.js"

/** Requests per second each source is held to (burst 1): slow enough that the limits, not the work, set the pace. */
const rate = 2

/** Sources the executor's rate limiter does not hold: none (crtsh_db takes its tokens through `ctx.throttle`). */
const unheld = new Set<string>()

/** Whether the world answers for the module's source: an endpoint, its DNS server, or settings of the module's own. */
const emulated = (world: FixtureWorld.FixtureWorld, module: Module) =>
  module.source.id in world.moduleEndpoints ||
  (module.source.id === dnsSource.id && world.moduleEndpoints.dnsServers.length > 0) ||
  world.moduleConfig[module.id] !== undefined

/** The seeds: the domain chains one hop; an entity of every other input type is asked of its own. */
const seedsFor = (
  world: FixtureWorld.FixtureWorld
): ReadonlyArray<{ readonly entity: Entity; readonly depth: number }> => [
  { entity: Entity.make({ type: "DOMAIN", value: world.domain }), depth: 1 },
  { entity: Entity.make({ type: "IP", value: FixtureWorld.serviceAddress }), depth: 0 },
  { entity: Entity.make({ type: "EMAIL", value: world.expected.certificateEmails[0]! }), depth: 0 },
  { entity: Entity.make({ type: "ASN", value: `AS${IntelWorld.autonomousSystems[0]!.asn}` }), depth: 0 },
  // The company's account on the code and image hosts, by the name it goes by there, and its member.
  { entity: Entity.make({ type: "ORGANIZATION", value: IntelWorld.codeAccounts[0]!.login }), depth: 0 },
  { entity: Entity.make({ type: "USERNAME", value: IntelWorld.codeAccounts[0]!.members[0]! }), depth: 0 },
  // The enrichment inputs: a block of the world's addresses, its phone, a CVE its hosts carry, a product, a page and
  // a certificate fingerprint (which the certificate sources look up whether or not they know it).
  { entity: Entity.make({ type: "NETBLOCK", value: "192.0.2.8/29" }), depth: 0 },
  { entity: Entity.make({ type: "PHONE", value: `+${IntelWorld.sandboxPhone.number}` }), depth: 0 },
  { entity: Entity.make({ type: "VULNERABILITY", value: "CVE-2024-23897" }), depth: 0 },
  { entity: Entity.make({ type: "TECHNOLOGY", value: "nginx 1.25.3" }), depth: 0 },
  { entity: Entity.make({ type: "URL", value: `https://${world.domain}/` }), depth: 0 },
  { entity: Entity.make({ type: "CERTIFICATE", value: "a".repeat(64) }), depth: 0 }
]

/** The most of `times` (ms) in any one second: at most the rate plus its burst for a held source. */
const busiestSecond = (times: ReadonlyArray<number>) => {
  const sorted = [...times].sort((a, b) => a - b)
  let busiest = 0
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= 1000) j++
    busiest = Math.max(busiest, i - j + 1)
  }
  return busiest
}

export const passiveScan = Effect.gen(function*() {
  const world = yield* FixtureWorld.make
  const passive = modules.filter((module) => module.flags.includes("passive"))
  const chosen = passive.filter((module) => emulated(world, module))
  const sources = Array.from(new Set(chosen.map((module) => module.source.id)))
  const seeds = seedsFor(world)
  const untaken = Array.from(new Set(chosen.flatMap((module) => module.input_types)))
    .filter((type: EntityType) => !seeds.some((seed) => seed.entity.type === type))
  if (untaken.length > 0) return yield* Effect.dieMessage(`no seed of input types ${untaken.join(", ")}`)

  const log = CollectionLogMemory.makeStore()
  const executor = ModuleExecutor.layerMemory({
    endpoints: world.moduleEndpoints,
    keys: Object.fromEntries(Object.entries(IntelWorld.keys).map(([source, key]) => [source, [key]])),
    log,
    settings: {
      cacheTtlMs: 0,
      sources: Object.fromEntries(
        sources.map((source) => [source, { rate_limit: { requests: rate, perSeconds: 1, burst: 1 } }])
      ),
      moduleOverrides: world.moduleConfig
    }
  })
  const node = yield* startNode(defaults("bench-passive"), executor)
  yield* Effect.sleep("2 seconds")
  const plan: ReadonlyArray<PlannedModule> = chosen.map((module) => ({
    id: module.id,
    input_types: module.input_types,
    output_types: module.output_types,
    config: {}
  }))
  const ids: Array<ScanId> = []
  for (const seed of seeds) {
    const id = randomUUID() as ScanId
    ids.push(id)
    yield* createScans([id], () => seed.entity, plan, { recursion_depth: seed.depth })
  }
  const started = performance.now()
  yield* startScans(ids)
  const ended = Effect.map(
    Effect.all([countStatus("COMPLETED"), countStatus("FAILED"), countStatus("CANCELLED")]),
    (counts) => counts.reduce((a, b) => a + b, 0) >= ids.length
  )
  while (!(yield* ended)) yield* Effect.sleep("50 millis")
  const wallS = (performance.now() - started) / 1000
  yield* node.kill

  const requests = log.entries.filter((entry) => entry.kind === "request")
  const timesOf = (source: string): ReadonlyArray<number> =>
    source === dnsSource.id
      ? world.dns.askedAt()
      : requests.filter((entry) => entry.source === source).map((entry) => entry.at)
  const perSource = sources.map((source) => {
    const held = !unheld.has(source)
    // crtsh_db's queries are the world's certwatch statements (counted; their spacing is checked by its own test).
    const count = source === "crtsh_db"
      ? world.certwatch.statements().filter((statement) => /certificate_and_identities/i.test(statement)).length
      : timesOf(source).length
    return {
      source,
      held,
      requests: count,
      floorS: held ? Math.max(0, count - 1) / rate : 0,
      busiest: held ? busiestSecond(timesOf(source)) : 0
    }
  })
  const slowest = perSource.reduce((a, b) => (b.floorS > a.floorS ? b : a))
  // Where the slowest source's requests fell in the run: a late first one or gaps are the scheduler's share of wall.
  const slowestTimes = [...timesOf(slowest.source)].sort((a, b) => a - b)
  const startedAt = Date.now() - (performance.now() - started)
  const asked = perSource.filter((s) => s.requests > 0)
  return {
    wallS,
    boundS: slowest.floorS,
    slowest: slowest.source,
    slowestFirstS: ((slowestTimes[0] ?? startedAt) - startedAt) / 1000,
    slowestLastS: ((slowestTimes.at(-1) ?? startedAt) - startedAt) / 1000,
    sources: asked.length,
    emulated: sources.length,
    passiveSources: new Set(passive.map((module) => module.source.id)).size,
    notAsked: perSource.filter((s) => s.requests === 0).map((s) => s.source),
    unheld: asked.filter((s) => !s.held).map((s) => `${s.source} ${s.requests}`),
    modules: chosen.length,
    passiveModules: passive.length,
    scans: seeds.map((seed) => `${seed.entity.type} depth ${seed.depth}`),
    requests: asked.reduce((sum, s) => sum + s.requests, 0),
    overRate: perSource.filter((s) => s.busiest > rate + 1).map((s) => `${s.source} ${s.busiest}/s`)
  }
})
