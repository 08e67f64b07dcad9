/** dockerhub against a declared Docker Hub: the namespace listing, `next` paging, odd rows, unknown accounts. */
import { describe, expect, it } from "@effect/vitest"
import { dockerhub } from "@mirage/modules/modules/dockerhub"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const user = { type: "USERNAME" as const, value: "mirage-lab" }
const page = (n?: number) => ({
  path: "/v2/repositories/mirage-lab/",
  query: n === undefined ? { page_size: "100" } : { page_size: "100", page: String(n) },
  headers: { accept: "application/json" }
})
const image = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: "mirage-lab",
  repository_type: "image",
  status: 1,
  description: "",
  is_private: false,
  star_count: 2,
  pull_count: 1500,
  last_updated: "2024-05-01T10:00:00.000000Z",
  ...extra
})

describe("dockerhub", () => {
  it.scoped("lists the account's images page by page through `next`; each image's page is a URL", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(dockerhub, [
        {
          request: page(),
          response: {
            json: {
              count: 3,
              next: "/v2/repositories/mirage-lab/?page=2&page_size=100",
              previous: null,
              results: [image("api", { description: "The API" }), image("worker")]
            }
          }
        },
        {
          request: page(2),
          response: { json: { count: 3, next: null, results: [image("secret", { is_private: true }), image("web")] } }
        }
      ], { target: user })
      yield* run.server.verify
      const findings = Either.getOrThrow(run.outcome)
      expect(findings.map((f) => f.value)).toEqual([
        "https://hub.docker.com/r/mirage-lab/api",
        "https://hub.docker.com/r/mirage-lab/worker",
        "https://hub.docker.com/r/mirage-lab/web"
      ])
      expect(findings[0]).toMatchObject({
        confidence: 0.85,
        metadata: { image: "mirage-lab/api", description: "The API", pulls: 1500, stars: 2 }
      })
    }))

  it.scoped("an organization's name is tried run together, less certain; 404 is no account", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(dockerhub, [{
        request: { ...page(), path: "/v2/repositories/miragelab/" },
        response: { json: { count: 1, next: null, results: [image("api", { namespace: "miragelab" })] } }
      }], { target: { type: "ORGANIZATION", value: "Mirage Lab" } })
      yield* run.server.verify
      expect(Either.getOrThrow(run.outcome)).toMatchObject([
        { value: "https://hub.docker.com/r/miragelab/api", confidence: 0.5 }
      ])
      const none = yield* collectAgainst(dockerhub, [
        { request: page(), response: { status: 404, json: { message: "object not found", errinfo: {} } } }
      ], { target: user })
      expect(Either.getOrThrow(none.outcome)).toEqual([])
    }))

  it.scoped("an odd row is skipped and counted; a failing later page keeps the first; no results is BadResponse", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(dockerhub, [
        {
          request: page(),
          response: {
            json: { next: "/v2/repositories/mirage-lab/?page=2&page_size=100", results: [image("api"), { name: 7 }] }
          }
        },
        { request: page(2), response: { status: 429, body: "Too Many Requests" } }
      ], { target: user })
      yield* run.server.verify
      expect(Either.getOrThrow(run.outcome).map((f) => f.value)).toEqual(["https://hub.docker.com/r/mirage-lab/api"])
      expect(run.notes.rows_skipped).toBe(1)
      expect(run.notes.warnings).toEqual([expect.stringContaining("page 2 failed")])
      const odd = yield* collectAgainst(dockerhub, [{ request: page(), response: { json: { detail: "odd" } } }], {
        target: user
      })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
    }))
})
