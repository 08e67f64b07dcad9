/** virustotal_domain against the emulated VirusTotal v3: cursor paging, the x-apikey header, VT's error objects. */
import { describe, expect, it } from "@effect/vitest"
import { virustotalDomain } from "@mirage/modules/modules/virustotal_domain"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import * as VirustotalServer from "@mirage/testkit/VirustotalServer"
import { Effect, Either } from "effect"
import { collectAgainst, intelWithContext } from "./support.js"

const key = IntelWorld.keys.virustotal

const context = (credentials: string | undefined) => intelWithContext("virustotal_domain", credentials)

const open = (credentials: string = key, config: unknown = {}) =>
  Effect.gen(function*() {
    const { ctx, intel, logs } = yield* context(credentials)
    return { intel, logs, session: yield* virustotalDomain.open(config, ctx) }
  })

const target = (value: string) => ({ target: { type: "DOMAIN" as const, value } })

describe("virustotal_domain", () => {
  it.scoped("finds the subdomains over every page, following meta.cursor", () =>
    Effect.gen(function*() {
      const { intel, logs, session } = yield* open()
      const findings = yield* session.collect(target(IntelWorld.domain))
      expect(findings.map((finding) => [finding.type, finding.value])).toEqual([
        ["DOMAIN", "api.mirage-sandbox.test"],
        ["DOMAIN", "cdn.mirage-sandbox.test"],
        ["DOMAIN", "dev.mirage-sandbox.test"],
        ["DOMAIN", "staging.mirage-sandbox.test"],
        ["DOMAIN", "www.mirage-sandbox.test"]
      ])
      expect(findings.find((finding) => finding.value === "cdn.mirage-sandbox.test")?.source_data).toEqual({
        last_dns_records: [{ type: "CNAME", value: "edge.mirage-sandbox.test", ttl: 300 }]
      })
      const log = intel.virustotal.requestLog()
      expect(log).toHaveLength(3)
      expect(log[0]).toBe("/api/v3/domains/mirage-sandbox.test/subdomains?limit=40")
      expect(log[1]).toMatch(/^\/api\/v3\/domains\/mirage-sandbox\.test\/subdomains\?limit=40&cursor=/)
      expect(intel.virustotal.received().every((request) => request.headers["x-apikey"] === key)).toBe(true)
      expect(log.join()).not.toContain(key)
      expect(JSON.stringify(logs)).not.toContain(key)
    }))

  it.scoped("max_pages bounds the paging", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open(key, { max_pages: 2 })
      expect(yield* session.collect(target(IntelWorld.domain))).toHaveLength(4)
      expect(intel.virustotal.requests()).toBe(2)
    }))

  it.scoped("a domain VirusTotal never saw (404 NotFoundError), or one without subdomains, is no findings", () =>
    Effect.gen(function*() {
      const { session } = yield* open()
      expect(yield* session.collect(target("never-seen.test"))).toEqual([])
      expect(yield* session.collect(target("www.mirage-sandbox.test"))).toEqual([])
    }))

  it.scoped("no key configured: AuthFailed before any request", () =>
    Effect.gen(function*() {
      const { ctx, intel } = yield* context(undefined)
      const session = yield* virustotalDomain.open({}, ctx)
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({ _tag: "AuthFailed" })
      expect(intel.virustotal.requests()).toBe(0)
    }))

  it.scoped("WrongCredentialsError (401) is AuthFailed, without the key", () =>
    Effect.gen(function*() {
      const { session } = yield* open("0000wrongvtkey0000")
      const error = yield* Effect.flip(session.collect(target(IntelWorld.domain)))
      expect(error).toMatchObject({ _tag: "AuthFailed", status: 401 })
      expect(JSON.stringify(error) + error.message).not.toContain("0000wrongvtkey0000")
    }))

  it.scoped("QuotaExceededError (429, no Retry-After) is RateLimited for the quota's minute", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* intel.virustotal.failNext(1, {
        status: 429,
        body: VirustotalServer.quotaExceededBody,
        contentType: "application/json"
      })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 60_000
      })
      yield* intel.virustotal.failNext(1, { status: 429, retryAfter: "20", body: VirustotalServer.quotaExceededBody })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 20_000
      })
    }))

  it.scoped("a malformed page is BadResponse", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* intel.virustotal.failNext(1, {
        status: 200,
        body: "{\"data\": [{\"id\": 1}]}",
        contentType: "application/json"
      })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({ _tag: "BadResponse" })
    }))

  it.scoped("odd items are skipped and counted; a failing later page keeps the earlier pages with a warning", () =>
    Effect.gen(function*() {
      const path = "/api/v3/domains/example.test/subdomains"
      const { notes, outcome, server } = yield* collectAgainst(virustotalDomain, [
        {
          request: { path, query: { limit: "40" }, headers: { "x-apikey": key } },
          response: {
            json: {
              data: [
                { id: "www.example.test", type: "domain", attributes: { last_dns_records: [{ type: "A", value: 7 }] } },
                { id: "api.example.test", attributes: null },
                { id: "mail.example.test", type: "domain", attributes: { last_dns_records: "none" } },
                { id: 12, type: "domain" },
                { type: "domain" }
              ],
              meta: { count: 90, cursor: "Q1" }
            }
          }
        },
        {
          request: { path, query: { limit: "40", cursor: "Q1" } },
          response: { status: 500, json: { error: { code: "TransientError", message: "try again" } } }
        }
      ], { target: { type: "DOMAIN", value: "example.test" }, key })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => f.value)).toEqual(["api.example.test", "mail.example.test", "www.example.test"])
      expect(findings[2]?.source_data).toEqual({ last_dns_records: [{ type: "A", value: "7" }] })
      expect(notes.rows_skipped).toBe(2)
      expect(notes.warnings).toEqual([expect.stringContaining("page 2 failed")])
    }))
})
