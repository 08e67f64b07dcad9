/**
 * zoomeye: names under a domain from ZoomEye's asset search API v2 (`POST {base}/v2/search`, key in
 * `API-KEY`), a JSON body `{"qbase64": base64('domain="…"'), "sub_type": "web", "page", "pagesize",
 * "fields": "domain,ip,update_time"}`: `domain="…"` finds the domain's and its subdomains' web assets.
 * The answer is `{"code": 60000, "message": "success", "total", "data": [{domain, ip, update_time}]}`,
 * paged while `total` is not reached; another `code` is a refusal its `message` explains, 401/403 a
 * rejected key. ZoomEye has moved hosts (`.org`, `.hk`, now `.ai`, whose documented API is v2): the base
 * URL is configuration.
 */
import { Effect, Either, Option, Redacted, Schema } from "effect"
import { optional } from "../internal/Fields.js"
import { postJson } from "../internal/JsonPost.js"
import { refusedWith } from "../internal/Refusal.js"
import { canonicalTarget, headerFields, maxPagesField } from "../kinds/PagedApi.js"
import { openSession, requireKey, type SourceSession } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { subdomainFindings } from "../kinds/SubdomainSource.js"
import { BadResponse, type DataSource, defineModule, type ModuleError } from "../Module.js"

/** Records a page holds at most (`pagesize`; ZoomEye allows up to 10,000). */
const pageSize = 1000

/** ZoomEye's code for an answer that is one. */
const success = 60000

export const ZoomeyeConfig = Schema.Struct({
  /** Pages of 1000 records fetched at most per domain (each spends quota). */
  max_pages: maxPagesField(5, 20)
})
type ZoomeyeConfig = typeof ZoomeyeConfig.Type

export const ZoomeyeAsset = Schema.Struct({
  domain: Schema.String,
  ip: optional(Schema.String),
  update_time: optional(Schema.String)
})

export const zoomeyeSource: DataSource = {
  id: "zoomeye",
  name: "ZoomEye",
  baseUrl: "https://api.zoomeye.ai",
  // ZoomEye meters a monthly quota and refuses bursts: about a request a second.
  rateLimit: { requests: 1, perSeconds: 1 },
  requiresKey: true,
  proxy: true
}

/** One search of the asset search API v2: its records (not yet read) and the total it says it has. */
export interface ZoomeyeSearch {
  readonly query: string
  readonly subType: "v4" | "v6" | "web"
  readonly page: number
  readonly pageSize: number
  readonly fields: string
}

export const zoomeyeBody = (search: ZoomeyeSearch) => ({
  qbase64: Buffer.from(search.query, "utf8").toString("base64"),
  sub_type: search.subType,
  page: search.page,
  pagesize: search.pageSize,
  fields: search.fields
})

/** Sends one search with the key in `API-KEY`; a `code` other than success is the refusal it explains. */
export const zoomeyeSearch = <Config>(
  session: SourceSession<Config>,
  search: ZoomeyeSearch
): Effect.Effect<{ readonly records: ReadonlyArray<unknown>; readonly total: number | undefined }, ModuleError> =>
  Effect.gen(function*() {
    const key = Option.match(session.key, { onNone: () => ({}), onSome: (k) => ({ "api-key": Redacted.value(k) }) })
    const { body } = yield* postJson(session.http, `${session.base}/v2/search`, zoomeyeBody(search), { headers: key })
    const code = Rows.at(body, "code")
    if (code !== success) {
      const message = Rows.at(body, "message")
      return yield* refusedWith("zoomeye", `code ${String(code)}${typeof message === "string" ? `: ${message}` : ""}`)
    }
    const data = Rows.at(body, "data")
    if (!Array.isArray(data)) return yield* new BadResponse({ reason: "the answer has no data list" })
    const total = Rows.at(body, "total")
    return { records: data, total: typeof total === "number" ? total : undefined }
  })

export const zoomeye = defineModule({
  ...headerFields({
    name: "zoomeye",
    description: "Finds subdomains in ZoomEye's asset search",
    flags: ["passive", "safe"],
    config: ZoomeyeConfig,
    input_types: ["DOMAIN"],
    output_types: ["DOMAIN"]
  }),
  source: zoomeyeSource,
  setup: openSession<ZoomeyeConfig>("zoomeye", zoomeyeSource),
  collect: (session, task) =>
    Effect.gen(function*() {
      yield* requireKey(session, zoomeyeSource)
      const target = yield* canonicalTarget("zoomeye", task)
      const decode = Rows.schema(ZoomeyeAsset)
      const assets: Array<typeof ZoomeyeAsset.Type> = []
      for (let page = 1; page <= session.config.max_pages; page++) {
        const answer = yield* Effect.either(zoomeyeSearch(session, {
          query: `domain="${target.value}"`,
          subType: "web",
          page,
          pageSize,
          fields: "domain,ip,update_time"
        }))
        if (Either.isLeft(answer)) {
          // The first page failing is the task's failure; a later one keeps what came before.
          if (page === 1) return yield* Effect.fail(answer.left)
          yield* session.notes.warn(
            `page ${page} failed, ${assets.length} rows of earlier pages kept: ${answer.left.message}`
          )
          break
        }
        assets.push(...(yield* Rows.decodeEach(answer.right.records, decode, session.notes)))
        const total = answer.right.total ?? 0
        if (page * pageSize >= total || answer.right.records.length === 0) break
        if (page === session.config.max_pages) {
          yield* session.notes.warn(`stopped after ${page} pages (max_pages); the source had more`)
        }
      }
      const findings = subdomainFindings(
        assets,
        target.value,
        (asset) => [asset.domain],
        (asset) => (asset.ip === undefined || asset.ip === "" ? undefined : { ip: asset.ip }),
        { confidence: 0.7 }
      )
      yield* session.log("zoomeye answered", { target: target.value, assets: assets.length, findings: findings.length })
      return findings
    })
})
