/**
 * A JSON POST to a source and its JSON answer, for the sources whose queries are JSON bodies
 * (ThreatFox, Safe Browsing): a non-2xx status becomes the module error it means, unless `answers`
 * names it (a source that explains a refusal in its body); a body that is not JSON is a BadResponse.
 */
import { Effect, Either } from "effect"
import type { HttpClient, HttpResponse } from "../HttpClient.js"
import { expectOk } from "../HttpClient.js"
import * as Rows from "../kinds/Rows.js"
import { BadResponse, type ModuleError } from "../ModuleError.js"

export const postJson = (
  http: HttpClient,
  url: string,
  body: unknown,
  options: {
    readonly headers?: Readonly<Record<string, string>>
    readonly query?: Readonly<Record<string, string>>
    readonly answers?: ReadonlyArray<number>
  } = {}
): Effect.Effect<{ readonly body: unknown; readonly response: HttpResponse }, ModuleError> =>
  Effect.gen(function*() {
    const response = yield* http.post(url, {
      body: JSON.stringify(body),
      contentType: "application/json",
      headers: { accept: "application/json", ...options.headers },
      ...(options.query === undefined ? {} : { query: options.query })
    })
    if (!options.answers?.includes(response.status)) yield* expectOk(response)
    const parsed = Rows.parseJson(response.body)
    if (Either.isLeft(parsed)) {
      return yield* new BadResponse({ reason: `unreadable answer: ${parsed.left}`, status: response.status })
    }
    return { body: parsed.right, response }
  })
