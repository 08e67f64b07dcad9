/** keybase against the sandbox's Keybase emulation: proven accounts and domains, no user, odd answers. */
import { describe, expect, it } from "@effect/vitest"
import { keybase } from "@mirage/modules/modules/keybase"
import { Effect, Either } from "effect"
import { collectAgainst, intelWithContext } from "./support.js"

const username = (value: string) => ({ target: { type: "USERNAME" as const, value } })

describe("keybase", () => {
  it.scoped("a user's proofs: accounts as USERNAMEs with their URLs, DNS and web-site proofs as DOMAINs", () =>
    Effect.gen(function*() {
      const { ctx, intel } = yield* intelWithContext("keybase")
      const session = yield* keybase.open({}, ctx)
      const findings = yield* session.collect(username("mirage-sandbox"))
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        "USERNAME mirage-sandbox",
        "URL https://github.com/mirage-sandbox",
        "USERNAME miragesandbox",
        "URL https://twitter.com/miragesandbox",
        "DOMAIN mirage-sandbox.test",
        "DOMAIN www.mirage-sandbox.test"
      ])
      expect(findings[2]?.metadata).toEqual({ keybase_user: "mirage-sandbox", service: "twitter", proven: true })
      expect(intel.keybase.requestLog()).toEqual([
        "/_/api/1.0/user/lookup.json?usernames=mirage-sandbox&fields=basics%2Cproofs_summary"
      ])
      expect(yield* session.collect(username("nobody-here"))).toEqual([])
    }))

  it.scoped("status 205 is no user; another status is a refusal; a proof of odd shape is skipped", () =>
    Effect.gen(function*() {
      const request = {
        path: "/_/api/1.0/user/lookup.json",
        query: { usernames: "someone", fields: "basics,proofs_summary" }
      }
      const none = yield* collectAgainst(keybase, [{
        request,
        response: { json: { status: { code: 205, name: "NOT_FOUND", desc: "user not found" } } }
      }], username("someone"))
      expect(Either.getOrThrow(none.outcome)).toEqual([])
      const refused = yield* collectAgainst(keybase, [{
        request,
        response: { json: { status: { code: 100, name: "INPUT_ERROR" } } }
      }], username("someone"))
      expect(Either.isLeft(refused.outcome)).toBe(true)
      const odd = yield* collectAgainst(keybase, [{
        request,
        response: {
          json: {
            status: { code: 0 },
            them: [{
              proofs_summary: {
                all: [{ proof_type: "reddit", nametag: "someone_r", state: 1 }, { proof_type: "github" }]
              }
            }]
          }
        }
      }], username("someone"))
      expect(Either.getOrThrow(odd.outcome).map((f) => f.value)).toEqual(["someone_r"])
      expect(odd.notes.rows_skipped).toBe(1)
    }))
})
