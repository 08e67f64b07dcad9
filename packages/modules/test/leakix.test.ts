/** leakix against a declared LeakIX API: JSON asked for, the optional api-key header, empty answers, keys. */
import { describe, expect, it } from "@effect/vitest"
import { leakix } from "@mirage/modules/modules/leakix"
import { Effect } from "effect"
import { checkKeyRejected, expectHidden, headersCarrying, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "leakix-key-0123456789"
const path = "/api/subdomains/example.test"
const keyed = { path, headers: { accept: "application/json", "api-key": key } }
const keyless = { path, headers: { accept: "application/json", "api-key": null } }
const row = (subdomain: unknown) => ({ subdomain, distinct_ips: 3, last_seen: "2023-04-02T09:38:30.02Z" })

describe("leakix", () => {
  it.scoped("asks for JSON with the key in api-key when there is one; keeps in-scope names", () =>
    Effect.gen(function*() {
      const rows = [row("asdf.example.test"), row("WWW.Example.test"), row("example.test.evil.test")]
      const run = yield* collectAgainst(leakix, [{ request: keyed, response: { json: rows } }], { target, key })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual(["asdf.example.test", "www.example.test"])
      expect(headersCarrying(run.server, key)).toEqual(["api-key"])
      expectHidden(run, key)
      const anonymous = yield* collectAgainst(leakix, [{ request: keyless, response: { json: rows } }], { target })
      yield* anonymous.server.verify
      expect(values(anonymous.outcome)).toEqual(["asdf.example.test", "www.example.test"])
    }))

  it.scoped("204 and null are no findings; an odd row is skipped and counted", () =>
    Effect.gen(function*() {
      const noContent = yield* collectAgainst(leakix, [{ request: keyless, response: { status: 204 } }], { target })
      expect(values(noContent.outcome)).toEqual([])
      const nothing = yield* collectAgainst(leakix, [{ request: keyless, response: { json: null } }], { target })
      expect(values(nothing.outcome)).toEqual([])
      const odd = yield* collectAgainst(leakix, [{
        request: keyless,
        response: { json: [row("a.example.test"), row(null), { distinct_ips: 1 }] }
      }], { target })
      expect(values(odd.outcome)).toEqual(["a.example.test"])
      expect(odd.notes.rows_skipped).toBe(2)
    }))

  it.scoped("a rejected key (401, 403) is AuthFailed", () => checkKeyRejected(leakix, keyed, key))
})
