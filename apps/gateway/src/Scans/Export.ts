/**
 * Result exports: every matching result streamed as a JSON array, NDJSON or CSV, page by page as
 * the client reads, so an export of any size holds one page in memory.
 */
import { HttpServerResponse } from "@effect/platform"
import type { ExportFormat } from "@mirage/domain/api/ScansApi"
import { CollectionResult } from "@mirage/domain/CollectionTask"
import { Effect, Schema, Stream } from "effect"

const encodeResult = Schema.encodeSync(CollectionResult)

export const csvColumns = [
  "id",
  "scan_id",
  "task_id",
  "module_id",
  "data_type",
  "data",
  "confidence",
  "collected_at",
  "hash",
  "parent"
] as const

/**
 * One CSV field (RFC 4180). Results are data from the internet: a field a spreadsheet would run as
 * a formula (leading = + - @, tab or CR) is prefixed with a quote.
 */
export const csvField = (value: string): string => {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll("\"", "\"\"")}"` : safe
}

export const csvRow = (result: CollectionResult): string => {
  const encoded = encodeResult(result) as unknown as Record<string, unknown>
  return csvColumns.map((column) => csvField(String(encoded[column] ?? ""))).join(",") + "\r\n"
}

const contentTypes: Record<ExportFormat, string> = {
  json: "application/json",
  ndjson: "application/x-ndjson",
  csv: "text/csv; charset=utf-8"
}

const extensions: Record<ExportFormat, string> = { json: "json", ndjson: "ndjson", csv: "csv" }

export const lines = <E, R>(results: Stream.Stream<CollectionResult, E, R>, format: ExportFormat) => {
  switch (format) {
    case "ndjson":
      return Stream.map(results, (r) => `${JSON.stringify(encodeResult(r))}\n`)
    case "csv":
      return Stream.concat(Stream.make(csvColumns.join(",") + "\r\n"), Stream.map(results, csvRow))
    case "json":
      return Stream.concat(
        Stream.mapAccum(results, true, (first, r) => [false, `${first ? "[" : ","}${JSON.stringify(encodeResult(r))}`]),
        // An empty export still needs its opening bracket: `[` is sent by the first item, else here.
        Stream.fromEffect(Effect.succeed("]"))
      ).pipe(Stream.mapAccum(false, (opened, text) => [true, !opened && text === "]" ? "[]" : text]))
  }
}

export const response = <E>(results: Stream.Stream<CollectionResult, E>, format: ExportFormat, name: string) =>
  HttpServerResponse.stream(Stream.encodeText(lines(results, format)), {
    contentType: contentTypes[format],
    headers: { "content-disposition": `attachment; filename="${name}.${extensions[format]}"` }
  })
