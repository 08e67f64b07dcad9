/** humans_txt against a declared site: where it looks, what it reads from the team, soft 404s, 503s and the sandbox. */
import { describe, expect, it } from "@effect/vitest"
import { deobfuscate, handleOf, humansTxt, parseHumansTxt } from "@mirage/modules/modules/humans_txt"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import { Effect, Either } from "effect"
import { contextFor, domainTarget, worldWithContext } from "./support.js"

const file = `/* TEAM */
  Chef: Ada Example
  Contact: ada (at) example.test
  Twitter: @ada_example
  GitHub: https://github.com/ada-ex
  Mastodon: @ada@social.example
  Site: https://blog.example.test/ada and https://elsewhere.example/ada

  Engineer: Bob
  Contact: bob@mail.other.example

/* THANKS */
  Name: Carol
  X: https://x.com/carol_c

/* SITE */
  Last update: 2025/01/01
  Standards: HTML5, CSS3
  ASCII art below, no fields:
   _._
`

const at = (path: string) => ({ path, headers: { host: "example.test", "x-forwarded-proto": "https" } })

const run = (exchanges: ReadonlyArray<FixtureServer.ExchangeInput>) =>
  Effect.gen(function*() {
    const server = yield* FixtureServer.make(exchanges)
    const { ctx } = yield* contextFor("humans_txt", { dnsServers: [] })
    const outcome = yield* Effect.either(
      Effect.flatMap(humansTxt.open({ base_url: server.url }, ctx), (session) =>
        session.collect(domainTarget("example.test")))
    )
    yield* server.verify
    return outcome
  })

describe("humans_txt", () => {
  it.scoped("reads /humans.txt: in-scope addresses and links, handles of known networks, the file with its sections", () =>
    Effect.gen(function*() {
      const findings = Either.getOrThrow(
        yield* run([{ request: at("/humans.txt"), response: FixtureServer.text(file) }])
      )
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        "URL https://example.test/humans.txt",
        "EMAIL ada@example.test",
        "USERNAME ada_example",
        "USERNAME ada-ex",
        "USERNAME ada@social.example",
        "URL https://blog.example.test/ada",
        "USERNAME carol_c"
      ])
      expect(findings[0]?.metadata).toEqual({ humans_txt: true, sections: ["TEAM", "THANKS", "SITE"] })
      expect(findings[2]?.metadata).toEqual({
        humans_txt: "https://example.test/humans.txt",
        section: "TEAM",
        field: "Twitter",
        person: "Ada Example",
        service: "twitter"
      })
    }))

  it.scoped("an HTML soft 404, a 404 or a file with no fields is no findings; a 503 is SourceUnavailable", () =>
    Effect.gen(function*() {
      const soft = yield* run([{
        request: at("/humans.txt"),
        response: FixtureServer.text("<html><body>Developer: nobody</body></html>", 200, "text/html")
      }])
      expect(Either.getOrThrow(soft)).toEqual([])
      const missing = yield* run([{ request: at("/humans.txt"), response: FixtureServer.text("nope", 404) }])
      expect(Either.getOrThrow(missing)).toEqual([])
      const garbage = yield* run([{
        request: at("/humans.txt"),
        response: FixtureServer.text("\u0000\u0001 just bytes")
      }])
      expect(Either.getOrThrow(garbage)).toEqual([])
      const down = yield* run([{ request: at("/humans.txt"), response: FixtureServer.text("busy", 503) }])
      expect(Either.flip(down).pipe(Either.getOrThrow)).toMatchObject({ _tag: "SourceUnavailable" })
    }))

  it.scoped("the sandbox's site serves one, reached through its bare domain's redirect", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("humans_txt")
      const session = yield* humansTxt.open(world.moduleConfig["humans_txt"], ctx)
      const findings = yield* session.collect(domainTarget(world.domain))
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        "URL https://www.mirage-sandbox.test/humans.txt",
        "EMAIL jane.doe@mirage-sandbox.test",
        "USERNAME janedoe_dev",
        "USERNAME mirage-jane",
        "URL https://www.mirage-sandbox.test/about/"
      ])
    }))

  it("parses sections and fields, writes out obfuscated addresses, reads handles", () => {
    expect(parseHumansTxt(file).map((section) => [section.name, section.fields.length])).toEqual([
      ["TEAM", 8],
      ["THANKS", 2],
      ["SITE", 2]
    ])
    expect(deobfuscate("jane [at] example [dot] test")).toBe("jane@example.test")
    expect(handleOf("https://www.linkedin.com/in/jane-doe/", /linkedin\.com$/)).toBe("jane-doe")
    expect(handleOf("https://evil.example/jane", /github\.com$/)).toBeUndefined()
    expect(handleOf("two words", /x/)).toBeUndefined()
  })
})
