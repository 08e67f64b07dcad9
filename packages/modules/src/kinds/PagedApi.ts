/**
 * The paged-API kind: a source described by its first request, where its rows are in an answer,
 * how one row reads, how it pages and what findings the rows make. The kind sends the requests
 * (key placed, page cap from config), decodes each row on its own (odd rows skipped and counted),
 * and keeps every page's rows when a later page fails: the task completes with a warning.
 */
import type { EntityType } from "@mirage/domain/Entity"
import type { ModuleFlag } from "@mirage/domain/ModuleFlag"
import { Effect, Either, Option, Schema } from "effect"
import type { HttpResponse } from "../HttpClient.js"
import { type DataSource, defineModule, type Finding, type ModuleTask, targetValue } from "../Module.js"
import { BadResponse, type ModuleError } from "../ModuleError.js"
import type { PagePointer, Paging } from "./Paging.js"
import {
  Auth,
  type Format,
  type KeyPlacement,
  openSession,
  type PageRequest,
  requireKey,
  send,
  sharedList,
  type SourceSession,
  type Target,
  type UrlRequest
} from "./Request.js"
import * as Rows from "./Rows.js"

/** What every declarative module states about itself. */
export interface ModuleHeader<Config, Encoded extends Readonly<Record<string, unknown>>> {
  /** The module id, snake_case; never changes once published. */
  readonly name: string
  /** A human name; the source's name when left out. */
  readonly title?: string
  readonly description: string
  readonly version?: string
  readonly author?: string
  readonly flags: ReadonlyArray<ModuleFlag>
  /** Its data source, with its real `baseUrl`. */
  readonly source: DataSource
  /** The module's configuration, a Struct whose fields all have defaults (`NoConfig` when it has none). */
  readonly config: Schema.Schema<Config, Encoded>
}

/** The `defineModule` fields a header states, defaults filled in: one mapping for every kind. */
export const headerFields = <Config, Encoded extends Readonly<Record<string, unknown>>>(
  header: Omit<ModuleHeader<Config, Encoded>, "source"> & {
    readonly input_types: ReadonlyArray<EntityType>
    readonly output_types: ReadonlyArray<EntityType>
  }
) => ({
  name: header.name,
  ...(header.title === undefined ? {} : { title: header.title }),
  description: header.description,
  version: header.version ?? "1.0.0",
  author: header.author ?? "Mirage Team",
  input_types: header.input_types,
  output_types: header.output_types,
  flags: header.flags,
  configSchema: header.config
})

/** The configuration of a module that has none. */
export const NoConfig = Schema.Struct({})

/** A `max_pages` config field: the most pages a task asks for. */
export const maxPagesField = (defaultPages: number, most = 100) =>
  Schema.optionalWith(Schema.Int.pipe(Schema.between(1, most)), { default: () => defaultPages, exact: true })

/** How a source is asked and paged, whatever its rows are: what the kinds share. */
export interface Pages<Config, Body, Row> {
  /** Where the key goes; keyless when left out. A source that `requiresKey` fails AuthFailed without one. */
  readonly auth?: KeyPlacement
  readonly format: Format<Body>
  /** The first request for the target. */
  readonly request: (target: Target, config: Config) => PageRequest
  /** The raw rows of a page; undefined when the page is not of the expected shape. */
  readonly rows: (body: Body) => ReadonlyArray<unknown> | undefined
  /** Statuses that mean "nothing here" (e.g. 404). */
  readonly empty?: ReadonlyArray<number>
  /** Non-2xx statuses whose body is read as an answer all the same (a "not found" page that still lists names). */
  readonly answers?: ReadonlyArray<number>
  /** An error the source wrote in a 2xx body. */
  readonly refusal?: (body: Body, response: HttpResponse) => Option.Option<ModuleError>
  /** A non-2xx answer the source explains its own way (see `SendOptions.failure`). */
  readonly failure?: (response: HttpResponse) => Effect.Effect<Option.Option<ModuleError>>
  /** How it pages (see Paging); one request when left out. */
  readonly paging?: Paging<NoInfer<Body>, NoInfer<Row>>
  /** The page cap, usually the config's `max_pages` (see `maxPagesField`). */
  readonly maxPages?: (config: Config) => number
  /**
   * The answer is the source's whole list (a catalog, a feed), the same whatever the target: its rows are read once
   * per node and request for the source's cache TTL, concurrent tasks waiting for that one read, and `findings`
   * picks each target's rows from them. Keyless lists only: the key is not part of what is shared.
   */
  readonly wholeList?: boolean
}

/** A paged API, its rows read by a schema, its findings made from every page's rows. */
export interface ApiSpec<Config, Encoded extends Readonly<Record<string, unknown>>, Body, Row, RowEncoded>
  extends ModuleHeader<Config, Encoded>, Pages<Config, Body, Row>
{
  readonly input_types: ReadonlyArray<EntityType>
  readonly output_types: ReadonlyArray<EntityType>
  /** How one row reads; a row that does not is skipped and counted. Excess fields are ignored. */
  readonly row: Schema.Schema<Row, RowEncoded, never>
  readonly findings: (rows: ReadonlyArray<NoInfer<Row>>, target: Target, config: Config) => ReadonlyArray<Finding>
}

/** The target of the task in canonical form (the module only accepts its input types). */
export const canonicalTarget = (module: string, task: ModuleTask): Effect.Effect<Target, ModuleError> =>
  Effect.map(targetValue(module, task, task.target.type), (value) => ({ type: task.target.type, value }))

const requestAt = (first: PageRequest, pointer: Option.Option<PagePointer>): PageRequest | UrlRequest =>
  Option.match(pointer, {
    onNone: () => first,
    onSome: (
      p
    ) => (p._tag === "Url"
      ? { url: p.url, ...(first.headers === undefined ? {} : { headers: first.headers }) }
      : { ...first, query: { ...first.query, ...p.query } })
  })

/** Every page's decoded rows, up to the cap; a failed later page ends the listing with a warning. */
export const collectPages = <Config, Body, Row>(
  pages: Pages<Config, Body, Row>,
  decodeRow: Rows.RowDecoder<Row>,
  session: SourceSession<Config>,
  target: Target
): Effect.Effect<ReadonlyArray<Row>, ModuleError> =>
  Effect.gen(function*() {
    const first = pages.request(target, session.config)
    const cap = pages.paging === undefined ? 1 : (pages.maxPages?.(session.config) ?? 10)
    const options = {
      format: pages.format,
      auth: pages.auth ?? Auth.none,
      ...(pages.empty === undefined ? {} : { empty: pages.empty }),
      ...(pages.answers === undefined ? {} : { answers: pages.answers }),
      ...(pages.refusal === undefined ? {} : { refusal: pages.refusal }),
      ...(pages.failure === undefined ? {} : { failure: pages.failure })
    }
    const rows: Array<Row> = []
    const visited = new Set<string>()
    let pointer: Option.Option<PagePointer> = Option.none()
    for (let index = 0; index < cap; index++) {
      const page = yield* Effect.either(Effect.gen(function*() {
        const sent = yield* send(session, requestAt(first, pointer), options)
        if (sent._tag === "Empty") return { body: Option.none<Body>(), raws: [], headers: sent.response.headers }
        const raws = pages.rows(sent.body)
        if (raws === undefined) {
          return yield* new BadResponse({
            reason: "the answer has no rows where expected",
            status: sent.response.status
          })
        }
        return { body: Option.some(sent.body), raws, headers: sent.response.headers }
      }))
      if (Either.isLeft(page)) {
        // The first page failing, or a later one when nothing came before, is the task's failure.
        if (rows.length === 0) return yield* Effect.fail(page.left)
        yield* session.notes.warn(
          `page ${index + 1} failed, ${rows.length} rows of earlier pages kept: ${page.left.message}`
        )
        return rows
      }
      const decoded = Rows.decodeAll(page.right.raws, decodeRow)
      if (decoded.reason !== undefined) yield* session.notes.skipped(decoded.reason, decoded.skipped)
      if (index === 0 && decoded.rows.length === 0 && decoded.reason !== undefined) {
        return yield* new BadResponse({ reason: `no row of the answer could be read: ${decoded.reason}` })
      }
      rows.push(...decoded.rows)
      if (pages.paging === undefined || Option.isNone(page.right.body)) return rows
      pointer = pages.paging.next({
        body: page.right.body.value,
        rows: decoded.rows,
        size: page.right.raws.length,
        index,
        headers: page.right.headers
      })
      if (Option.isNone(pointer)) return rows
      const key = JSON.stringify(pointer.value)
      if (visited.has(key)) return rows
      visited.add(key)
    }
    yield* session.notes.warn(`stopped after ${cap} pages (max_pages); the source had more`)
    return rows
  })

/** The target's rows: asked of the source, or a whole list's, shared by the node's tasks. */
const rowsOf = <Config, Body, Row>(
  spec: Pages<Config, Body, Row> & { readonly decodeRow: Rows.RowDecoder<Row> },
  session: SourceSession<Config>,
  target: Target
): Effect.Effect<ReadonlyArray<Row>, ModuleError> => {
  const read = collectPages(spec, spec.decodeRow, session, target)
  if (spec.wholeList !== true) return read
  const first = spec.request(target, session.config)
  return sharedList(session, `${first.path} ${JSON.stringify(first.query ?? {})}`, read)
}

/** A module over pages whose rows `decodeRow` reads: what every HTTP kind comes down to. */
export const pagedModule = <Config, Encoded extends Readonly<Record<string, unknown>>, Body, Row>(
  spec: ModuleHeader<Config, Encoded> & Pages<Config, Body, Row> & {
    readonly input_types: ReadonlyArray<EntityType>
    readonly output_types: ReadonlyArray<EntityType>
    readonly decodeRow: Rows.RowDecoder<Row>
    readonly findings: (rows: ReadonlyArray<Row>, target: Target, config: Config) => ReadonlyArray<Finding>
  }
) =>
  defineModule({
    ...headerFields(spec),
    source: spec.source,
    setup: openSession<Config>(spec.name, spec.source),
    collect: (session, task) =>
      Effect.gen(function*() {
        yield* requireKey(session, spec.source)
        const target = yield* canonicalTarget(spec.name, task)
        const rows = yield* rowsOf(spec, session, target)
        const findings = spec.findings(rows, target, session.config)
        yield* session.log(`${spec.name} answered`, {
          target: target.value,
          rows: rows.length,
          findings: findings.length
        })
        return findings
      })
  })

/** A module from a paged-API description. */
export const pagedApi = <Config, Encoded extends Readonly<Record<string, unknown>>, Body, Row, RowEncoded>(
  spec: ApiSpec<Config, Encoded, Body, Row, RowEncoded>
) => pagedModule({ ...spec, decodeRow: Rows.schema(spec.row) })
