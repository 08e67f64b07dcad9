/** shodan_host against the emulated Shodan host API: banners to ports and technologies, the key, Shodan's errors. */
import { describe, expect, it } from "@effect/vitest"
import { makeModuleContext } from "@mirage/modules/Module"
import { shodanHost } from "@mirage/modules/modules/shodan_host"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import * as ShodanServer from "@mirage/testkit/ShodanServer"
import { Effect, Either, Redacted } from "effect"
import { collectAgainst, intelWithContext } from "./support.js"

const key = IntelWorld.keys.shodan

const context = (credentials: string | undefined) => intelWithContext("shodan_host", credentials)

const open = (credentials: string = key, config: unknown = {}) =>
  Effect.gen(function*() {
    const { ctx, intel, logs } = yield* context(credentials)
    return { intel, logs, session: yield* shodanHost.open(config, ctx) }
  })

const target = (value: string) => ({ target: { type: "IP" as const, value } })

const pairs = (findings: ReadonlyArray<{ readonly type: string; readonly value: string }>) =>
  findings.map((finding) => [finding.type, finding.value])

describe("shodan_host", () => {
  it.scoped("finds the open ports, host names, products and organization of an address", () =>
    Effect.gen(function*() {
      const { intel, logs, session } = yield* open()
      const findings = yield* session.collect(target("192.0.2.10"))
      expect(pairs(findings)).toEqual([
        ["DOMAIN", "mirage-sandbox.test"],
        ["OPEN_PORT", "192.0.2.10:443"],
        ["OPEN_PORT", "192.0.2.10:80"],
        ["ORGANIZATION", "Mirage Sandbox Ltd"],
        ["TECHNOLOGY", "nginx"]
      ])
      expect(findings.find((finding) => finding.type === "TECHNOLOGY")?.metadata).toEqual({
        ip: "192.0.2.10",
        versions: ["1.24.0"],
        ports: [80, 443],
        cpe23: ["cpe:2.3:a:f5:nginx:1.24.0"]
      })
      // The key goes in the query string, as Shodan wants it, and nowhere else.
      expect(intel.shodan.requestLog()).toEqual([`/shodan/host/192.0.2.10?key=${key}`])
      expect(JSON.stringify(logs)).not.toContain(key)
    }))

  it.scoped("banners without a product are ports only; the transport is kept", () =>
    Effect.gen(function*() {
      const { session } = yield* open()
      const findings = yield* session.collect(target("203.0.113.5"))
      expect(pairs(findings)).toEqual([
        ["DOMAIN", "vpn.mirage-sandbox.test"],
        ["OPEN_PORT", "203.0.113.5:1194"],
        ["OPEN_PORT", "203.0.113.5:22"],
        ["ORGANIZATION", "Edge Transit Networks"],
        ["TECHNOLOGY", "OpenSSH"]
      ])
      expect(findings.find((finding) => finding.value === "203.0.113.5:1194")?.metadata).toMatchObject({
        transport: "udp"
      })
    }))

  it.scoped("config: history=true is passed on", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open(key, { history: true })
      yield* session.collect(target("192.0.2.11"))
      expect(intel.shodan.requestLog()).toEqual([`/shodan/host/192.0.2.11?key=${key}&history=true`])
    }))

  it.scoped("404 `No information available for that IP.` is no findings", () =>
    Effect.gen(function*() {
      const { session } = yield* open()
      expect(yield* session.collect(target("192.0.2.14"))).toEqual([])
    }))

  it.scoped("no key configured: setup fails with AuthFailed, no request is made", () =>
    Effect.gen(function*() {
      const { ctx, intel } = yield* context(undefined)
      const error = yield* Effect.flip(shodanHost.open({}, ctx))
      expect(error).toMatchObject({ _tag: "AuthFailed", reason: "no API key configured for shodan" })
      expect(intel.shodan.requests()).toBe(0)
    }))

  it.scoped("a rejected key is AuthFailed, and the error does not carry it", () =>
    Effect.gen(function*() {
      const { session } = yield* open("bad-shodan-key-777")
      const error = yield* Effect.flip(session.collect(target("192.0.2.10")))
      expect(error).toMatchObject({ _tag: "AuthFailed", status: 401 })
      expect(JSON.stringify(error) + error.message).not.toContain("bad-shodan-key-777")
    }))

  it.scoped("429 is RateLimited with retryAfterMs; a refused connection's error has no key", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* intel.shodan.failNext(1, {
        status: 429,
        retryAfter: "1",
        body: ShodanServer.rateLimitedBody,
        contentType: "application/json"
      })
      expect(yield* Effect.flip(session.collect(target("192.0.2.10")))).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 1_000
      })
      const closed = yield* Effect.scoped(Effect.map(IntelWorld.make, (world) => world.endpoints))
      const ctx = yield* makeModuleContext({
        module: "shodan_host",
        endpoints: { dnsServers: [], ...closed },
        credentials: Redacted.make(key)
      })
      const offline = yield* shodanHost.open({}, ctx)
      const error = yield* Effect.flip(offline.collect(target("192.0.2.10")))
      expect(error._tag).toBe("SourceUnavailable")
      expect(error.message).not.toContain(key)
    }))

  it.scoped("a malformed body is BadResponse", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* intel.shodan.failNext(1, { status: 200, body: "{\"ip_str\": 3}", contentType: "application/json" })
      const error = yield* Effect.flip(session.collect(target("192.0.2.10")))
      expect(error._tag).toBe("BadResponse")
      expect(error.message).not.toContain(key)
    }))

  it.scoped("an answer without ip_str, with an odd banner, still gives the rest; vulns and certificates reported", () =>
    Effect.gen(function*() {
      const sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
      const { notes, outcome, server } = yield* collectAgainst(shodanHost, [{
        // The key travels in the query string, never a header.
        request: { path: "/shodan/host/192.0.2.40", query: { key }, headers: { authorization: null } },
        response: {
          json: {
            ip: 3221226024,
            ports: [443, 22],
            hostnames: ["edge.example.test"],
            vulns: ["CVE-2021-3449", "!CVE-2014-0160"],
            data: [
              {
                port: 443,
                transport: "tcp",
                product: "nginx",
                vulns: { "CVE-2021-3449": { cvss: "4.3", verified: false, summary: "OpenSSL NULL deref" } },
                ssl: { cert: { fingerprint: { sha1: "ab", sha256 } } }
              },
              { port: "22", product: "OpenSSH" }
            ]
          }
        }
      }], { target: { type: "IP", value: "192.0.2.40" }, key })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        `CERTIFICATE ${sha256}`,
        "DOMAIN edge.example.test",
        "OPEN_PORT 192.0.2.40:22",
        "OPEN_PORT 192.0.2.40:443",
        "TECHNOLOGY nginx",
        "VULNERABILITY CVE-2014-0160",
        "VULNERABILITY CVE-2021-3449"
      ])
      expect(findings.find((f) => f.value === "CVE-2021-3449")?.metadata).toEqual({
        ip: "192.0.2.40",
        verified: false,
        cvss: 4.3,
        summary: "OpenSSL NULL deref",
        ports: [443]
      })
      expect(findings.find((f) => f.value === "CVE-2014-0160")?.metadata).toMatchObject({ no_longer_seen: true })
      expect(notes).toMatchObject({ rows_skipped: 1, skip_reason: expect.stringContaining("data") })
    }))
})
