/**
 * One trace per scan. A scan's trace id is its id (a UUID is 128 bits, like a trace id) and the
 * span id of its root span is derived from it, so every process that ever works on the scan —
 * whichever node owns it, before or after a takeover — parents its task spans to the same root
 * without passing context around: the scan id in the stream entry and in the persisted state is
 * the trace context. The root `scan` span itself is emitted once, by the node that persists the
 * scan's end, with the ids derived here and the scan's start and end times.
 *
 * Commands keep the trace of the HTTP request that sent them as a link (the W3C `traceparent`
 * travels in the stream entry). Spans are exported over OTLP/HTTP when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set; without it, no span is made.
 */
import { NodeSdk } from "@effect/opentelemetry"
import type * as Resource from "@effect/opentelemetry/Resource"
import { HttpMiddleware } from "@effect/platform"
import type { ScanId } from "@mirage/domain/Ids"
import { isTerminal } from "@mirage/domain/Scan"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import type { IdGenerator, SpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Clock, Config, Context, Effect, Exit, FiberRef, Layer, Option, Tracer } from "effect"
import { hash, randomBytes } from "node:crypto"
import type { ScanObserverService } from "../scans/ScanObserver.js"
import * as Settings from "./Settings.js"

/** The ids of a scan's trace: the trace id is the scan id's 32 hex digits; the root span's id derives from it. */
export const scanTrace = (scanId: string): { readonly traceId: string; readonly spanId: string } => ({
  traceId: scanId.replaceAll("-", "").toLowerCase(),
  spanId: hash("sha256", `mirage.scan:${scanId}`, "hex").slice(0, 16)
})

/** The scan's root span as a parent, wherever the scan runs. */
export const scanParent = (scanId: ScanId | string): Tracer.ExternalSpan =>
  Tracer.externalSpan({ ...scanTrace(scanId), sampled: true })

/** A W3C `traceparent` as a span to link to; none when absent or malformed. */
export const fromTraceparent = (traceparent: string | null): Option.Option<Tracer.ExternalSpan> => {
  const match = traceparent === null ? null : /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceparent)
  if (match === null) return Option.none()
  return Option.some(Tracer.externalSpan({
    traceId: match[1]!,
    spanId: match[2]!,
    sampled: (Number.parseInt(match[3]!, 16) & 1) === 1
  }))
}

/** The scan id (a UUID) back from its trace id. */
const scanIdOf = (span: Tracer.ExternalSpan) =>
  span.traceId.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5")

/** A scan's root span as a parent, derived (which hashes) by the first span that asks for it, then kept. */
export class LazyScanParent {
  private span: Tracer.ExternalSpan | undefined
  constructor(readonly scanId: string) {}
  get parent(): Tracer.ExternalSpan {
    return this.span ??= scanParent(this.scanId)
  }
}

/** A scan as a parent: its id (the parent is derived, which hashes), the parent itself, or the parent once needed. */
export type ScanRef = Tracer.ExternalSpan | LazyScanParent | ScanId | string

const parentOf = (scan: ScanRef) =>
  typeof scan === "string" ? scanParent(scan) : scan instanceof LazyScanParent ? scan.parent : scan
const idOf = (scan: ScanRef) =>
  typeof scan === "string" ? scan : scan instanceof LazyScanParent ? scan.scanId : scanIdOf(scan)

/**
 * Sets attributes on the current span. With tracing off it does nothing at all: `Effect.annotateCurrentSpan` finds no
 * span it may annotate then and builds an exception (with its stack) to say so, which cost every API request.
 */
export const annotate = (attributes: Record<string, unknown>): Effect.Effect<void> =>
  Effect.flatMap(
    FiberRef.get(FiberRef.currentTracerEnabled),
    (enabled) => enabled ? Effect.annotateCurrentSpan(attributes) : Effect.void
  )

/**
 * Runs `effect` in the span `options` gives, only while tracing is on. With it off, `Effect.withSpan` still makes a
 * span that goes nowhere and puts it in the effect's context: a copy of the fiber's services and two of its fiber
 * refs, about 5 µs, on paths every scan, batch or task takes. Here the effect runs as it is, and the span's options
 * (a scan's parent derives by hashing) are not even built.
 */
export const whenTraced =
  (name: string, options: () => Tracer.SpanOptions) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(
      FiberRef.get(FiberRef.currentTracerEnabled),
      (enabled) => enabled ? Effect.withSpan(effect, name, options()) : effect
    )

/** Runs `effect` in a span that is a child of the scan's root span. No call-site stack is captured: these are many. */
export const inScan = (scan: ScanRef, name: string, attributes: Record<string, unknown> = {}) =>
  whenTraced(name, () => ({
    parent: parentOf(scan),
    captureStackTrace: false,
    attributes: { "mirage.scan_id": idOf(scan), ...attributes }
  }))

/** The span of a command handled by a scan's actor: a child of the scan, linked to the request that sent it. */
export const commandSpan = (
  scan: ScanRef,
  envelope: {
    readonly command: { readonly _tag: string }
    readonly command_id: string
    readonly traceparent: string | null
  },
  outcome: string
) =>
  whenTraced("scan.command", () => ({
    parent: parentOf(scan),
    captureStackTrace: false,
    links: Option.match(fromTraceparent(envelope.traceparent), {
      onNone: () => [],
      onSome: (span) => [{ _tag: "SpanLink", span, attributes: { "mirage.link": "request" } }]
    }),
    attributes: {
      "mirage.scan_id": idOf(scan),
      "mirage.command": envelope.command._tag,
      "mirage.command_id": envelope.command_id,
      "mirage.outcome": outcome
    }
  }))

/**
 * Random ids, except for the one span being started right after `claim`: the scan's root span
 * takes the ids `scanTrace` derives. Claiming and starting happen in one synchronous step, so no
 * other span can take them.
 */
export class ScanIdGenerator implements IdGenerator {
  private claimed: { readonly traceId: string; readonly spanId: string } | undefined
  claim(ids: { readonly traceId: string; readonly spanId: string }) {
    this.claimed = ids
  }
  release() {
    this.claimed = undefined
  }
  generateTraceId(): string {
    return this.claimed?.traceId ?? randomBytes(16).toString("hex")
  }
  generateSpanId(): string {
    return this.claimed?.spanId ?? randomBytes(8).toString("hex")
  }
}

/** The generator of this process's tracer provider: the root-span emitter claims ids through it. */
export const idGenerator = new ScanIdGenerator()

const rootAttributes = (state: ScanState): Record<string, unknown> => ({
  "mirage.scan_id": state.id,
  "mirage.scan.name": state.definition.name,
  "mirage.scan.status": state.status,
  "mirage.scan.target_type": state.definition.target.type,
  "mirage.scan.result_count": state.result_count,
  "mirage.scan.tasks_completed": state.counts.completed,
  "mirage.scan.tasks_failed": state.counts.failed,
  "mirage.organization_id": state.header.organization_id
})

const nanos = (millis: number) => BigInt(Math.round(millis)) * 1_000_000n

/**
 * Emits the scan's root span (start: when it started, else when it was created; end: when it
 * ended) with the derived ids, through the process's tracer (with OpenTelemetry, its provider must
 * use `idGenerator`, as `layerWith` does).
 */
export const emitScanSpan = (state: ScanState) =>
  Effect.gen(function*() {
    const tracer = yield* Effect.tracer
    const now = yield* Clock.currentTimeMillis
    const start = state.started_at ?? state.created_at
    const end = Math.max(start, state.completed_at ?? now)
    const span = yield* Effect.sync(() => {
      idGenerator.claim(scanTrace(state.id))
      try {
        return tracer.span("scan", Option.none(), Context.empty(), [], nanos(start), "internal", { root: true })
      } finally {
        idGenerator.release()
      }
    })
    for (const [key, value] of Object.entries(rootAttributes(state))) span.attribute(key, value)
    span.end(nanos(end), state.status === "FAILED" ? Exit.die(state.reason ?? "failed") : Exit.void)
  })

/** The observer that emits a scan's root span when its end is persisted (once: the end is persisted once). */
export const observer: ScanObserverService = {
  persisted: ({ after, before }) =>
    !isTerminal(before.status) && isTerminal(after.status) ? emitScanSpan(after) : Effect.void
}

/** A tracer over the given span processors, with the scan-aware id generator (tests give an in-memory exporter). */
export const layerWith = (
  serviceName: string,
  processors: SpanProcessor | ReadonlyArray<SpanProcessor>,
  attributes: Record<string, string> = {}
): Layer.Layer<Resource.Resource> =>
  NodeSdk.layer(() => ({
    resource: { serviceName, attributes },
    spanProcessor: processors,
    tracerConfig: { idGenerator }
  }))

export const TracingConfig = Config.all({
  endpoint: Settings.otlpEndpoint,
  serviceName: Settings.serviceName,
  /** Tells the processes of one service apart in a trace: a node's id, else host and pid. */
  instance: Settings.instanceId
})

/**
 * Tracing off: no span is made, and the HTTP server's span middleware is skipped whole. With the tracer disabled it
 * would still parse each request's URL, copy its headers to redact them and read a parent from them, for a span that
 * does nothing.
 */
const layerOff: Layer.Layer<Resource.Resource> = Layer.mergeAll(
  NodeSdk.layerEmpty,
  Layer.setTracerEnabled(false),
  Layer.locallyScoped(HttpMiddleware.currentTracerDisabledWhen, () => true)
)

/**
 * OTLP/HTTP export when OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter reads the standard OTEL_* settings). Without
 * it, tracing is off: spans that nobody would read are not made at all (every task of every scan has one).
 */
export const layer = (defaultServiceName: string): Layer.Layer<Resource.Resource> =>
  Layer.unwrapEffect(Effect.map(Effect.orDie(TracingConfig), (config) =>
    Option.isNone(config.endpoint)
      ? layerOff
      : layerWith(
        Option.getOrElse(config.serviceName, () => defaultServiceName),
        new BatchSpanProcessor(new OTLPTraceExporter()),
        { "service.instance.id": config.instance }
      )))
