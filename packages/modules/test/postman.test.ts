/** postman against a declared Postman search proxy: the search body, workspaces about the target, odd rows. */
import { describe, expect, it } from "@effect/vitest"
import { postman } from "@mirage/modules/modules/postman"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const body = (queryText: string) =>
  JSON.stringify({
    service: "search",
    method: "POST",
    path: "/search-all",
    body: {
      queryIndices: ["collaboration.workspace"],
      queryText,
      size: 100,
      from: 0,
      requestOrigin: "srp",
      mergeEntities: true,
      nonNestedRequests: true
    }
  })
const workspace = (name: string, publisherHandle: string, slug: string, extra: Record<string, unknown> = {}) => ({
  score: 611.2,
  normalizedScore: 8.1,
  document: {
    id: `${slug}-id`,
    name,
    slug,
    publisherHandle,
    publisherType: "team",
    summary: "",
    visibilityStatus: "public",
    entityType: "workspace",
    ...extra
  }
})

describe("postman", () => {
  it.scoped("POSTs the workspace search; workspaces that mention the target are URLs, others are dropped", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(postman, [{
        request: {
          method: "POST",
          path: "/_api/ws/proxy",
          body: body("acme.example"),
          headers: { "content-type": "application/json" }
        },
        response: {
          json: {
            data: [
              workspace("Acme Public API", "acme-eng", "acme-public-api", { summary: "Calls to api.acme.example" }),
              workspace("Acme partners", "partner-team", "acme-partners"),
              workspace("Unrelated", "someone", "unrelated"),
              workspace("Acme private", "acme-eng", "acme-private", { visibilityStatus: "private" }),
              { document: { name: "no slug" } }
            ],
            meta: { total: 5 }
          }
        }
      }], { target: { type: "DOMAIN", value: "acme.example" } })
      yield* run.server.verify
      const findings = Either.getOrThrow(run.outcome)
      expect(findings.map((f) => [f.value.replace(/^.*\/\/[^/]+/, ""), f.confidence])).toEqual([
        ["/acme-eng/workspace/acme-public-api", 0.8],
        ["/partner-team/workspace/acme-partners", 0.6]
      ])
      expect(findings[0]?.metadata).toEqual({
        workspace: "Acme Public API",
        publisher: "acme-eng",
        matched: ["acme.example", "acme"],
        kind: "postman workspace"
      })
      expect(run.notes.rows_skipped).toBe(1)
    }))

  it.scoped("an answer without a data list is BadResponse; a 5xx is the source unavailable", () =>
    Effect.gen(function*() {
      const request = { method: "POST", path: "/_api/ws/proxy" }
      const broken = yield* collectAgainst(postman, [{ request, response: { json: { error: "x" } } }], {
        target: { type: "ORGANIZATION", value: "Acme" }
      })
      expect(broken.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      const down = yield* collectAgainst(postman, [{ request, response: { status: 503, body: "" } }], {
        target: { type: "ORGANIZATION", value: "Acme" }
      })
      expect(down.outcome).toMatchObject({ left: { _tag: "SourceUnavailable" } })
    }))
})
