/** gitlab_projects against a declared GitLab API: groups and users, X-Next-Page paging, the token, odd rows. */
import { describe, expect, it } from "@effect/vitest"
import { gitlabProjects } from "@mirage/modules/modules/gitlab_projects"
import { Effect, Either } from "effect"
import { expectHidden, headersCarrying } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const group = { type: "ORGANIZATION" as const, value: "Mirage Lab" }
const user = { type: "USERNAME" as const, value: "alice" }
const groupPage = (n?: number) => ({
  path: "/api/v4/groups/miragelab/projects",
  query: { include_subgroups: "true", per_page: "100", ...(n === undefined ? {} : { page: String(n) }) },
  headers: { accept: "application/json" }
})
const project = (id: number, path: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: path.split("/").pop(),
  path_with_namespace: path,
  web_url: `https://gitlab.com/${path}`,
  description: null,
  visibility: "public",
  default_branch: "main",
  star_count: 1,
  forks_count: 0,
  last_activity_at: "2024-06-01T12:00:00.000Z",
  ...extra
})

describe("gitlab_projects", () => {
  it.scoped("a group's projects (subgroups included) page by page while X-Next-Page names one", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(gitlabProjects, [
        {
          request: groupPage(),
          response: {
            headers: { "x-next-page": "2", "x-page": "1" },
            json: [project(1, "miragelab/api"), project(2, "miragelab/infra/terraform", { archived: true })]
          }
        },
        {
          request: groupPage(2),
          response: { headers: { "x-next-page": "", "x-page": "2" }, json: [project(3, "miragelab/web")] }
        }
      ], { target: group })
      yield* run.server.verify
      const findings = Either.getOrThrow(run.outcome)
      expect(findings.map((f) => f.value)).toEqual([
        "https://gitlab.com/miragelab/api",
        "https://gitlab.com/miragelab/infra/terraform",
        "https://gitlab.com/miragelab/web"
      ])
      expect(findings[1]).toMatchObject({
        confidence: 0.5,
        metadata: { project: "miragelab/infra/terraform", archived: true, account_guessed_from_name: true }
      })
    }))

  it.scoped("a user's projects, with the optional token in PRIVATE-TOKEN (never logged); 404 is nothing", () =>
    Effect.gen(function*() {
      const key = "glpat-0123456789abcdef"
      const run = yield* collectAgainst(gitlabProjects, [{
        request: {
          path: "/api/v4/users/alice/projects",
          query: { per_page: "100" },
          headers: { "private-token": key }
        },
        response: { json: [project(9, "alice/dotfiles")] }
      }], { target: user, key })
      yield* run.server.verify
      expect(Either.getOrThrow(run.outcome)).toMatchObject([{
        value: "https://gitlab.com/alice/dotfiles",
        confidence: 0.85
      }])
      expect(headersCarrying(run.server, key)).toEqual(["private-token"])
      expectHidden(run, key)
      const none = yield* collectAgainst(gitlabProjects, [{
        request: {
          path: "/api/v4/users/alice/projects",
          query: { per_page: "100" },
          headers: { "private-token": null }
        },
        response: { status: 404, json: { message: "404 User Not Found" } }
      }], { target: user })
      yield* none.server.verify
      expect(Either.getOrThrow(none.outcome)).toEqual([])
    }))

  it.scoped("an odd project is skipped and counted; a failing later page keeps the first; a non-list is BadResponse", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(gitlabProjects, [
        {
          request: groupPage(),
          response: { headers: { "x-next-page": "2" }, json: [project(1, "miragelab/api"), { id: "x" }] }
        },
        { request: groupPage(2), response: { status: 500, json: { message: "500 Internal Server Error" } } }
      ], { target: group })
      yield* run.server.verify
      expect(Either.getOrThrow(run.outcome).map((f) => f.value)).toEqual(["https://gitlab.com/miragelab/api"])
      expect(run.notes.rows_skipped).toBe(1)
      expect(run.notes.warnings).toEqual([expect.stringContaining("page 2 failed")])
      const odd = yield* collectAgainst(gitlabProjects, [
        { request: groupPage(), response: { json: { message: "odd" } } }
      ], { target: group })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
    }))
})
