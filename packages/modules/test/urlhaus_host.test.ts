/** urlhaus_host against a declared URLhaus API: the form POST with Auth-Key, its query_status, odd rows, keys. */
import { describe, expect, it } from "@effect/vitest"
import { urlhausHost } from "@mirage/modules/modules/urlhaus_host"
import { Effect, Either } from "effect"
import { checkKeyRejected, expectHidden, headersCarrying, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "urlhaus-auth-key-0123456789abcdef"
const request = {
  method: "POST",
  path: "/v1/host/",
  body: "host=example.test",
  headers: { "auth-key": key, "content-type": "application/x-www-form-urlencoded", accept: "application/json" }
}
const url = (id: string, address: string, status: string, extra: Record<string, unknown> = {}) => ({
  id,
  urlhaus_reference: `https://urlhaus.abuse.ch/url/${id}/`,
  url: address,
  url_status: status,
  date_added: "2024-03-01 10:00:00 UTC",
  threat: "malware_download",
  reporter: "abuse_ch",
  larted: "true",
  takedown_time_seconds: null,
  tags: ["elf", "mirai"],
  ...extra
})

describe("urlhaus_host", () => {
  it.scoped("POSTs the host as a form with the key in Auth-Key; each URL with its threat, status and the host's listings", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(urlhausHost, [{
        request,
        response: {
          json: {
            query_status: "ok",
            urlhaus_reference: "https://urlhaus.abuse.ch/host/example.test/",
            host: "example.test",
            firstseen: "2024-03-01 10:00:00 UTC",
            url_count: "2",
            blacklists: { spamhaus_dbl: "abused_legit_malware", surbl: "not listed" },
            urls: [
              url("1001", "http://example.test/bins/x86", "online"),
              url("1002", "http://example.test/a.exe", "offline", { tags: null })
            ]
          }
        }
      }], { target, key })
      yield* run.server.verify
      const findings = Either.getOrThrow(run.outcome)
      expect(findings.map((f) => [f.value, f.confidence])).toEqual([
        ["http://example.test/bins/x86", 0.9],
        ["http://example.test/a.exe", 0.75]
      ])
      expect(findings[0]?.metadata).toEqual({
        host: "example.test",
        threat: "malware_download",
        status: "online",
        tags: ["elf", "mirai"],
        date_added: "2024-03-01 10:00:00 UTC",
        reporter: "abuse_ch",
        reference: "https://urlhaus.abuse.ch/url/1001/",
        host_blacklists: ["spamhaus_dbl: abused_legit_malware"]
      })
      expect(headersCarrying(run.server, key)).toEqual(["auth-key"])
      expectHidden(run, key)
    }))

  it.scoped("no_results is nothing; an odd URL is skipped and counted; an answer without urls is BadResponse", () =>
    Effect.gen(function*() {
      const none = yield* collectAgainst(
        urlhausHost,
        [{ request, response: { json: { query_status: "no_results" } } }],
        {
          target,
          key
        }
      )
      expect(values(none.outcome)).toEqual([])
      const odd = yield* collectAgainst(urlhausHost, [{
        request,
        response: { json: { query_status: "ok", urls: [url("1", "http://example.test/x", "online"), { id: 2 }] } }
      }], { target, key })
      expect(values(odd.outcome)).toEqual(["http://example.test/x"])
      expect(odd.notes.rows_skipped).toBe(1)
      const broken = yield* collectAgainst(urlhausHost, [{ request, response: { json: { query_status: "ok" } } }], {
        target,
        key
      })
      expect(broken.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      const invalid = yield* collectAgainst(urlhausHost, [{
        request,
        response: { json: { query_status: "invalid_host" } }
      }], {
        target,
        key
      })
      expect(invalid.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
    }))

  it.scoped("unknown_auth_key, 401 and 403 are AuthFailed without the key showing; no key sends nothing", () =>
    Effect.gen(function*() {
      const unknown = yield* collectAgainst(urlhausHost, [
        { request, response: { json: { query_status: "unknown_auth_key" } } }
      ], { target, key })
      expect(unknown.outcome).toMatchObject({ left: { _tag: "AuthFailed" } })
      expectHidden(unknown, key)
      yield* checkKeyRejected(urlhausHost, request, key)
    }))
})
