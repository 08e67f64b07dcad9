/** github_org against a declared GitHub API: repositories and public members, Link paging, the token, rate limits. */
import { describe, expect, it } from "@effect/vitest"
import { linkTarget } from "@mirage/modules/kinds/Paging"
import { githubOrg } from "@mirage/modules/modules/github_org"
import { Effect, Either } from "effect"
import { expectHidden, headersCarrying } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const org = { type: "ORGANIZATION" as const, value: "MirageLab" }
const github = { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" }
const repos = (page?: number) => ({
  path: "/orgs/miragelab/repos",
  query: { type: "public", per_page: "100", ...(page === undefined ? {} : { page: String(page) }) },
  headers: github
})
const members = { path: "/orgs/miragelab/public_members", query: { per_page: "100" }, headers: github }
const repo = (name: string, extra: Record<string, unknown> = {}) => ({
  id: name.length,
  name,
  full_name: `miragelab/${name}`,
  html_url: `https://github.com/miragelab/${name}`,
  description: null,
  fork: false,
  archived: false,
  language: "TypeScript",
  stargazers_count: 3,
  pushed_at: "2024-07-01T00:00:00Z",
  ...extra
})

describe("github_org", () => {
  it.scoped("an organization's repositories (Link-paged, forks left out) and its public members", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(githubOrg, [
        {
          request: repos(),
          response: {
            headers: {
              link:
                "</orgs/miragelab/repos?type=public&per_page=100&page=2>; rel=\"next\", </orgs/miragelab/repos?type=public&per_page=100&page=2>; rel=\"last\""
            },
            json: [repo("api", { description: "The API" }), repo("linux", { fork: true })]
          }
        },
        { request: repos(2), response: { json: [repo("infra", { archived: true })] } },
        {
          request: members,
          response: { json: [{ login: "alice", html_url: "https://github.com/alice", type: "User" }] }
        }
      ], { target: org })
      yield* run.server.verify
      const findings = Either.getOrThrow(run.outcome)
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        "URL https://github.com/miragelab/api",
        "URL https://github.com/miragelab/infra",
        "USERNAME alice"
      ])
      expect(findings[1]?.metadata).toMatchObject({ repository: "miragelab/infra", archived: true })
      expect(findings[2]?.metadata).toMatchObject({ organization: "miragelab", role: "public member" })
    }))

  it.scoped("a user's own repositories, the token as a bearer (never logged); 404 is nothing", () =>
    Effect.gen(function*() {
      const key = "ghp_0123456789abcdefghij"
      const run = yield* collectAgainst(githubOrg, [{
        request: {
          path: "/users/alice/repos",
          query: { type: "owner", per_page: "100" },
          headers: { ...github, authorization: `Bearer ${key}` }
        },
        response: {
          json: [repo("dotfiles", { full_name: "alice/dotfiles", html_url: "https://github.com/alice/dotfiles" })]
        }
      }], { target: { type: "USERNAME", value: "alice" }, key })
      yield* run.server.verify
      expect(Either.getOrThrow(run.outcome)).toMatchObject([{
        value: "https://github.com/alice/dotfiles",
        confidence: 0.9
      }])
      expect(headersCarrying(run.server, key)).toEqual(["authorization"])
      expectHidden(run, key)
      const none = yield* collectAgainst(githubOrg, [
        {
          request: { ...repos(), headers: { ...github, authorization: null } },
          response: { status: 404, json: { message: "Not Found" } }
        },
        { request: members, response: { status: 404, json: { message: "Not Found" } } }
      ], { target: org })
      yield* none.server.verify
      expect(Either.getOrThrow(none.outcome)).toEqual([])
    }))

  it.scoped("odd rows are skipped; members failing keeps the repositories; an exhausted limit is RateLimited", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(githubOrg, [
        { request: repos(), response: { json: [repo("api"), { full_name: 5 }] } },
        { request: members, response: { status: 502, body: "bad gateway" } }
      ], { target: org })
      yield* run.server.verify
      expect(Either.getOrThrow(run.outcome).map((f) => f.value)).toEqual(["https://github.com/miragelab/api"])
      expect(run.notes.rows_skipped).toBe(1)
      expect(run.notes.warnings).toEqual([expect.stringContaining("members not listed")])
      const limited = yield* collectAgainst(githubOrg, [{
        request: repos(),
        response: {
          status: 403,
          headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "4102444800" },
          json: { message: "API rate limit exceeded for 127.0.0.1." }
        }
      }], { target: org })
      expect(limited.outcome).toMatchObject({ left: { _tag: "RateLimited" } })
      const odd = yield* collectAgainst(githubOrg, [{ request: repos(), response: { json: { message: "odd" } } }], {
        target: org
      })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      expect(linkTarget("<https://a.test/2>; rel=\"prev\", <https://a.test/4>; rel=\"next\"")).toBe("https://a.test/4")
      expect(linkTarget("<https://a.test/2>; rel=\"prev\"")).toBeUndefined()
    }))
})
