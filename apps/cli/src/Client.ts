/**
 * The gateway as the CLI sees it: the typed client of the shared HTTP API contract, and the live
 * progress stream (Server-Sent Events, read with the raw HTTP client: the contract declares it as text).
 */
import { HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { MirageApi } from "@mirage/domain/api/Api"
import type { ScanId } from "@mirage/domain/Ids"
import { ScanProgressEvent } from "@mirage/domain/ScanProgress"
import { Context, Effect, Layer, Option, Redacted, Schema, Stream } from "effect"

export interface Connection {
  readonly url: string
  readonly key: Option.Option<Redacted.Redacted>
}

const decodeEvent = Schema.decodeUnknown(Schema.parseJson(ScanProgressEvent))

/** The `data:` of each event of a text/event-stream, in order (comments and other fields ignored). */
export const sseData = <E, R>(text: Stream.Stream<string, E, R>): Stream.Stream<string, E, R> =>
  text.pipe(
    Stream.splitLines,
    Stream.mapAccum(
      [] as ReadonlyArray<string>,
      (data, line): readonly [ReadonlyArray<string>, Option.Option<string>] =>
        line === ""
          ? [[], data.length === 0 ? Option.none() : Option.some(data.join("\n"))]
          : line.startsWith("data:")
          ? [[...data, line.slice(5).replace(/^ /, "")], Option.none()]
          : [data, Option.none()]
    ),
    Stream.filterMap((event) => event)
  )

const makeClient = (connection: Connection) =>
  Effect.gen(function*() {
    const authorize = (request: HttpClientRequest.HttpClientRequest) =>
      Option.match(connection.key, {
        onNone: () => request,
        onSome: (key) => HttpClientRequest.bearerToken(request, Redacted.value(key))
      })
    const http = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest((request) => authorize(HttpClientRequest.prependUrl(request, connection.url))),
      HttpClient.filterStatusOk
    )
    const api = yield* HttpApiClient.make(MirageApi, {
      baseUrl: connection.url,
      transformClient: HttpClient.mapRequest(authorize)
    })
    /** The scan's progress events until the gateway ends the stream (after a terminal status). */
    const events = (id: ScanId) =>
      http.get(`/scans/${id}/events`, { headers: { accept: "text/event-stream" } }).pipe(
        Effect.map((response) => sseData(response.stream.pipe(Stream.decodeText()))),
        Stream.unwrapScoped,
        Stream.mapEffect(decodeEvent)
      )
    return { api, events } as const
  })

export class Gateway extends Context.Tag("@mirage/cli/Gateway")<
  Gateway,
  Effect.Effect.Success<ReturnType<typeof makeClient>>
>() {}

export const layer = (connection: Connection) => Layer.effect(Gateway, makeClient(connection))
