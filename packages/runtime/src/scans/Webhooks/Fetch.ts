/** The real webhook sender: one POST with the platform's HttpClient (fetch), bounded by a timeout. */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { Duration, Effect, Layer } from "effect"
import { WebhookFailed, WebhookSender } from "../Webhooks.js"

export const make = Effect.gen(function*() {
  const client = yield* HttpClient.HttpClient
  return WebhookSender.of({
    send: (request) =>
      client.execute(
        HttpClientRequest.post(request.url).pipe(
          HttpClientRequest.setHeaders(request.headers),
          HttpClientRequest.bodyText(request.body, "application/json")
        )
      ).pipe(
        Effect.scoped,
        Effect.timeoutFail({
          duration: Duration.seconds(10),
          onTimeout: () => new WebhookFailed({ status: null, reason: "timed out", permanent: false })
        }),
        Effect.catchTags({
          RequestError: (error) =>
            Effect.fail(new WebhookFailed({ status: null, reason: error.message, permanent: false })),
          ResponseError: (error) =>
            Effect.fail(new WebhookFailed({ status: null, reason: error.message, permanent: false }))
        }),
        Effect.flatMap((response) =>
          response.status >= 200 && response.status < 300
            ? Effect.void
            : Effect.fail(
              new WebhookFailed({
                status: response.status,
                reason: `answered ${response.status}`,
                permanent: response.status >= 400 && response.status < 500 && response.status !== 408 &&
                  response.status !== 429
              })
            )
        )
      )
  })
})

export const layer = Layer.effect(WebhookSender, make).pipe(Layer.provide(FetchHttpClient.layer))
