/**
 * An endpoint's response status, encoding and emptiness are read from its schema's annotations once
 * (patches/@effect+platform+0.97.2.patch). `HttpApiBuilder` read them for every response it encoded, merging the
 * annotations of the schema and of what it wraps each time (a class schema's dozen of them, three times a response):
 * about 4 % of a gateway's CPU on a route that answers a value from memory.
 */
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, HttpServer } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"

describe("an endpoint's response shape", () => {
  it.effect("is read from the schema's annotations once, whatever the number of responses", () =>
    Effect.gen(function*() {
      const Created = Schema.Struct({ id: Schema.String }).annotations({ [HttpApiSchema.AnnotationStatus]: 201 })
      // The status annotation, counted each time it is read.
      let reads = 0
      Object.defineProperty(Created.ast.annotations, HttpApiSchema.AnnotationStatus, {
        enumerable: true,
        get: () => {
          reads++
          return 201
        }
      })
      const Api = HttpApi.make("test").add(
        HttpApiGroup.make("things").add(HttpApiEndpoint.post("create", "/things").addSuccess(Created))
      )
      const Things = HttpApiBuilder.group(
        Api,
        "things",
        (handlers) => handlers.handle("create", () => Effect.succeed({ id: "a" }))
      )
      const { dispose, handler } = HttpApiBuilder.toWebHandler(
        Layer.mergeAll(HttpApiBuilder.api(Api).pipe(Layer.provide(Things)), HttpServer.layerContext)
      )
      const post = () => Effect.promise(() => handler(new Request("http://test/things", { method: "POST" })))
      const first = yield* post()
      expect(first.status).toBe(201)
      expect(yield* Effect.promise(() => first.json())).toEqual({ id: "a" })
      const afterFirst = reads
      for (let i = 0; i < 5; i++) expect((yield* post()).status).toBe(201)
      expect(reads).toBe(afterFirst)
      yield* Effect.promise(() => dispose())
    }))
})
