/** hackertarget_hostsearch against the emulated host search: CSV rows, its text answers for quota and errors, the key. */
import { describe, expect, it } from "@effect/vitest"
import { makeModuleContext } from "@mirage/modules/Module"
import { hackertargetHostsearch } from "@mirage/modules/modules/hackertarget_hostsearch"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import * as HackertargetServer from "@mirage/testkit/HackertargetServer"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import { Effect, Either, Redacted, TestClock } from "effect"
import { collectAgainst } from "./support.js"

const key = IntelWorld.keys.hackertarget

const open = (options: { readonly key?: string; readonly config?: unknown } = {}) =>
  Effect.gen(function*() {
    const intel = yield* IntelWorld.make
    const logs: Array<unknown> = []
    const ctx = yield* makeModuleContext({
      module: "hackertarget_hostsearch",
      endpoints: { dnsServers: [], ...intel.endpoints },
      timeoutMs: 5_000,
      ...(options.key === undefined ? {} : { credentials: Redacted.make(options.key) }),
      log: (message, fields = {}) => Effect.sync(() => void logs.push({ message, fields }))
    })
    return { intel, logs, session: yield* hackertargetHostsearch.open(options.config ?? {}, ctx) }
  })

const target = (value: string) => ({ target: { type: "DOMAIN" as const, value } })

describe("hackertarget_hostsearch", () => {
  it.scoped("finds the host names under the domain and their addresses", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      const findings = yield* session.collect(target(IntelWorld.domain))
      expect(findings.map((finding) => [finding.type, finding.value])).toEqual([
        ["DOMAIN", "api.mirage-sandbox.test"],
        ["DOMAIN", "mail.mirage-sandbox.test"],
        ["DOMAIN", "mirage-sandbox.test"],
        ["DOMAIN", "vpn.mirage-sandbox.test"],
        ["DOMAIN", "www.mirage-sandbox.test"],
        ["IP", "192.0.2.10"],
        ["IP", "192.0.2.11"],
        ["IP", "192.0.2.12"],
        ["IP", "198.51.100.25"],
        ["IP", "203.0.113.5"]
      ])
      expect(findings.find((finding) => finding.value === "198.51.100.25")?.metadata).toEqual({
        hostnames: ["mail.mirage-sandbox.test"]
      })
      expect(intel.hackertarget.requestLog()).toEqual(["/hostsearch/?q=mirage-sandbox.test"])
    }))

  it.scoped("the key goes in `apikey`, and never into logs", () =>
    Effect.gen(function*() {
      const { intel, logs, session } = yield* open({ key, config: { ips: false } })
      const findings = yield* session.collect(target(IntelWorld.domain))
      expect(findings.every((finding) => finding.type === "DOMAIN")).toBe(true)
      expect(intel.hackertarget.requestLog()).toEqual([`/hostsearch/?q=mirage-sandbox.test&apikey=${key}`])
      expect(JSON.stringify(logs)).not.toContain(key)
    }))

  it.scoped("\"No records found\" is no findings", () =>
    Effect.gen(function*() {
      const { session } = yield* open()
      expect(yield* session.collect(target("unknown-elsewhere.test"))).toEqual([])
    }))

  it.scoped("the \"API count exceeded\" text is RateLimited until the quota resets at midnight UTC", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* TestClock.setTime(Date.parse("2025-06-01T18:00:00Z"))
      yield* intel.hackertarget.failNext(1, { status: 200, body: HackertargetServer.quotaExceeded })
      const error = yield* Effect.flip(session.collect(target(IntelWorld.domain)))
      expect(error).toMatchObject({ _tag: "RateLimited", retryAfterMs: 6 * 3_600_000 })
    }))

  it.scoped("the quota answer comes after 50 keyless queries", () =>
    Effect.gen(function*() {
      const { session } = yield* open()
      yield* Effect.repeatN(session.collect(target(IntelWorld.domain)), 49)
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({ _tag: "RateLimited" })
    }))

  it.scoped("a rejected key is AuthFailed, without the key in the error", () =>
    Effect.gen(function*() {
      const { session } = yield* open({ key: "not-the-key-42" })
      const error = yield* Effect.flip(session.collect(target(IntelWorld.domain)))
      expect(error._tag).toBe("AuthFailed")
      expect(JSON.stringify(error) + error.message).not.toContain("not-the-key-42")
    }))

  it.scoped("an error line or an answer that is not CSV is BadResponse", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* intel.hackertarget.failNext(1, { status: 200, body: "error check your search parameter" })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({ _tag: "BadResponse" })
      yield* intel.hackertarget.failNext(1, { status: 200, body: "<html><body>Cloudflare</body></html>" })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({ _tag: "BadResponse" })
    }))

  it.scoped("HTTP 429 with Retry-After is RateLimited with retryAfterMs", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open({ key })
      yield* intel.hackertarget.failNext(1, { status: 429, retryAfter: "30" })
      const error = yield* Effect.flip(session.collect(target(IntelWorld.domain)))
      expect(error).toMatchObject({ _tag: "RateLimited", retryAfterMs: 30_000 })
    }))

  it.scoped("a bare host name line is a name without address; an odd line is skipped, not the answer", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(hackertargetHostsearch, [{
        request: { path: "/hostsearch/", query: { q: "example.test" } },
        response: FixtureServer.text(
          "www.example.test,192.0.2.7\nmail.example.test\nthis line, is, odd\nvpn.example.test,\n"
        )
      }], { target: { type: "DOMAIN", value: "example.test" } })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => `${f.type} ${f.value}`)).toEqual([
        "DOMAIN mail.example.test",
        "DOMAIN vpn.example.test",
        "DOMAIN www.example.test",
        "IP 192.0.2.7"
      ])
      expect(notes).toMatchObject({ rows_skipped: 1, skip_reason: expect.stringContaining("this line") })
    }))
})
