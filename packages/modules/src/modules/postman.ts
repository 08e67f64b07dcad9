/**
 * postman: Postman's public workspaces that name a target, found by Postman's own web search
 * (`POST {base}/_api/ws/proxy` with `{"service": "search", "method": "POST", "path": "/search-all", "body": {
 * "queryIndices": ["collaboration.workspace"], "queryText": …}}`), answered `{"data": [{"document": {"name", "slug",
 * "publisherHandle", "summary", "visibilityStatus", …}}]}`. Public workspaces often hold collections with live
 * endpoints and tokens; each one whose name, summary or publisher mentions the target is a URL.
 */
import { Effect, Option, Schema } from "effect"
import { canonicalTarget, headerFields } from "../kinds/PagedApi.js"
import { openSession } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { BadResponse, defineModule, expectOk, type Finding, finding } from "../Module.js"

const optional = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { exact: true, nullable: true })

export const Workspace = Schema.Struct({
  document: Schema.Struct({
    id: optional(Schema.String),
    name: Schema.String,
    slug: Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9._~-]+$/)),
    publisherHandle: Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9._~-]+$/)),
    summary: optional(Schema.String),
    visibilityStatus: optional(Schema.String),
    entityType: optional(Schema.String)
  })
})
export type Workspace = typeof Workspace.Type

export const PostmanConfig = Schema.Struct({
  size: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 100)), { default: () => 100, exact: true })
})

/** The words a workspace must mention to be about the target: the domain and its first label, or the name. */
export const keywordsOf = (target: { readonly type: string; readonly value: string }): ReadonlyArray<string> =>
  target.type === "DOMAIN"
    ? Array.from(new Set([target.value, target.value.split(".")[0]!])).filter((word) => word.length >= 3)
    : [target.value.toLowerCase()]

export const workspaceFindings = (
  rows: ReadonlyArray<Workspace>,
  keywords: ReadonlyArray<string>,
  base: string
): ReadonlyArray<Finding> =>
  rows.flatMap(({ document }) => {
    if (document.visibilityStatus !== undefined && document.visibilityStatus !== "public") return []
    const text = `${document.name} ${document.summary ?? ""} ${document.publisherHandle}`.toLowerCase()
    const matched = keywords.filter((word) => text.includes(word.toLowerCase()))
    if (matched.length === 0) return []
    return Option.toArray(finding("URL", `${base}/${document.publisherHandle}/workspace/${document.slug}`, {
      confidence: matched.includes(keywords[0]!) ? 0.8 : 0.6,
      source_data: { ...document },
      metadata: { workspace: document.name, publisher: document.publisherHandle, matched, kind: "postman workspace" }
    }))
  })

const source = {
  id: "postman",
  name: "Postman public workspaces",
  baseUrl: "https://www.postman.com",
  rateLimit: { requests: 1, perSeconds: 2, burst: 2 },
  requiresKey: false,
  proxy: true
} as const

export const postman = defineModule({
  ...headerFields({
    name: "postman",
    title: "Postman public workspaces",
    description: "Finds Postman public workspaces (API collections, often with endpoints and tokens) naming a target",
    flags: ["passive", "safe"],
    config: PostmanConfig,
    input_types: ["DOMAIN", "ORGANIZATION"],
    output_types: ["URL"]
  }),
  source,
  setup: openSession<typeof PostmanConfig.Type>("postman", source),
  collect: (session, task) =>
    Effect.gen(function*() {
      const target = yield* canonicalTarget("postman", task)
      const response = yield* session.http.post(`${session.base}/_api/ws/proxy`, {
        contentType: "application/json",
        headers: { accept: "application/json" },
        body: JSON.stringify({
          service: "search",
          method: "POST",
          path: "/search-all",
          body: {
            queryIndices: ["collaboration.workspace"],
            queryText: target.value,
            size: session.config.size,
            from: 0,
            requestOrigin: "srp",
            mergeEntities: true,
            nonNestedRequests: true
          }
        })
      }).pipe(Effect.flatMap(expectOk))
      const body = yield* Effect.mapError(
        Schema.decodeUnknown(Schema.parseJson())(response.body),
        (error) => new BadResponse({ reason: `unreadable answer: ${Rows.firstIssue(error)}`, status: response.status })
      )
      const data = Rows.at(body, "data")
      if (!Array.isArray(data)) return yield* new BadResponse({ reason: "the answer has no data list" })
      const rows = yield* Rows.decodeEach(data, Rows.schema(Workspace), session.notes)
      const findings = workspaceFindings(rows, keywordsOf(target), session.base)
      yield* session.log("postman answered", {
        target: target.value,
        workspaces: rows.length,
        findings: findings.length
      })
      return findings
    })
})
