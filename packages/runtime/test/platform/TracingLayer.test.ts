import { describe, expect, it } from "@effect/vitest"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { ConfigProvider, Effect, Layer } from "effect"
import * as Tracing from "../../src/platform/Tracing.js"

/** Whether a span made under the layer is recorded (sampled). */
const sampledUnder = <ROut>(layer: Layer.Layer<ROut>) =>
  Effect.map(Effect.withSpan(Effect.currentSpan, "task", { captureStackTrace: false }), (span) => span.sampled).pipe(
    Effect.provide(layer)
  )

describe("Tracing.layer", () => {
  it.effect("without an OTLP endpoint makes no spans at all", () =>
    Effect.gen(function*() {
      const off = Layer.provide(
        Tracing.layer("mirage-test"),
        Layer.setConfigProvider(ConfigProvider.fromMap(new Map()))
      )
      expect(yield* sampledUnder(off)).toBe(false)
    }))

  it.effect("the same span under a tracer over a processor is recorded", () =>
    Effect.gen(function*() {
      const processor = new SimpleSpanProcessor(new InMemorySpanExporter())
      expect(yield* sampledUnder(Tracing.layerWith("mirage-test", processor))).toBe(true)
    }))
})
