/** securitytxt against a declared site: where it looks, signed files, contacts, expiry, soft 404s and 503s. */
import { describe, expect, it } from "@effect/vitest"
import { parseSecurityTxt, problemsOf, securitytxt } from "@mirage/modules/modules/securitytxt"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import { Effect, Either, TestClock } from "effect"
import { contextFor, worldWithContext } from "./support.js"

const signed = `-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA512

# Our security contacts
Contact: mailto:security@example.test
Contact: tel:+44-20-7946-0000
Contact: https://example.test/report
Contact: https://bugs.platform.test/example
Expires: 2026-01-01T00:00:00.000Z
Preferred-Languages: en, fr
Canonical: https://example.test/.well-known/security.txt
Policy: https://example.test/security-policy
- Hiring: https://example.test/jobs
-----BEGIN PGP SIGNATURE-----

iQIzBAEBCgAdFiEE
-----END PGP SIGNATURE-----
`

const at = (path: string) => ({
  path,
  headers: { host: "example.test", "x-forwarded-proto": "https", accept: "*/*" }
})

const run = (exchanges: ReadonlyArray<FixtureServer.ExchangeInput>) =>
  Effect.gen(function*() {
    const server = yield* FixtureServer.make(exchanges)
    const { ctx } = yield* contextFor("securitytxt", { dnsServers: [] })
    const outcome = yield* Effect.either(
      Effect.flatMap(
        securitytxt.open({ base_url: server.url }, ctx),
        (session) => session.collect({ target: { type: "DOMAIN", value: "example.test" } })
      )
    )
    yield* server.verify
    return outcome
  })

describe("securitytxt", () => {
  it.scoped("reads the signed file at /.well-known: contacts as EMAIL, PHONE and in-scope URL; the file with its fields", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2025-06-01T00:00:00Z"))
      const outcome = yield* run([{ request: at("/.well-known/security.txt"), response: FixtureServer.text(signed) }])
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        "URL https://example.test/.well-known/security.txt",
        "EMAIL security@example.test",
        "PHONE +442079460000",
        "URL https://example.test/report"
      ])
      expect(findings[0]?.metadata).toEqual({
        security_txt: true,
        expires: "2026-01-01T00:00:00.000Z",
        problems: [],
        legacy_location: false
      })
      expect(findings[0]?.source_data["fields"]).toContainEqual({ name: "hiring", value: "https://example.test/jobs" })
      expect(findings[1]?.metadata).toEqual({
        field: "Contact",
        security_txt: "https://example.test/.well-known/security.txt"
      })
    }))

  it.scoped("an HTML soft 404 is no file; the legacy /security.txt is read next, and its expiry checked", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2027-01-01T00:00:00Z"))
      const outcome = yield* run([
        {
          request: at("/.well-known/security.txt"),
          response: FixtureServer.text("<html><body>Contact: us</body></html>", 200, "text/html")
        },
        {
          request: at("/security.txt"),
          response: FixtureServer.text("Contact: mailto:sec@example.test\nExpires: 2026-01-01T00:00:00Z\n")
        }
      ])
      const findings = Either.getOrThrow(outcome)
      expect(findings[0]?.metadata).toMatchObject({ problems: ["expired"], legacy_location: true })
      expect(findings.map((f) => f.value)).toContain("sec@example.test")
    }))

  it.scoped("404 at both places is no findings; a 503 is SourceUnavailable, a 429 RateLimited for its Retry-After", () =>
    Effect.gen(function*() {
      const none = yield* run([
        { request: at("/.well-known/security.txt"), response: FixtureServer.text("not found", 404) },
        { request: at("/security.txt"), response: FixtureServer.text("not found", 404) }
      ])
      expect(Either.getOrThrow(none)).toEqual([])
      const down = yield* run([{ request: at("/.well-known/security.txt"), response: FixtureServer.text("busy", 503) }])
      expect(Either.flip(down).pipe(Either.getOrThrow)).toMatchObject({ _tag: "SourceUnavailable" })
      const limited = yield* run([{ request: at("/.well-known/security.txt"), response: FixtureServer.rateLimited(7) }])
      expect(Either.flip(limited).pipe(Either.getOrThrow)).toMatchObject({ _tag: "RateLimited", retryAfterMs: 7_000 })
    }))

  it.scoped("the sandbox's site serves one, reached through its bare domain's redirect", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("securitytxt")
      const session = yield* securitytxt.open(world.moduleConfig["securitytxt"], ctx)
      const findings = yield* session.collect({ target: { type: "DOMAIN", value: world.domain } })
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        "URL https://www.mirage-sandbox.test/.well-known/security.txt",
        "EMAIL security@mirage-sandbox.test",
        "URL https://www.mirage-sandbox.test/contact/"
      ])
    }))

  it("parses fields without the armour; says what a file lacks", () => {
    expect(parseSecurityTxt(signed).map((field) => field.name)).toEqual([
      "contact",
      "contact",
      "contact",
      "contact",
      "expires",
      "preferred-languages",
      "canonical",
      "policy",
      "hiring"
    ])
    expect(problemsOf(parseSecurityTxt("Policy: https://x.test/p\n"), 0)).toEqual(["no Contact", "no Expires"])
    expect(problemsOf(parseSecurityTxt("Contact: mailto:a@x.test\nExpires: soon\nExpires: later"), 0)).toEqual([
      "more than one Expires",
      "Expires is not a date"
    ])
  })
})
