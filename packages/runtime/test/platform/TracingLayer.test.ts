import { HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { ConfigProvider, Effect, Exit, Layer, Option } from "effect"
import * as Tracing from "../../src/platform/Tracing.js"

/** Whether a span made under the layer is recorded (sampled). */
const sampledUnder = <ROut>(layer: Layer.Layer<ROut>) =>
  Effect.map(Effect.withSpan(Effect.currentSpan, "task", { captureStackTrace: false }), (span) => span.sampled).pipe(
    Effect.provide(layer)
  )

/** The layer as a process without an OTLP endpoint gets it. */
const untraced = Layer.provide(Tracing.layer("mirage-test"), Layer.setConfigProvider(ConfigProvider.fromMap(new Map())))

/** The name of the span a request's handler runs in, the app handled as a server handles every app it serves. */
const spanOfRequest = Effect.gen(function*() {
  let seen: Option.Option<string> = Option.none()
  const handler = Effect.map(Effect.option(Effect.currentSpan), (span) => {
    seen = Option.map(span, (s) => s.name)
    return HttpServerResponse.empty()
  })
  const request = HttpServerRequest.fromWeb(new Request("http://gateway/scans?limit=20"))
  yield* Effect.provideService(
    HttpApp.toHandled(handler, () => Effect.void),
    HttpServerRequest.HttpServerRequest,
    request
  )
  return seen
})

describe("Tracing.layer", () => {
  it.effect("without an OTLP endpoint makes no spans at all", () =>
    Effect.gen(function*() {
      expect(yield* sampledUnder(untraced)).toBe(false)
    }))

  it.effect("the same span under a tracer over a processor is recorded", () =>
    Effect.gen(function*() {
      const processor = new SimpleSpanProcessor(new InMemorySpanExporter())
      expect(yield* sampledUnder(Tracing.layerWith("mirage-test", processor))).toBe(true)
    }))

  it.effect("annotate sets attributes on a recorded span, and with tracing off does nothing", () =>
    Effect.gen(function*() {
      const exporter = new InMemorySpanExporter()
      const request = Effect.withSpan(Tracing.annotate({ "mirage.key_id": "k1" }), "request", {
        captureStackTrace: false
      })
      // Read before the layer ends: its shutdown empties the exporter.
      const exported = yield* request.pipe(
        Effect.zipRight(Effect.sync(() => exporter.getFinishedSpans().map((span) => [span.name, span.attributes]))),
        Effect.provide(Tracing.layerWith("mirage-test", new SimpleSpanProcessor(exporter)))
      )
      expect(exported).toEqual([["request", { "mirage.key_id": "k1" }]])
      expect(yield* Effect.exit(Effect.provide(request, untraced))).toEqual(Exit.void)
    }))

  it.effect("whenTraced records its span with tracing on; with it off the effect runs in no span and builds no options", () =>
    Effect.gen(function*() {
      const exporter = new InMemorySpanExporter()
      let built = 0
      // The span the effect runs in (none: the name of its parent, when it has one).
      const inner = Effect.map(Effect.option(Effect.currentSpan), Option.map((span) => span.name))
      const spanned = inner.pipe(Tracing.whenTraced("EventStore.append", () => {
        built++
        return { captureStackTrace: false, attributes: { appends: 3 } }
      }))
      const traced = yield* spanned.pipe(
        Effect.zip(Effect.sync(() => exporter.getFinishedSpans().map((span) => [span.name, span.attributes]))),
        Effect.provide(Tracing.layerWith("mirage-test", new SimpleSpanProcessor(exporter)))
      )
      expect(traced).toEqual([Option.some("EventStore.append"), [["EventStore.append", { appends: 3 }]]])
      expect(built).toBe(1)
      // Off: inside an outer span the effect sees the outer one; under `Effect.withSpan` it would see a no-op span of
      // its own, put into its context.
      const outer = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.withSpan(effect, "outer")
      expect(yield* Effect.provide(outer(spanned), untraced)).toEqual(Option.some("outer"))
      expect(yield* Effect.provide(outer(Effect.withSpan(inner, "EventStore.append")), untraced)).toEqual(
        Option.some("EventStore.append")
      )
      expect(built).toBe(1)
    }))

  it.effect("with tracing off the HTTP server's span middleware is skipped: no span, not even one recording nothing", () =>
    Effect.gen(function*() {
      // The tracer disabled alone leaves a span that records nothing, the request's URL and headers parsed for it.
      expect(yield* Effect.provide(spanOfRequest, untraced)).toEqual(Option.none())
    }))

  it.effect("with tracing on each request has its span", () =>
    Effect.gen(function*() {
      const processor = new SimpleSpanProcessor(new InMemorySpanExporter())
      expect(yield* Effect.provide(spanOfRequest, Tracing.layerWith("mirage-test", processor))).toEqual(
        Option.some("http.server GET")
      )
    }))
})
