/** emailrep against a declared EmailRep: the request (key in Key, a user agent), the domain's report, odd answers. */
import { describe, expect, it } from "@effect/vitest"
import { emailrep } from "@mirage/modules/modules/emailrep"
import { Effect, Either } from "effect"
import { expectHidden, headersCarrying } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "emailrep-key-0123456789"
const target = { type: "EMAIL" as const, value: "bill@Example.test" }
const request = {
  path: "/bill@example.test",
  headers: { accept: "application/json", "user-agent": "Mirage-OSINT-Platform" }
}
const details = {
  blacklisted: false,
  malicious_activity: false,
  malicious_activity_recent: false,
  credentials_leaked: true,
  credentials_leaked_recent: false,
  data_breach: true,
  first_seen: "07/01/2008",
  last_seen: "05/24/2019",
  domain_exists: true,
  domain_reputation: "high",
  new_domain: false,
  days_since_domain_creation: 10_773,
  suspicious_tld: false,
  spam: false,
  free_provider: false,
  disposable: false,
  deliverable: true,
  accept_all: false,
  valid_mx: true,
  primary_mx: "mx.example.test",
  spoofable: false,
  spf_strict: true,
  dmarc_enforced: true,
  profiles: ["twitter", "linkedin"]
}
const answer = (extra: Record<string, unknown> = {}) => ({
  email: "bill@example.test",
  reputation: "high",
  suspicious: false,
  references: 79,
  details: { ...details, ...extra }
})

describe("emailrep", () => {
  it.scoped("asks by the address with the key in Key; the address's reputation and its domain's facts on the DOMAIN", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(emailrep, [
        { request: { ...request, headers: { ...request.headers, key } }, response: { json: answer() } }
      ], { target, key })
      yield* run.server.verify
      const [domain, ...rest] = Either.getOrThrow(run.outcome)
      expect(rest).toEqual([])
      expect(domain).toMatchObject({
        type: "DOMAIN",
        value: "example.test",
        metadata: {
          email: "bill@example.test",
          domain_reputation: "high",
          spf_strict: true,
          dmarc_enforced: true,
          address_reputation: {
            reputation: "high",
            references: 79,
            credentials_leaked: true,
            data_breach: true,
            profiles: ["twitter", "linkedin"]
          }
        }
      })
      expect(headersCarrying(run.server, key)).toEqual(["key"])
      expectHidden(run, key)
    }))

  it.scoped("keyless it sends no Key; a free provider's address says nothing of its domain; 400 is nothing", () =>
    Effect.gen(function*() {
      const free = yield* collectAgainst(emailrep, [
        {
          request: { ...request, headers: { ...request.headers, key: null } },
          response: { json: answer({ free_provider: true }) }
        }
      ], { target })
      yield* free.server.verify
      expect(Either.getOrThrow(free.outcome)).toEqual([])
      const invalid = yield* collectAgainst(emailrep, [
        { request, response: { status: 400, json: { status: "fail", reason: "invalid email" } } }
      ], { target })
      expect(Either.getOrThrow(invalid.outcome)).toEqual([])
    }))

  it.scoped("an answer without details is BadResponse; a spent quota (429) is RateLimited", () =>
    Effect.gen(function*() {
      const odd = yield* collectAgainst(emailrep, [{ request, response: { json: { email: "bill@example.test" } } }], {
        target
      })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      const spent = yield* collectAgainst(emailrep, [{
        request,
        response: { status: 429, json: { status: "fail", reason: "exceeded daily limit. please wait 24 hrs" } }
      }], { target })
      expect(spent.outcome).toMatchObject({ left: { _tag: "RateLimited" } })
    }))
})
