/**
 * Correlation as results arrive: the node keeps one engine per scan it runs, fed with each batch of results its scan
 * actors store, and stores the findings as CORRELATION results of the scan. Rules that can only add findings report
 * them at once; the others when the scan ends (an observer settles it). An engine lost with its node is rebuilt from
 * the scan's stored results, its stored findings included, so nothing is reported twice. A scan's engine runs the
 * node's rules and, when the node has a RuleStore, its organization's own (read when the engine is made).
 */
import type { CollectionResult } from "@mirage/domain/CollectionTask"
import * as Engine from "@mirage/domain/correlation/Engine"
import { reported, targetElement, toElement, toResult } from "@mirage/domain/correlation/Results"
import type { Rule } from "@mirage/domain/correlation/Rule"
import type { Entity } from "@mirage/domain/Entity"
import type { OrganizationId, ScanId } from "@mirage/domain/Ids"
import { hasEnded } from "@mirage/domain/ScanMachine"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { Clock, Context, Effect, Layer, Option } from "effect"
import type { PersistenceError } from "../../platform/Errors.js"
import { ResultStore } from "../../scans/ResultStore.js"
import type { Persisted, ScanObserverService } from "../../scans/ScanObserver.js"
import * as Settings from "../Settings.js"
import { builtinFolder, loadFolder } from "./RuleFile.js"
import { rulesOf, RuleStore, withOwn } from "./RuleStore.js"
import * as RuleStorePostgres from "./RuleStore/Postgres.js"

/** The scan a batch belongs to: its id, its organization (whose own rules apply) and its targets. */
export interface ScanRef {
  readonly scan_id: ScanId
  readonly organization_id: OrganizationId
  readonly targets: ReadonlyArray<Entity>
}

export interface CorrelatorService {
  readonly rules: ReadonlyArray<Rule>
  /** The findings that results just stored for a scan complete: CORRELATION results to store for it. */
  readonly observe: (
    scan: ScanRef,
    stored: ReadonlyArray<CollectionResult>
  ) => Effect.Effect<ReadonlyArray<CollectionResult>, PersistenceError>
  /** The remaining findings of a scan that has ended; its engine is then dropped. */
  readonly settle: (scan: ScanRef) => Effect.Effect<ReadonlyArray<CollectionResult>, PersistenceError>
}

export class Correlator extends Context.Tag("@mirage/runtime/Correlator")<Correlator, CorrelatorService>() {}

/** Engines kept at most; the least recently started one is dropped past it (and rebuilt if its scan comes back). */
const maxEngines = 512

export const make = (rules: ReadonlyArray<Rule>) =>
  Effect.gen(function*() {
    const store = yield* ResultStore
    const own = yield* Effect.serviceOption(RuleStore)
    const engines = new Map<ScanId, Engine.Engine>()
    /** Without a rule store and without rules, there is nothing to correlate. */
    const idle = rules.length === 0 && Option.isNone(own)
    const rulesFor = (organizationId: OrganizationId) =>
      Option.isNone(own) ?
        Effect.succeed(rules) :
        Effect.map(rulesOf(own.value, organizationId), (mine) => withOwn(rules, mine))

    /**
     * The scan's engine, rebuilt from its stored results when this node has none (a new scan, or one moved here):
     * with the findings the rebuild found that were not stored yet (those stored are marked reported first).
     */
    const engineOf = ({ organization_id, scan_id: scanId, targets }: ScanRef) =>
      Effect.gen(function*() {
        const known = engines.get(scanId)
        if (known !== undefined) return { engine: known, rebuilt: undefined }
        const engine = Engine.make(yield* rulesFor(organization_id))
        const now = yield* Clock.currentTimeMillis
        const elements: Array<Engine.Element> = targets.map(targetElement)
        let cursor: string | undefined
        do {
          const page = yield* store.list({ owner: scanId, limit: 1000, ...(cursor === undefined ? {} : { cursor }) })
          for (const result of page.items) {
            const finding = reported(result)
            if (finding !== undefined) Engine.markEmitted(engine, finding.rule, finding.group)
            const element = toElement(result)
            if (element !== undefined) elements.push(element)
          }
          cursor = page.next_cursor ?? undefined
        } while (cursor !== undefined)
        const rebuilt = Engine.feed(engine, elements, now)
        if (engines.size >= maxEngines) engines.delete(engines.keys().next().value!)
        engines.set(scanId, engine)
        return { engine, rebuilt }
      })

    return Correlator.of({
      rules,
      observe: (scan, stored) =>
        idle ? Effect.succeed([]) : Effect.gen(function*() {
          const scanId = scan.scan_id
          const { engine, rebuilt } = yield* engineOf(scan)
          const now = yield* Clock.currentTimeMillis
          // A rebuilt engine has read this batch from the store already (it is stored before it is observed).
          const findings = rebuilt ?? Engine.feed(engine, stored.flatMap((result) => toElement(result) ?? []), now)
          return findings.map((finding) => toResult(scanId, finding, now))
        }),
      settle: (scan) =>
        idle ? Effect.succeed([]) : Effect.gen(function*() {
          const scanId = scan.scan_id
          const { engine, rebuilt } = yield* engineOf(scan)
          const now = yield* Clock.currentTimeMillis
          engines.delete(scanId)
          return [...(rebuilt ?? []), ...Engine.settle(engine)].map((finding) => toResult(scanId, finding, now))
        })
    })
  })

/** The scan's targets: what its first results were found from. */
export const targetsOf = (state: ScanState): ReadonlyArray<Entity> => [state.definition.target, ...state.seeds]

/** Settles the correlation of a scan that has ended, storing its last findings. */
export const observer = Effect.gen(function*() {
  const correlator = yield* Effect.serviceOption(Correlator)
  const store = yield* ResultStore
  return {
    persisted: ({ after, before }: Persisted): Effect.Effect<void> =>
      Option.isNone(correlator) || !hasEnded(before, after) || after.deleted ? Effect.void : correlator.value
        .settle({ scan_id: after.id, organization_id: after.header.organization_id, targets: targetsOf(after) })
        .pipe(
          Effect.flatMap((found) => found.length === 0 ? Effect.void : Effect.asVoid(store.insert(after.id, found))),
          Effect.catchAll((error) => Effect.logWarning("correlation settling failed", error))
        )
  } satisfies ScanObserverService
})

/** The built-in rules, and an organization's folder of its own when `MIRAGE_CORRELATION_RULES` names one. */
export const loadRules = Effect.gen(function*() {
  if (!(yield* Settings.correlation)) return []
  const builtin = yield* loadFolder(builtinFolder)
  const folder = yield* Settings.correlationRules
  const own = Option.isSome(folder) && folder.value.trim() !== "" ? yield* loadFolder(folder.value.trim()) : []
  // A rule of the folder with a built-in rule's id replaces it.
  return withOwn(builtin, own)
})

/**
 * The node's correlator over its result store, with the organizations' uploaded rules (Postgres) when correlation
 * is on; a malformed rule file stops the node with the file, line and reason.
 */
export const layer = Layer.unwrapEffect(Effect.gen(function*() {
  const rules = yield* loadRules
  const on = yield* Settings.correlation
  const correlator = Layer.effect(Correlator, make(rules))
  return on ? correlator.pipe(Layer.provide(RuleStorePostgres.layer)) : correlator
}))

export const layerWith = (rules: ReadonlyArray<Rule>) => Layer.effect(Correlator, make(rules))
