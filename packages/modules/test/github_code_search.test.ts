/** github_code_search against the emulated code search: text matches, paging, the token, and GitHub's rate limits. */
import { describe, expect, it } from "@effect/vitest"
import { makeModuleContext } from "@mirage/modules/Module"
import { githubCodeSearch } from "@mirage/modules/modules/github_code_search"
import * as GithubServer from "@mirage/testkit/GithubServer"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import { Effect, Either, Redacted, TestClock } from "effect"
import { collectAgainst } from "./support.js"

const token = IntelWorld.keys.github

const context = (endpoints: Readonly<Record<string, string>>, credentials: string | undefined) =>
  Effect.gen(function*() {
    const logs: Array<unknown> = []
    const ctx = yield* makeModuleContext({
      module: "github_code_search",
      endpoints: { dnsServers: [], ...endpoints },
      timeoutMs: 5_000,
      ...(credentials === undefined ? {} : { credentials: Redacted.make(credentials) }),
      log: (message, fields = {}) => Effect.sync(() => void logs.push({ message, fields }))
    })
    return { ctx, logs }
  })

const open = (credentials: string | undefined = token, config: unknown = {}) =>
  Effect.gen(function*() {
    const intel = yield* IntelWorld.make
    const { ctx, logs } = yield* context(intel.endpoints, credentials)
    return { intel, ctx, logs, session: yield* githubCodeSearch.open(config, ctx) }
  })

const target = (value: string) => ({ target: { type: "DOMAIN" as const, value } })

const inventory =
  "https://github.com/mirage-sandbox/infra/blob/5e0c1d2b3a49f8e7d6c5b4a39281706f5e4d3c2b/deploy/inventory.yml"

describe("github_code_search", () => {
  it.scoped("finds the files and the names and emails on the domain in their matched fragments", () =>
    Effect.gen(function*() {
      const { intel, logs, session } = yield* open()
      const findings = yield* session.collect(target(IntelWorld.domain))
      expect(findings.map((finding) => [finding.type, finding.value])).toEqual([
        ["DOMAIN", "ci.mirage-sandbox.test"],
        ["DOMAIN", "mirage-sandbox.test"],
        ["DOMAIN", "staging.mirage-sandbox.test"],
        ["EMAIL", "devops@mirage-sandbox.test"],
        ["URL", inventory],
        ["URL", "https://github.com/someone-else/notes/blob/0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b/README.md"]
      ])
      expect(findings.find((finding) => finding.type === "EMAIL")?.source_data).toEqual({ files: [inventory] })
      const values = findings.map((finding) => finding.value)
      for (const absent of ["notmirage-sandbox.test", "ca@othersite.example", "othersite.example"]) {
        expect(values).not.toContain(absent)
      }
      expect(intel.github.requestLog()).toEqual(["/search/code?q=%22mirage-sandbox.test%22&per_page=100&page=1"])
      const headers = intel.github.received()[0]?.headers
      expect(headers?.authorization).toBe(`Bearer ${token}`)
      expect(headers?.accept).toBe("application/vnd.github.text-match+json")
      expect(headers?.["x-github-api-version"]).toBe("2022-11-28")
      expect(JSON.stringify(logs)).not.toContain(token)
    }))

  it.scoped("without text matches only the files are reported", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open(token, { text_matches: false })
      const findings = yield* session.collect(target(IntelWorld.domain))
      expect(findings.every((finding) => finding.type === "URL")).toBe(true)
      expect(intel.github.received()[0]?.headers.accept).toBe("application/vnd.github+json")
    }))

  it.scoped("follows the Link header's next page up to max_pages", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open(token, { per_page: 1, max_pages: 5 })
      const findings = yield* session.collect(target(IntelWorld.domain))
      expect(findings.filter((finding) => finding.type === "URL")).toHaveLength(2)
      expect(intel.github.requestLog()).toEqual([
        "/search/code?q=%22mirage-sandbox.test%22&per_page=1&page=1",
        "/search/code?q=%22mirage-sandbox.test%22&per_page=1&page=2"
      ])
    }))

  it.scoped("a subdomain target keeps only names under it; no match is no findings", () =>
    Effect.gen(function*() {
      const { session } = yield* open()
      const staging = yield* session.collect(target("staging.mirage-sandbox.test"))
      expect(staging.map((finding) => [finding.type, finding.value])).toEqual([
        ["DOMAIN", "staging.mirage-sandbox.test"],
        ["URL", inventory]
      ])
      expect(yield* session.collect(target("nowhere-in-code.test"))).toEqual([])
    }))

  it.scoped("no token configured: AuthFailed before any request", () =>
    Effect.gen(function*() {
      const intel = yield* IntelWorld.make
      const { ctx } = yield* context(intel.endpoints, undefined)
      const session = yield* githubCodeSearch.open({}, ctx)
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({ _tag: "AuthFailed" })
      expect(intel.github.requests()).toBe(0)
    }))

  it.scoped("Bad credentials (401) is AuthFailed, without the token", () =>
    Effect.gen(function*() {
      const { session } = yield* open("ghp_wrongwrongwrong")
      const error = yield* Effect.flip(session.collect(target(IntelWorld.domain)))
      expect(error).toMatchObject({ _tag: "AuthFailed", status: 401 })
      expect(JSON.stringify(error) + error.message).not.toContain("ghp_wrongwrongwrong")
    }))

  it.scoped("the secondary rate limit (403 with retry-after) is RateLimited, not AuthFailed", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* intel.github.failNext(1, {
        status: 403,
        retryAfter: "60",
        body: GithubServer.secondaryRateLimitBody,
        contentType: "application/json"
      })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 60_000
      })
      // Without retry-after the message still tells a rate limit from a refused token.
      yield* intel.github.failNext(1, {
        status: 403,
        body: GithubServer.secondaryRateLimitBody,
        contentType: "application/json"
      })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({ _tag: "RateLimited" })
      yield* intel.github.failNext(1, {
        status: 403,
        body: "{\"message\":\"Resource not accessible by personal access token\"}",
        contentType: "application/json"
      })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({
        _tag: "AuthFailed",
        status: 403
      })
    }))

  it.scoped("the primary rate limit (403, x-ratelimit-remaining: 0) waits until x-ratelimit-reset", () =>
    Effect.gen(function*() {
      const resetAt = Date.parse("2025-06-01T12:01:00Z") / 1000
      const server = yield* GithubServer.make([], { token, searchQuota: { limit: 1, resetAt } })
      const { ctx } = yield* context({ github: server.url }, token)
      const session = yield* githubCodeSearch.open({}, ctx)
      yield* TestClock.setTime(Date.parse("2025-06-01T12:00:15Z"))
      expect(yield* session.collect(target(IntelWorld.domain))).toEqual([])
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 45_000
      })
    }))

  it.scoped("a malformed answer is BadResponse", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* intel.github.failNext(1, { status: 200, body: "{\"total_count\": 1}", contentType: "application/json" })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({ _tag: "BadResponse" })
    }))

  it.scoped("odd items and matches are skipped, the rest read; a failing later page keeps the first", () =>
    Effect.gen(function*() {
      const query = { q: "\"example.test\"", per_page: "100", page: "1" }
      const headers = { authorization: `Bearer ${token}`, accept: "application/vnd.github.text-match+json" }
      const next = `<${"https://api.github.com"}/search/code?q=%22example.test%22&per_page=100&page=2>; rel="next"`
      const { notes, outcome, server } = yield* collectAgainst(githubCodeSearch, [
        {
          request: { path: "/search/code", query, headers },
          response: {
            headers: { link: next },
            json: {
              total_count: "3",
              items: [
                {
                  html_url: "https://github.com/acme/site/blob/1/a.yml",
                  path: 7,
                  repository: null,
                  text_matches: [{ fragment: "host: vpn.example.test" }, { fragment: null }, { property: "content" }, 3]
                },
                { html_url: "https://github.com/acme/site/blob/1/b.md", text_matches: "none" },
                { path: "c.txt" }
              ]
            }
          }
        },
        {
          request: { path: "/search/code", query: { ...query, page: "2" }, headers },
          response: { status: 502, body: "<html>Bad gateway</html>", headers: { "content-type": "text/html" } }
        }
      ], { target: { type: "DOMAIN", value: "example.test" }, key: token, config: { max_pages: 3 } })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => [f.type, f.value])).toEqual([
        ["DOMAIN", "vpn.example.test"],
        ["URL", "https://github.com/acme/site/blob/1/a.yml"],
        ["URL", "https://github.com/acme/site/blob/1/b.md"]
      ])
      expect(notes.rows_skipped).toBe(1)
      expect(notes.skip_reason).toContain("html_url")
      expect(notes.warnings).toEqual([expect.stringContaining("page 2 failed")])
    }))
})
