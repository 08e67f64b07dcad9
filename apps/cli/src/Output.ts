/**
 * What the CLI prints: plain tables, progress bars and result summaries for people; for `--json`,
 * one JSON document on stdout encoded by the contract's schemas, and nothing else.
 */
import { Options } from "@effect/cli"
import type { SourceList } from "@mirage/domain/api/CollectApi"
import type { CollectionResult } from "@mirage/domain/CollectionTask"
import type { ScanProgressEvent } from "@mirage/domain/ScanProgress"
import { Console, DateTime, Effect, Schema } from "effect"

/** Prints a value as JSON, encoded by its schema (dates as ISO strings, snake_case as on the wire). */
export const json = <A, I>(schema: Schema.Schema<A, I>, value: A) =>
  Effect.flatMap(Effect.orDie(Schema.encode(schema)(value)), (encoded) => Console.log(JSON.stringify(encoded, null, 2)))

/** Columns padded to their widest cell. */
export const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd()
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")
}

export const bar = (done: number, total: number, width = 24): string => {
  const ratio = total <= 0 ? 0 : Math.min(1, done / total)
  const filled = Math.round(ratio * width)
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}%`
}

/** The lines of a progress display: the scan, then one bar per module (finished tasks of all its tasks). */
export const progressLines = (event: ScanProgressEvent): ReadonlyArray<string> => {
  const header = `${event.status.padEnd(9)} ${bar(event.progress, 1)}  ${event.result_count} results  ` +
    `tasks: ${event.tasks.completed} done, ${event.tasks.running} running, ${event.tasks.queued} queued` +
    (event.tasks.failed > 0 ? `, ${event.tasks.failed} failed` : "")
  const width = Math.max(0, ...event.modules.map((m) => m.module_id.length))
  const modules = event.modules.map((m) => {
    const total = m.queued + m.running + m.completed + m.failed + m.cancelled
    const ended = m.completed + m.failed + m.cancelled
    return `  ${m.module_id.padEnd(width)} ${bar(ended, total)}  ${ended}/${total} tasks  ${m.result_count} results`
  })
  return [header, ...modules]
}

export interface Summary {
  readonly total: number
  readonly by_type: Record<string, number>
  readonly by_module: Record<string, number>
}

const countBy = (results: ReadonlyArray<CollectionResult>, key: (r: CollectionResult) => string) => {
  const counts: Record<string, number> = {}
  for (const result of results) counts[key(result)] = (counts[key(result)] ?? 0) + 1
  return counts
}

export const summarize = (results: ReadonlyArray<CollectionResult>): Summary => ({
  total: results.length,
  by_type: countBy(results, (r) => r.data_type),
  by_module: countBy(results, (r) => r.module_id)
})

export const resultTable = (results: ReadonlyArray<CollectionResult>): string =>
  table(
    ["TYPE", "DATA", "MODULE", "CONFIDENCE"],
    results.map((r) => [r.data_type, r.data, r.module_id, r.confidence.toFixed(2)])
  )

export const summaryText = (summary: Summary, results: ReadonlyArray<CollectionResult>, shown: number): string => {
  const types = table(
    ["TYPE", "COUNT"],
    Object.entries(summary.by_type).sort(([, a], [, b]) => b - a).map(([type, n]) => [type, String(n)])
  )
  const more = results.length > shown ? `\n… and ${results.length - shown} more (mirage results <id>)` : ""
  return `${summary.total} results\n\n${types}\n\n${resultTable(results.slice(0, shown))}${more}`
}

const at = (time: DateTime.Utc | null) => (time === null ? "" : DateTime.formatIso(time))

/**
 * The sources, then one line per configured key (by label and fingerprint, never the key): ok, rate limited until
 * when, or parked until when and why.
 */
export const sourcesText = (list: SourceList): string => {
  const sources = table(
    ["ID", "STATE", "RATE", "KEY", "MODULES"],
    list.items.map((s) => [
      s.id,
      s.state,
      `${s.rate_limit.requests}/${s.rate_limit.per_seconds}s`,
      s.requires_key || s.keys.length > 0 ? (s.key_configured ? `${s.keys.length} configured` : "missing") : "-",
      s.module_ids.join(",")
    ])
  )
  const keyed = list.items.filter((s) => s.keys.length > 0)
  if (keyed.length === 0) return sources
  const keys = table(
    ["SOURCE", "KEY", "FINGERPRINT", "STATE", "UNTIL", "REASON"],
    keyed.flatMap((s) =>
      s.keys.map((k) => [
        s.id,
        k.label,
        k.fingerprint,
        k.state,
        k.state === "parked" ? at(k.parked_until) : at(k.rate_limited_until),
        k.parked_reason ?? ""
      ])
    )
  )
  return `${sources}\n\n${keys}`
}

/** `--json`: machine output only, one JSON document on stdout. */
export const jsonFlag = Options.boolean("json").pipe(
  Options.withDescription("Machine output only: one JSON document on stdout")
)
