/**
 * One request of a declarative source, as the kinds send it: the path under the source's base URL
 * (or a URL the source itself gave, for `links.next`), query, headers, the key where the source
 * wants it, and the answer read in the source's format — a non-2xx status or an error written in a
 * 200 body becoming the module error the runtime expects.
 */
import type { EntityType } from "@mirage/domain/Entity"
import { Effect, Either, Option, Redacted } from "effect"
import type { CollectionNotes } from "../CollectionNotes.js"
import * as Html from "../Html.js"
import { expectOk, type HttpClient, type HttpResponse } from "../HttpClient.js"
import type { DataSource } from "../Module.js"
import { endpoint, type ModuleContext } from "../ModuleContext.js"
import { AuthFailed, BadResponse, type ModuleError } from "../ModuleError.js"
import { parseJson } from "./Rows.js"

/** Query parameters; a list is sent once per value (`filter=a&filter=b`). */
export type Query = Readonly<Record<string, string | number | boolean | ReadonlyArray<string>>>

/** A page at a URL the source gave (`links.next`), with the first request's headers (a media type, an API version). */
export interface UrlRequest {
  readonly url: string
  readonly headers?: Readonly<Record<string, string>>
}

export interface PageRequest {
  /** Under the source's base URL, starting with `/`. */
  readonly path: string
  readonly query?: Query
  readonly headers?: Readonly<Record<string, string>>
}

/** `url` with the query's lists appended, and its single values (which the HTTP client sets). */
const withLists = (url: string, query: Query) => {
  const single: Record<string, string | number | boolean> = {}
  const lists: Array<readonly [string, string]> = []
  for (const [name, value] of Object.entries(query)) {
    if (typeof value === "object") lists.push(...value.map((one) => [name, one] as const))
    else single[name] = value
  }
  // Not a URL: the HTTP client says so, as it does without lists.
  if (lists.length === 0 || !URL.canParse(url)) return { url, single }
  const target = new URL(url)
  for (const [name, one] of lists) target.searchParams.append(name, one)
  return { url: target.toString(), single }
}

/** Where a source wants its key: a header (with a prefix such as `Bearer `), a query parameter, or nowhere. */
export type KeyPlacement =
  | {
    readonly _tag: "Header"
    readonly name: string
    readonly prefix: string
    /** How the key is written after the prefix (Basic's base64); as configured when left out. */
    readonly encode?: (key: string) => string
  }
  | { readonly _tag: "Query"; readonly name: string }
  | { readonly _tag: "None" }

const noKey: KeyPlacement = { _tag: "None" }
const header = (name: string, prefix = "", encode?: (key: string) => string): KeyPlacement => ({
  _tag: "Header",
  name: name.toLowerCase(),
  prefix,
  ...(encode === undefined ? {} : { encode })
})

export const Auth = {
  none: noKey,
  bearer: header("authorization", "Bearer "),
  /** HTTP Basic: the key is configured as `id:secret`. */
  basic: header("authorization", "Basic ", (key) => Buffer.from(key, "utf8").toString("base64")),
  header,
  query: (name: string): KeyPlacement => ({ _tag: "Query", name })
} as const

/** How an answer's body is read: parsed JSON, non-empty trimmed lines, an HTML document, or the text. */
export interface Format<Body> {
  readonly accept: string
  readonly read: (response: HttpResponse) => Either.Either<Body, string>
}

const json: Format<unknown> = { accept: "application/json", read: (response) => parseJson(response.body) }
const lines: Format<ReadonlyArray<string>> = {
  accept: "text/plain, */*",
  read: (response) => Either.right(response.body.split(/\r?\n/).map((line) => line.trim()).filter((l) => l !== ""))
}
const html: Format<Html.Document> = {
  accept: "text/html, */*",
  read: (response) => Either.right(Html.parse(response.body))
}
const text: Format<string> = { accept: "*/*", read: (response) => Either.right(response.body) }

export const Formats = { json, lines, html, text } as const

/** The task's target in canonical form. */
export interface Target {
  readonly type: EntityType
  readonly value: string
}

/** What a declarative source's requests need, opened once per task. */
export interface SourceSession<Config> {
  readonly module: string
  readonly config: Config
  readonly base: string
  readonly http: HttpClient
  readonly key: Option.Option<Redacted.Redacted<string>>
  readonly notes: CollectionNotes
  readonly log: ModuleContext["log"]
  /** The node's shared lists (see `wholeList`); every request loads when absent. */
  readonly lists?: ModuleContext["lists"]
}

/** The session, or AuthFailed before any request when the source requires a key and none is configured. */
export const openSession = <Config>(module: string, source: DataSource) => (config: Config, ctx: ModuleContext) =>
  Effect.gen(function*() {
    const base = yield* endpoint(ctx, module, source.id)
    const key = ctx.credentials()
    return {
      module,
      config,
      base,
      http: ctx.http,
      key,
      notes: ctx.notes,
      log: ctx.log,
      lists: ctx.lists
    } satisfies SourceSession<Config>
  })

/**
 * A whole list of the session's source under `key` (a path and query), loaded by `load` unless the node holds a
 * fresh copy: shared by the node's tasks of this module for the source's cache TTL. Only a keyless session's list
 * is shared: an answer given to a key (the source's or a job's own) is that key holder's alone.
 */
export const sharedList = <Config, A, E>(
  session: SourceSession<Config>,
  key: string,
  load: Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  session.lists === undefined || Option.isSome(session.key)
    ? load
    : session.lists.get(`${session.module} ${session.base}${key}`, load)

export const requireKey = (session: SourceSession<unknown>, source: DataSource) =>
  source.requiresKey && Option.isNone(session.key)
    ? Effect.fail(new AuthFailed({ reason: `no API key configured for ${source.id}` }))
    : Effect.void

export interface SendOptions<Body> {
  readonly format: Format<Body>
  readonly auth: KeyPlacement
  /** Statuses that mean "nothing here" (e.g. 404 for an unknown name): an empty answer, not an error. */
  readonly empty?: ReadonlyArray<number>
  /** Non-2xx statuses whose body is an answer all the same (a "not found" page that still lists names). */
  readonly answers?: ReadonlyArray<number>
  /** An error the source wrote in a 2xx body (`{"error": "quota exceeded"}`). */
  readonly refusal?: (body: Body, response: HttpResponse) => Option.Option<ModuleError>
  /**
   * A non-2xx answer the source explains its own way (a rate limit's reset in its own header, a 403
   * that means "rate limited"): its error, or none to read the status as usual.
   */
  readonly failure?: (response: HttpResponse) => Effect.Effect<Option.Option<ModuleError>>
}

export type Sent<Body> =
  | { readonly _tag: "Answer"; readonly body: Body; readonly response: HttpResponse }
  | { readonly _tag: "Empty"; readonly response: HttpResponse }

/** Where the request goes: a path under the base, or (paging) a URL the source gave, which must stay on its origin. */
const target = (base: string, request: PageRequest | UrlRequest): Either.Either<string, string> => {
  if ("path" in request) return Either.right(`${base}${request.path}`)
  if (!URL.canParse(request.url, base)) return Either.left(`the source's next link is not a URL`)
  const url = new URL(request.url, base)
  return url.origin === new URL(base).origin
    ? Either.right(url.toString())
    : Either.left(`the source's next link leaves its origin (${url.origin})`)
}

/** Sends one request with the key placed, and reads the answer. */
export const send = <Config, Body>(
  session: SourceSession<Config>,
  request: PageRequest | UrlRequest,
  options: SendOptions<Body>
): Effect.Effect<Sent<Body>, ModuleError> =>
  Effect.gen(function*() {
    const url = yield* Either.match(target(session.base, request), {
      onLeft: (reason) => Effect.fail(new BadResponse({ reason })),
      onRight: Effect.succeed
    })
    const key = Option.map(session.key, Redacted.value)
    const auth = options.auth
    const keyHeader = auth._tag === "Header" && Option.isSome(key)
      ? { [auth.name]: `${auth.prefix}${auth.encode?.(key.value) ?? key.value}` }
      : {}
    const keyQuery = auth._tag === "Query" && Option.isSome(key) ? { [auth.name]: key.value } : {}
    const query = withLists(url, { ...("path" in request ? request.query : {}), ...keyQuery })
    const headers = { accept: options.format.accept, ...request.headers, ...keyHeader }
    const response = yield* session.http.get(query.url, { query: query.single, headers })
    if (options.empty?.includes(response.status)) return { _tag: "Empty", response } as const
    const failed = options.failure !== undefined && (response.status < 200 || response.status >= 300) &&
        !options.answers?.includes(response.status)
      ? yield* options.failure(response)
      : Option.none()
    if (Option.isSome(failed)) return yield* Effect.fail(failed.value)
    if (!options.answers?.includes(response.status)) yield* expectOk(response)
    const body = yield* Either.match(options.format.read(response), {
      onLeft: (reason) =>
        Effect.fail(new BadResponse({ reason: `unreadable answer: ${reason}`, status: response.status })),
      onRight: Effect.succeed
    })
    const refused = options.refusal === undefined ? Option.none() : options.refusal(body, response)
    if (Option.isSome(refused)) return yield* Effect.fail(refused.value)
    return { _tag: "Answer", body, response } as const
  })
