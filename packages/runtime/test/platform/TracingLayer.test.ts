import { describe, expect, it } from "@effect/vitest"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import * as Tracing from "../../src/platform/Tracing.js"

/** Whether a span made under the layer is recorded (sampled). */
const sampledUnder = <ROut>(layer: Layer.Layer<ROut>) =>
  Effect.map(Effect.withSpan(Effect.currentSpan, "task", { captureStackTrace: false }), (span) => span.sampled).pipe(
    Effect.provide(layer)
  )

/** The layer as a process without an OTLP endpoint gets it. */
const untraced = Layer.provide(Tracing.layer("mirage-test"), Layer.setConfigProvider(ConfigProvider.fromMap(new Map())))

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
})
