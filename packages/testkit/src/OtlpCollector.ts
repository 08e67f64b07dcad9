/**
 * An OpenTelemetry collector's OTLP/HTTP trace receiver (`POST /v1/traces`, JSON encoding as the
 * OTLP specification defines it: ids in hex, attributes as typed `AnyValue`s). Processes under test
 * export to it with `OTEL_EXPORTER_OTLP_ENDPOINT` set to its URL; tests read the spans back.
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

interface AnyValue {
  readonly stringValue?: string
  readonly intValue?: string | number
  readonly doubleValue?: number
  readonly boolValue?: boolean
}

interface KeyValue {
  readonly key: string
  readonly value: AnyValue
}

interface OtlpSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly attributes?: ReadonlyArray<KeyValue>
}

interface ExportTraceServiceRequest {
  readonly resourceSpans?: ReadonlyArray<{
    readonly resource?: { readonly attributes?: ReadonlyArray<KeyValue> }
    readonly scopeSpans?: ReadonlyArray<{ readonly spans?: ReadonlyArray<OtlpSpan> }>
  }>
}

/** A received span, flattened: its resource's attributes alongside its own. */
export interface ReceivedSpan {
  readonly traceId: string
  readonly spanId: string
  /** Absent for a root span. */
  readonly parentSpanId: string | undefined
  readonly name: string
  readonly attributes: Readonly<Record<string, string | number | boolean>>
  readonly resource: Readonly<Record<string, string | number | boolean>>
}

export interface OtlpCollector {
  /** "http://127.0.0.1:PORT": the value for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string
  readonly spans: () => ReadonlyArray<ReceivedSpan>
}

const valueOf = (value: AnyValue): string | number | boolean =>
  value.stringValue ?? value.boolValue ?? value.doubleValue ?? Number(value.intValue ?? Number.NaN)

const record = (attributes: ReadonlyArray<KeyValue> | undefined) =>
  Object.fromEntries((attributes ?? []).map((kv) => [kv.key, valueOf(kv.value)]))

/** Flattens one export request; a malformed body yields nothing. */
export const parse = (body: string): ReadonlyArray<ReceivedSpan> => {
  let request: ExportTraceServiceRequest
  try {
    request = JSON.parse(body) as ExportTraceServiceRequest
  } catch {
    return []
  }
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = record(resourceSpans.resource?.attributes)
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId === undefined || span.parentSpanId === "" ? undefined : span.parentSpanId,
        name: span.name,
        attributes: record(span.attributes),
        resource
      }))
    )
  })
}

export const make: Effect.Effect<OtlpCollector, never, Scope.Scope> = Effect.gen(function*() {
  const received: Array<ReceivedSpan> = []
  const server = yield* HttpFixture.make("http://127.0.0.1", (request) => {
    if (request.method !== "POST" || request.url.pathname !== "/v1/traces") return HttpFixture.notFound()
    received.push(...parse(request.body))
    return HttpFixture.json({ partialSuccess: {} })
  })
  return { url: server.url, spans: () => received.slice() }
})
