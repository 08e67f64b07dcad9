/**
 * The wire encoding of a Scan written out by hand: what `Schema.encode(Scan)` gives, without walking the schema for
 * every scan of every page (the largest part of a scans page's CPU). The tests compare both on generated scans.
 */
import { DateTime } from "effect"
import type { JsonBytesOf, JsonOf } from "./api/JsonText.js"
import { bytesOf, stringify } from "./api/JsonText.js"
import type { Entity } from "./Entity.js"
import { Scan } from "./Scan.js"
import type { Dependencies, ScanConfiguration, ScanDefinition, ScanModule } from "./Scan.js"
import type { PlannedModule, ScanHeader } from "./ScanEvent.js"
import type { ScanScope } from "./ScanScope.js"

const iso = (at: DateTime.Utc): string => DateTime.formatIso(at)

const isoOrNull = (at: DateTime.Utc | null): string | null => at === null ? null : DateTime.formatIso(at)

const scope = (value: ScanScope): typeof ScanScope.Encoded => ({
  ...(value.domains === undefined ? {} : { domains: [...value.domains] }),
  ...(value.blacklist === undefined ? {} : { blacklist: [...value.blacklist] })
})

const configuration = (value: ScanConfiguration): typeof ScanConfiguration.Encoded => ({
  max_duration: value.max_duration,
  max_results: value.max_results,
  priority: value.priority,
  recursion_depth: value.recursion_depth,
  task_timeout: value.task_timeout,
  ...(value.scope === undefined ? {} : { scope: scope(value.scope) }),
  ...(value.new_entities_only === undefined ? {} : { new_entities_only: value.new_entities_only })
})

const module = (value: ScanModule): typeof ScanModule.Encoded => ({
  id: value.id,
  enabled: value.enabled,
  config: value.config
})

const dependencies = (value: Dependencies | null): typeof Dependencies.Encoded | null =>
  value === null ? null : {
    scan_ids: [...value.scan_ids],
    result_types: [...value.result_types],
    on_failure: value.on_failure
  }

/** An entity as its schema encodes it. */
export const encodeEntity = (value: Entity): typeof Entity.Encoded => ({ type: value.type, value: value.value })

/**
 * `Schema.encodeSync(ScanDefinition)(definition)`, field by field: what the event store writes of a scan's definition
 * into its projection and snapshots.
 */
export const encodeDefinition = (definition: ScanDefinition): typeof ScanDefinition.Encoded => ({
  name: definition.name,
  description: definition.description,
  target: encodeEntity(definition.target),
  modules: definition.modules.map(module),
  configuration: configuration(definition.configuration)
})

/** `Schema.encodeSync(ScanHeader)(header)`, field by field. */
export const encodeHeader = (header: ScanHeader): typeof ScanHeader.Encoded => ({
  organization_id: header.organization_id,
  user_id: header.user_id,
  template_id: header.template_id,
  depends_on: dependencies(header.depends_on)
})

/** `Schema.encodeSync(PlannedModule)(planned)`, field by field. */
export const encodePlannedModule = (planned: PlannedModule): typeof PlannedModule.Encoded => ({
  id: planned.id,
  input_types: [...planned.input_types],
  output_types: [...planned.output_types],
  config: planned.config
})

/** `Schema.encodeSync(Scan)(scan)`, field by field. */
export const encodeScan = (scan: Scan): typeof Scan.Encoded => ({
  id: scan.id,
  name: scan.name,
  description: scan.description,
  user_id: scan.user_id,
  organization_id: scan.organization_id,
  status: scan.status,
  progress: scan.progress,
  target: encodeEntity(scan.target),
  modules: scan.modules.map(module),
  created_at: iso(scan.created_at),
  updated_at: iso(scan.updated_at),
  started_at: isoOrNull(scan.started_at),
  completed_at: isoOrNull(scan.completed_at),
  configuration: configuration(scan.configuration),
  result_count: scan.result_count,
  correlation_count: scan.correlation_count,
  status_reason: scan.status_reason,
  template_id: scan.template_id,
  depends_on: dependencies(scan.depends_on)
})

/** The JSON text of a scan's wire encoding. */
export const scanJson = (scan: Scan): JsonOf<typeof Scan> => stringify(Scan, encodeScan(scan))

// Scans are immutable: the answer's bytes of one are made once, however many pages and reads show it. Kept as bytes,
// outside the collected heap, and written as they are: a page of texts was joined, then encoded again to be sent.
const kept = new WeakMap<Scan, JsonBytesOf<typeof Scan>>()

/** The UTF-8 JSON of a scan's wire encoding, kept as long as the scan is. */
export const scanBytes = (scan: Scan): JsonBytesOf<typeof Scan> => {
  const known = kept.get(scan)
  if (known !== undefined) return known
  const bytes = bytesOf(scanJson(scan))
  kept.set(scan, bytes)
  return bytes
}
