/**
 * Correlation findings as results of their scan, of type CORRELATION, and results as what rules read. A finding's
 * hash follows from its rule and group, so a finding reported again (after a restart) is stored once.
 */
import { DateTime, Either } from "effect"
import { CollectionResult } from "../CollectionTask.js"
import { canonicalize, resultHash } from "../Entity.js"
import type { Entity } from "../Entity.js"
import { resultIdFor, taskIdFor } from "../Ids.js"
import type { ModuleId, ScanId } from "../Ids.js"
import type { Element, Finding } from "./Engine.js"

/** The module id correlation results carry: no module has it (module ids have no such meaning here). */
export const correlationModule = "correlation" as ModuleId

/** At most this many evidence hashes are kept in a finding's metadata; `evidence_count` says how many there were. */
export const evidenceShown = 100

export const findingHash = (ruleId: string, group: string): string => resultHash("CORRELATION", `${ruleId}\n${group}`)

export const toResult = (scanId: ScanId, finding: Finding, now: number): CollectionResult => {
  const hash = findingHash(finding.rule.id, finding.group)
  const headline = Either.getOrElse(
    canonicalize("CORRELATION", finding.headline.slice(0, 1024)),
    () => finding.rule.meta.name
  )
  return new CollectionResult({
    id: resultIdFor(scanId, hash),
    task_id: taskIdFor(scanId, `CORRELATION:${finding.rule.id}`, correlationModule),
    scan_id: scanId,
    module_id: correlationModule,
    data_type: "CORRELATION",
    data: headline,
    source_data: {},
    confidence: 1,
    collected_at: DateTime.unsafeMake(now),
    metadata: {
      rule_id: finding.rule.id,
      rule_name: finding.rule.meta.name,
      risk: finding.rule.meta.risk,
      description: finding.rule.meta.description.trim(),
      group: finding.group,
      evidence_count: finding.evidence.length,
      evidence: finding.evidence.slice(0, evidenceShown)
    },
    hash,
    parent: finding.evidence[0] ?? null
  })
}

/** A stored result as rules see it; a correlation result is not one (rules read what modules found). */
export const toElement = (result: CollectionResult): Element | undefined =>
  result.data_type === "CORRELATION" ? undefined : {
    hash: result.hash,
    type: result.data_type,
    module: result.module_id,
    data: result.data,
    metadata: result.metadata,
    parent: result.parent
  }

/** A scan's target, which rules read as the source of what was found from it. */
export const targetElement = (target: Entity): Element => ({
  hash: resultHash(target.type, target.value),
  type: target.type,
  module: "target",
  data: target.value,
  metadata: {},
  parent: null
})

/** The rule and group of a stored correlation result, so that a rebuilt engine does not report it again. */
export const reported = (result: CollectionResult): { readonly rule: string; readonly group: string } | undefined => {
  if (result.data_type !== "CORRELATION") return undefined
  const { group, rule_id } = result.metadata
  return typeof rule_id === "string" && typeof group === "string" ? { rule: rule_id, group } : undefined
}
