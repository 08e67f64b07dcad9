/**
 * What a task's findings become in its scan: canonical entities for the state machine, and the new ones as results,
 * within the scan's result budget. Pure, so the scan's actor only stores the results and appends the events.
 */
import { DateTime, Either, HashMap } from "effect"
import { CollectionResult } from "./CollectionTask.js"
import { enrichmentHash, entityKey, normalizeEntity, resultHash } from "./Entity.js"
import type { Entity, EntityType } from "./Entity.js"
import { resultIdFor } from "./Ids.js"
import type { ScanId } from "./Ids.js"
import type { TaskSucceeded } from "./ScanEvent.js"
import type { ScanState, TaskEntry } from "./ScanMachine.js"
import { deepTextProblem, storable, textProblem } from "./Text.js"
import { trusted } from "./Trusted.js"

/** One thing a module reported, as it reported it: not yet canonical, maybe not even of its type. */
export interface Finding {
  readonly type: EntityType
  readonly value: string
  readonly confidence: number
  readonly source_data: Readonly<Record<string, unknown>>
  readonly metadata: Readonly<Record<string, unknown>>
  /** Set when the finding is about the task's own entity (a listing, a classification): its enrichment. */
  readonly enrichment?: boolean
}

export interface Admitted {
  /** Canonical entities, each once: the new ones stored and the ones the scan has seen before. */
  readonly entities: ReadonlyArray<Entity>
  /** The new entities that fit in the result budget, with the finding each came from. */
  readonly stored: ReadonlyArray<{ readonly entity: Entity; readonly finding: Finding }>
  /**
   * What the module said about the entity it was given (a DNSBL listing, a phone's line type): a finding of the
   * task's own entity marked `enrichment`. Kept as the entity's enrichment by this module, outside the result budget (one
   * per task at most), instead of being dropped as a repeat.
   */
  readonly enrichment?: { readonly entity: Entity; readonly finding: Finding }
}

/**
 * The finding with every character the stores cannot keep (U+0000, a lone surrogate) replaced by U+FFFD, in its value,
 * source data and metadata: a module's stray byte is kept visibly rather than failing the scan's append or the
 * results' read copy in PostgreSQL. The finding itself when it has none (the usual case, found with one scan).
 */
export const storableFinding = (finding: Finding): Finding =>
  textProblem(finding.value) === undefined && deepTextProblem(finding.source_data) === undefined &&
    deepTextProblem(finding.metadata) === undefined
    ? finding
    : {
      ...finding,
      value: storable(finding.value),
      source_data: storable(finding.source_data),
      metadata: storable(finding.metadata)
    }

const mergeEnrichment = (first: Finding, next: Finding): Finding => ({
  ...first,
  confidence: Math.max(first.confidence, next.confidence),
  source_data: { ...next.source_data, ...first.source_data },
  metadata: { ...next.metadata, ...first.metadata }
})

/**
 * Findings to canonical entities: new ones (stored as results, within the result budget) and ones seen before, which
 * only go to `decide` — found closer to the target, they are planned. Unstorable characters are replaced first
 * (`storableFinding`). Findings that are not of their type, repeats within the batch, and new entities past the budget
 * are dropped.
 */
export const admit = (
  state: ScanState,
  findings: ReadonlyArray<Finding>,
  input?: { readonly type: EntityType; readonly value: string }
): Admitted => {
  const budget = state.definition.configuration.max_results - state.result_count
  const entities: Array<Entity> = []
  const stored: Array<{ readonly entity: Entity; readonly finding: Finding }> = []
  const fresh = new Set<string>()
  const inputKey = input === undefined ? undefined : entityKey(input)
  let enrichment: { readonly entity: Entity; readonly finding: Finding } | undefined
  for (const found of findings) {
    const finding = storableFinding(found)
    const entity = normalizeEntity(finding)
    if (Either.isLeft(entity)) continue
    const key = entityKey(entity.right)
    if (key === inputKey && finding.enrichment === true) {
      // Several findings about the input (one per listing zone) are one enrichment; the first one's fields win.
      enrichment = enrichment === undefined
        ? { entity: entity.right, finding }
        : { entity: enrichment.entity, finding: mergeEnrichment(enrichment.finding, finding) }
    }
    if (fresh.has(key)) continue
    fresh.add(key)
    if (HashMap.has(state.seen, key)) {
      entities.push(entity.right)
    } else if (stored.length < budget) {
      entities.push(entity.right)
      stored.push({ entity: entity.right, finding })
    }
  }
  return enrichment === undefined ? { entities, stored } : { entities, stored, enrichment }
}

/** The result a canonical entity is stored as: its id follows from the scan and the entity, so a repeat lands once. */
export const toResult = (
  scanId: ScanId,
  task: TaskEntry,
  entity: Entity,
  finding: Finding,
  now: number,
  /** The task's entity's result hash, when the caller has it already (it is every result's of the task). */
  parent: string = resultHash(task.entity.type, task.entity.value)
): CollectionResult => {
  const hash = resultHash(entity.type, entity.value)
  // Built from values already checked (the entity is canonical, the confidence clamped).
  return trusted(CollectionResult, {
    id: resultIdFor(scanId, hash),
    task_id: task.task_id,
    scan_id: scanId,
    module_id: task.module_id,
    data_type: entity.type,
    data: entity.value,
    source_data: { ...finding.source_data },
    confidence: Math.min(1, Math.max(0, finding.confidence)),
    collected_at: DateTime.unsafeMake(now),
    metadata: { ...finding.metadata },
    hash,
    parent
  })
}

/**
 * A module's enrichment of its task's entity as a result of its own: the entity's type and value, the module's
 * metadata plus `enriches` (the entity's own result hash), keyed by entity and module so a repeat lands once.
 */
export const toEnrichment = (
  scanId: ScanId,
  task: TaskEntry,
  entity: Entity,
  finding: Finding,
  now: number
): CollectionResult => {
  const own = toResult(scanId, task, entity, finding, now)
  const hash = enrichmentHash(entity.type, entity.value, task.module_id)
  return trusted(CollectionResult, {
    ...own,
    id: resultIdFor(scanId, hash),
    hash,
    metadata: { ...own.metadata, enriches: resultHash(entity.type, entity.value) },
    parent: resultHash(entity.type, entity.value)
  })
}

/**
 * Which of a task's entities its scan records without expanding: with `new_entities_only`, those its series'
 * inventory held before the scan (`known`, by `entityKey`); none otherwise, or when the inventory is not known.
 */
export const unexpanded = (
  state: ScanState,
  entities: ReadonlyArray<Entity>,
  known: ReadonlySet<string> | undefined
): ReadonlyArray<string> =>
  known === undefined || state.definition.configuration.new_entities_only !== true
    ? []
    : entities.map(entityKey).filter((key) => known.has(key))

/**
 * A task's findings as the results to store, then the command that reports the task's success to the machine;
 * `known` is the series' inventory before the scan, for a scan that expands only new entities.
 */
export const taskSucceeded = (
  state: ScanState,
  task: TaskEntry,
  findings: ReadonlyArray<Finding>,
  now: number,
  known?: ReadonlySet<string>
): { readonly results: ReadonlyArray<CollectionResult>; readonly command: typeof TaskSucceeded.Type } => {
  const admitted = admit(state, findings, task.entity)
  const settled = unexpanded(state, admitted.entities, known)
  const enriched = admitted.enrichment === undefined
    ? []
    : [toEnrichment(state.id, task, admitted.enrichment.entity, admitted.enrichment.finding, now)]
  const parent = admitted.stored.length > 1 ? resultHash(task.entity.type, task.entity.value) : undefined
  return {
    results: [
      ...admitted.stored.map(({ entity, finding }) => toResult(state.id, task, entity, finding, now, parent)),
      ...enriched
    ],
    command: {
      _tag: "TaskSucceeded",
      task_id: task.task_id,
      result_count: admitted.stored.length,
      entities: admitted.entities,
      ...(settled.length === 0 ? {} : { known: settled })
    }
  }
}
