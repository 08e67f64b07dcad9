/** email_format against the fixture world's email-format.com: the listing page, obfuscation, and the site's failures. */
import { describe, expect, it } from "@effect/vitest"
import { decodeCfEmail, emailFormat, pageEmails } from "@mirage/modules/modules/email_format"
import * as EmailFormatServer from "@mirage/testkit/EmailFormatServer"
import { Effect, Option } from "effect"
import { contextFor, domainTarget, worldWithContext } from "./support.js"

describe("email_format", () => {
  it.scoped("finds the domain's addresses on its listing page, obfuscated ones decoded", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("email_format")
      const session = yield* emailFormat.open({}, ctx)
      const findings = yield* session.collect(domainTarget(world.domain))
      expect(findings.map((finding) => finding.value)).toEqual([
        "jane.doe@mirage-sandbox.test",
        "john.smith@mirage-sandbox.test"
      ])
      expect(findings[0]).toMatchObject({ type: "EMAIL", confidence: 0.6, metadata: { source: "email-format.com" } })
      expect(world.emailFormat.requestLog()).toEqual(["/d/mirage-sandbox.test/"])
    }))

  it.scoped("a domain the site does not know is no findings", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("email_format")
      const session = yield* emailFormat.open({ whole_page: true }, ctx)
      expect(yield* session.collect(domainTarget("www.mirage-sandbox.test"))).toEqual([])
      expect(world.emailFormat.requests()).toBe(1)
    }))

  it.scoped("429 is RateLimited, 503 SourceUnavailable, 403 AuthFailed, a refused connection SourceUnavailable", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("email_format")
      const session = yield* emailFormat.open({}, ctx)
      yield* world.emailFormat.failNext(1, { status: 429, retryAfter: "60" })
      expect(yield* Effect.flip(session.collect(domainTarget(world.domain)))).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 60_000
      })
      yield* world.emailFormat.failNext(1, { status: 503 })
      expect((yield* Effect.flip(session.collect(domainTarget(world.domain))))._tag).toBe("SourceUnavailable")
      yield* world.emailFormat.failNext(1, { status: 403 })
      expect((yield* Effect.flip(session.collect(domainTarget(world.domain))))._tag).toBe("AuthFailed")
      const gone = yield* Effect.scoped(Effect.map(EmailFormatServer.make({}), (server) => server.url))
      const { ctx: goneCtx } = yield* contextFor("email_format", { dnsServers: [], email_format: gone })
      const refused = yield* Effect.flip((yield* emailFormat.open({}, goneCtx)).collect(domainTarget(world.domain)))
      expect(refused._tag).toBe("SourceUnavailable")
    }))

  it("reads the listing blocks through the HTML parser: an unquoted class, nested markup, entities", () => {
    const html = `<html><body>
<div class=fl><div class="row"><span>ann@example.test</span><span>bob@example.test</span></div> carl&#64;example.test</div>
<div class="fl wide"><a class="__cf_email__" data-cfemail="${
      EmailFormatServer.cfEncode("dee@example.test")
    }">[email&#160;protected]</a></div>
<div class="sidebar">Contact us: support@email-format.example</div>
</body></html>`
    expect(pageEmails(html, false)).toEqual([
      "ann@example.test",
      "bob@example.test",
      "carl@example.test",
      "dee@example.test"
    ])
    expect(pageEmails(html, true)).toContain("support@email-format.example")
  })

  it("decodes Cloudflare-obfuscated addresses", () => {
    expect(decodeCfEmail(EmailFormatServer.cfEncode("a.b@example.test", 0x21))).toEqual(Option.some("a.b@example.test"))
    expect(decodeCfEmail("zz")).toEqual(Option.none())
  })

  it.scoped("setup fails without an endpoint; config is validated", () =>
    Effect.gen(function*() {
      const { ctx } = yield* contextFor("email_format", { dnsServers: [] })
      expect(yield* Effect.flip(emailFormat.open({}, ctx))).toMatchObject({
        _tag: "ModuleConfigError",
        reason: "no endpoint configured for email_format"
      })
      const { ctx: world } = yield* worldWithContext("email_format")
      expect((yield* Effect.flip(emailFormat.open({ whole_page: "yes" }, world))).message).toContain("whole_page")
    }))
})
