/** whatsmyname with a fixture server standing in for every site: requests as the data says, verdicts, failures, config. */
import { describe, expect, it } from "@effect/vitest"
import { selectSites, sites, verdictOf, whatsmyname } from "@mirage/modules/modules/whatsmyname"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import { Effect, Either } from "effect"
import { contextFor } from "./support.js"

const githubAgent = sites.find((site) => site.name === "GitHub (User)")?.headers?.["User-Agent"] ?? ""

/** A request the server must see: the site's host in `Host`, the data's path and query. */
const to = (host: string, path: string, query: Record<string, string> = {}, headers: Record<string, string> = {}) => ({
  path,
  query,
  headers: { host, "x-forwarded-proto": "https", ...headers }
})

const run = (exchanges: ReadonlyArray<FixtureServer.ExchangeInput>, username: string, config: unknown) =>
  Effect.gen(function*() {
    const server = yield* FixtureServer.make(exchanges)
    const { ctx, logs } = yield* contextFor("whatsmyname", { dnsServers: [], whatsmyname: server.url })
    const outcome = yield* Effect.either(
      Effect.flatMap(
        whatsmyname.open(config, ctx),
        (session) => session.collect({ target: { type: "USERNAME", value: username } })
      )
    )
    yield* server.verify
    return { outcome, notes: yield* ctx.notes.summary, logs }
  })

describe("whatsmyname", () => {
  it.scoped("asks each site once as the data says; found profiles are URLs, missing and unknown ones are not", () =>
    Effect.gen(function*() {
      const { notes, outcome } = yield* run(
        [
          {
            request: to("api.github.com", "/users/jdoe", {}, { "user-agent": githubAgent }),
            response: FixtureServer.json({ login: "jdoe", id: 42 })
          },
          { request: to("gitlab.com", "/api/v4/users", { username: "jdoe" }), response: FixtureServer.json([]) },
          {
            request: to("www.reddit.com", "/user/jdoe/about.json"),
            response: FixtureServer.json({ kind: "t2", data: { id: "abc", name: "jdoe" } })
          },
          // A maintenance page matches neither rule.
          {
            request: to("codeberg.org", "/api/v1/users/jdoe"),
            response: FixtureServer.text("<html>down for maintenance</html>", 200, "text/html")
          }
        ],
        "jdoe",
        { sites: ["github (user)", "GitLab", "Reddit", "Codeberg"] }
      )
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => `${f.type} ${f.value}`).sort()).toEqual([
        "URL https://github.com/jdoe",
        "URL https://www.reddit.com/user/jdoe"
      ])
      expect(findings.find((f) => f.value === "https://github.com/jdoe")).toMatchObject({
        confidence: 0.75,
        source_data: { check_url: "https://api.github.com/users/jdoe", rule: { e_code: 200, e_string: "\"id\":" } },
        metadata: { site: "GitHub (User)", category: "coding", username: "jdoe", profile: true }
      })
      expect(notes.rows_skipped).toBe(1)
      expect(notes.skip_reason).toContain("Codeberg")
    }))

  it.scoped("a site's bad characters are dropped from the name; a profile without uri_pretty is its check URL", () =>
    Effect.gen(function*() {
      const { outcome } = yield* run(
        [
          {
            request: to("medium.com", "/@jdoe/about"),
            response: FixtureServer.text("<p>Medium member since 2019</p>", 200, "text/html")
          }
        ],
        "j.doe",
        { sites: ["Medium"] }
      )
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual(["https://medium.com/@jdoe/about"])
    }))

  it.scoped("a site answering 503 is unknown while others answer; when no site can be reached, the task fails", () =>
    Effect.gen(function*() {
      const partial = yield* run(
        [
          {
            request: to("keybase.io", "/_/api/1.0/user/lookup.json", { usernames: "jdoe" }),
            response: FixtureServer.text("busy", 503)
          },
          {
            request: to("gitlab.com", "/api/v4/users", { username: "jdoe" }),
            response: FixtureServer.json([{ id: 7 }])
          }
        ],
        "jdoe",
        { sites: ["Keybase", "GitLab"] }
      )
      expect(Either.getOrThrow(partial.outcome).map((f) => f.value)).toEqual(["https://gitlab.com/jdoe"])
      // A 503 is an answer to the HTTP client: it matched neither rule of Keybase.
      expect(partial.notes.skip_reason).toContain("Keybase")
      const closed = yield* contextFor("whatsmyname", { dnsServers: [], whatsmyname: "http://127.0.0.1:9" })
      const session = yield* whatsmyname.open({ sites: ["GitLab"] }, closed.ctx)
      const failed = yield* Effect.either(session.collect({ target: { type: "USERNAME", value: "jdoe" } }))
      expect(Either.flip(failed).pipe(Either.getOrThrow)).toMatchObject({ _tag: "SourceUnavailable" })
    }))

  it.scoped("an unknown site name is a config error; categories select sites", () =>
    Effect.gen(function*() {
      const { outcome } = yield* run([], "jdoe", { sites: ["Nowhere"] })
      expect(Either.flip(outcome).pipe(Either.getOrThrow).message).toContain("no such site: Nowhere")
      const coding = Either.getOrThrow(selectSites({ sites: [], categories: ["coding"], concurrency: 4 }))
      expect(coding.map((site) => site.name)).toContain("GitHub (User)")
      expect(coding.every((site) => site.cat === "coding")).toBe(true)
    }))

  it("ships 49 GET checks; reads verdicts by WhatsMyName's rule", () => {
    expect(sites).toHaveLength(49)
    const gitlab = sites.find((site) => site.name === "GitLab")!
    expect(verdictOf(gitlab, { status: 200, body: "[{\"id\":1}]" })).toBe("found")
    expect(verdictOf(gitlab, { status: 200, body: "[]" })).toBe("missing")
    expect(verdictOf(gitlab, { status: 429, body: "slow down" })).toBe("unknown")
  })
})
