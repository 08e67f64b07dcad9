/** hibp_pastes against a declared HIBP API: key and user agent, paste URLs by site, 404, odd rows, refused keys. */
import { describe, expect, it } from "@effect/vitest"
import { hibpPastes } from "@mirage/modules/modules/hibp_pastes"
import { Effect, Either } from "effect"
import { expectHidden, headersCarrying } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "hibp-key-0123456789abcdef"
const target = { type: "EMAIL" as const, value: "admin@example.test" }
const request = {
  path: "/api/v3/pasteaccount/admin%40example.test",
  headers: { "hibp-api-key": key, "user-agent": "Mirage-OSINT-Platform" }
}

describe("hibp_pastes", () => {
  it.scoped("each paste on a known site is a sensitive URL; opted-out pastes are not reported", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(hibpPastes, [{
        request,
        response: {
          json: [
            { Source: "Pastebin", Id: "8Q0BvKD8", Title: "syslog", Date: "2014-03-04T19:14:54Z", EmailCount: 139 },
            { Source: "AdHocUrl", Id: "http://paste.example.test/dump.txt", Title: null, Date: null, EmailCount: 2 },
            { Source: "OptOut", Id: "x", Title: null, Date: null, EmailCount: 1 },
            { Source: "Pastebin" }
          ]
        }
      }], { target, key })
      yield* run.server.verify
      const findings = Either.getOrThrow(run.outcome)
      expect(findings.map((f) => f.value)).toEqual([
        "https://pastebin.com/8Q0BvKD8",
        "http://paste.example.test/dump.txt"
      ])
      expect(findings[0]?.metadata).toEqual({
        email: "admin@example.test",
        paste_site: "Pastebin",
        title: "syslog",
        date: "2014-03-04T19:14:54Z",
        emails_in_paste: 139,
        sensitive: true
      })
      expect(run.notes.rows_skipped).toBe(1)
      expect(headersCarrying(run.server, key)).toEqual(["hibp-api-key"])
      expectHidden(run, key)
    }))

  it.scoped("404 is no paste; 401 and 403 are AuthFailed; no key sends nothing", () =>
    Effect.gen(function*() {
      const none = yield* collectAgainst(hibpPastes, [{ request, response: { status: 404, body: "" } }], {
        target,
        key
      })
      expect(Either.getOrThrow(none.outcome)).toEqual([])
      for (const status of [401, 403]) {
        const refused = yield* collectAgainst(
          hibpPastes,
          [{ request, response: { status, json: { message: "no" } } }],
          {
            target,
            key
          }
        )
        expect(refused.outcome).toMatchObject({ left: { _tag: "AuthFailed" } })
        expectHidden(refused, key)
      }
      const keyless = yield* collectAgainst(hibpPastes, [], { target })
      expect(keyless.server.requests()).toBe(0)
      expect(keyless.outcome).toMatchObject({ left: { _tag: "AuthFailed" } })
    }))
})
