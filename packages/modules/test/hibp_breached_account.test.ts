/** hibp_breached_account against the emulated HIBP v3: breaches with their metadata, 404, the key and user agent. */
import { describe, expect, it } from "@effect/vitest"
import { hibpBreachedAccount } from "@mirage/modules/modules/hibp_breached_account"
import * as HibpServer from "@mirage/testkit/HibpServer"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import { Effect, Either } from "effect"
import { collectAgainst, intelWithContext } from "./support.js"

const key = IntelWorld.keys.hibp

const context = (credentials: string | undefined) => intelWithContext("hibp_breached_account", credentials)

const open = (credentials: string = key, config: unknown = {}) =>
  Effect.gen(function*() {
    const { ctx, intel, logs } = yield* context(credentials)
    return { intel, logs, session: yield* hibpBreachedAccount.open(config, ctx) }
  })

const target = (value: string) => ({ target: { type: "EMAIL" as const, value } })

describe("hibp_breached_account", () => {
  it.scoped("finds the breaches of the sandbox's hostmaster, with their details", () =>
    Effect.gen(function*() {
      const { intel, logs, session } = yield* open()
      const findings = yield* session.collect(target("hostmaster@mirage-sandbox.test"))
      expect(findings.map((finding) => [finding.type, finding.value, finding.confidence])).toEqual([
        ["BREACH", "SandboxForums", 0.9],
        ["BREACH", "ComboListSpam2024", 0.5]
      ])
      expect(findings[0]?.metadata).toEqual({
        account: "hostmaster@mirage-sandbox.test",
        title: "Sandbox Forums",
        domain: "sandboxforums.test",
        breach_date: "2023-11-02",
        pwn_count: 184_223,
        data_classes: ["Email addresses", "Passwords", "Usernames"],
        verified: true,
        spam_list: false,
        sensitive: false
      })
      expect(intel.hibp.requestLog()).toEqual([
        "/api/v3/breachedaccount/hostmaster%40mirage-sandbox.test?truncateResponse=false"
      ])
      const headers = intel.hibp.received()[0]?.headers
      expect(headers?.["hibp-api-key"]).toBe(key)
      expect(headers?.["user-agent"]).toBe("Mirage-OSINT-Platform")
      expect(JSON.stringify(logs)).not.toContain(key)
    }))

  it.scoped("config: leave out unverified breaches", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open(key, { include_unverified: false })
      const findings = yield* session.collect(target("hostmaster@mirage-sandbox.test"))
      expect(findings.map((finding) => finding.value)).toEqual(["SandboxForums"])
      expect(intel.hibp.requestLog()[0]).toContain("&includeUnverified=false")
    }))

  it.scoped("404 means the account is in no breach: no findings", () =>
    Effect.gen(function*() {
      const { session } = yield* open()
      expect(yield* session.collect(target("devops@mirage-sandbox.test"))).toEqual([])
    }))

  it.scoped("no key configured: setup fails with AuthFailed", () =>
    Effect.gen(function*() {
      const { ctx } = yield* context(undefined)
      expect(yield* Effect.flip(hibpBreachedAccount.open({}, ctx))).toMatchObject({ _tag: "AuthFailed" })
    }))

  it.scoped("a rejected key is AuthFailed, without the key", () =>
    Effect.gen(function*() {
      const { session } = yield* open("wrong-hibp-key-00")
      const error = yield* Effect.flip(session.collect(target("hostmaster@mirage-sandbox.test")))
      expect(error).toMatchObject({ _tag: "AuthFailed", status: 401 })
      expect(JSON.stringify(error) + error.message).not.toContain("wrong-hibp-key-00")
    }))

  it.scoped("429 with Retry-After is RateLimited with retryAfterMs", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* intel.hibp.failNext(1, {
        status: 429,
        retryAfter: "6",
        body: HibpServer.rateLimitedBody,
        contentType: "application/json"
      })
      expect(yield* Effect.flip(session.collect(target("hostmaster@mirage-sandbox.test")))).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 6_000
      })
    }))

  it.scoped("a malformed answer is BadResponse", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* intel.hibp.failNext(1, { status: 200, body: "[{\"Title\": \"x\"}]", contentType: "application/json" })
      expect(yield* Effect.flip(session.collect(target("hostmaster@mirage-sandbox.test")))).toMatchObject({
        _tag: "BadResponse"
      })
    }))

  it.scoped("odd breaches are skipped and counted; fields of another type than documented are left out", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(hibpBreachedAccount, [{
        request: {
          path: "/api/v3/breachedaccount/jane%40example.test",
          query: { truncateResponse: "false" },
          headers: { "hibp-api-key": key, "user-agent": "Mirage-OSINT-Platform" }
        },
        response: {
          json: [
            { Name: "Adobe", PwnCount: "152445165", BreachDate: "2013-10-04", IsVerified: true, DataClasses: null },
            { Name: "Canva", PwnCount: 137272116, IsVerified: "yes" },
            { Title: "No name" },
            null
          ]
        }
      }], { target: { type: "EMAIL", value: "jane@example.test" }, key })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => [f.value, f.metadata["pwn_count"], f.metadata["verified"]])).toEqual([
        ["Adobe", null, true],
        ["Canva", 137272116, null]
      ])
      expect(findings[0]?.metadata["breach_date"]).toBe("2013-10-04")
      expect(notes.rows_skipped).toBe(2)
      expect(notes.skip_reason).toContain("Name")
    }))
})
